/* Supervisor mode with Sv32 paging for the RISC-V flash-slot firmware, so that the
 * ESP32-C3 window address the slots are linked at (base.ld: fw_flash_window_start) is
 * memory: one 4 MB page maps it onto RAM (FW_WINDOW_RAM); virt's RAM is mapped 1:1. PMP
 * entry 0 opens all memory to supervisor mode. Traps still go to machine mode (mtvec of
 * test/device/qemu/riscv/io.c), which runs untranslated, so a fetch from the zeroed window
 * ends the run with "TRAP mcause=2 mepc=<window address>". Semihosting works from
 * supervisor mode; QEMU translates the buffer addresses through the same page table. */
#include <stdint.h>

extern char fw_flash_window_start[], FW_WINDOW_RAM[];

#define PTE_LEAF 0xCFu     /* V R W X A D: a supervisor page, accessed and dirty */
#define MEGA     0x400000u /* an Sv32 level-1 page: 4 MB */
static uint32_t root[1024] __attribute__((aligned(4096)));

static uint32_t leaf(uint32_t pa) { return (pa >> 12) << 10 | PTE_LEAF; }

void fw_platform_init(void) {
    for (uint32_t pa = 0x80000000u; pa < 0x88000000u; pa += MEGA) root[pa >> 22] = leaf(pa);
    root[(uint32_t)(uintptr_t)fw_flash_window_start >> 22] = leaf((uint32_t)(uintptr_t)FW_WINDOW_RAM);
    uint32_t satp = 1u << 31 | (uint32_t)(uintptr_t)root >> 12; /* MODE = Sv32 */
    __asm__ volatile("csrw pmpaddr0, %1\n\t"
                     "csrw pmpcfg0, %2\n\t"
                     "csrw satp, %0\n\t"
                     "sfence.vma\n\t"
                     "li t0, 0x1800\n\t" /* mstatus.MPP = S */
                     "csrc mstatus, t0\n\t"
                     "li t0, 0x0800\n\t"
                     "csrs mstatus, t0\n\t"
                     "la t0, 1f\n\t"
                     "csrw mepc, t0\n\t"
                     "mret\n"
                     "1:\n\t"
                     :
                     : "r"(satp), "r"(0xFFFFFFFFu), "r"(0x1Fu) /* pmp0: NAPOT over everything, R W X */
                     : "t0", "memory");
}
