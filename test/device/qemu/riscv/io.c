/* Output, exit and traps for the RISC-V test firmware. picolibc's semihosting crt0 sets
 * up the stack, data, bss, runs the firmware's .init_array (MM_SLOT / MM_LIBRARY
 * registration) and calls main; stdout goes to the host through semihosting. */
#include <stdio.h>
#include <stdlib.h>

void fw_write(const char *s, int len) { fwrite(s, 1, (size_t)len, stdout); }

void fw_exit(int code) {
    fflush(stdout);
    exit(code);
}

/* Any trap (a call into code that is not loaded executes zeros: an illegal instruction)
 * ends the run with exit code 99, like the Xtensa vectors. */
void fw_trap(void) {
    unsigned long cause, epc;
    __asm__ volatile("csrr %0, mcause\n\tcsrr %1, mepc" : "=r"(cause), "=r"(epc));
    fprintf(stdout, "TRAP mcause=%lu mepc=0x%08lx\n", cause, epc);
    fw_exit(99);
}
__asm__(".section .text.fw_trap_entry,\"ax\"\n"
        ".balign 4\n"
        "fw_trap_entry:\n"
        "  j fw_trap\n");

__attribute__((constructor)) static void install_trap(void) {
    extern char fw_trap_entry[];
    __asm__ volatile("csrw mtvec, %0" ::"r"(fw_trap_entry));
}
