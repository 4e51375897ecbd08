/* Memory writer for targets that are not ESP-IDF chips: bare Xtensa (QEMU lx106 'sim'),
 * bare RISC-V (QEMU 'virt') and hosts. Code and data live at their linked addresses and
 * are written directly. */
#include "mm_port.h"
#if !defined(ESP_PLATFORM)

static int write_code(void *ctx, uintptr_t dst, const uint32_t *src, uint32_t nwords) {
    (void)ctx;
    /* aligned 32-bit stores only: ESP32 IRAM faults on narrower ones (QEMU does not) */
    volatile uint32_t *d = (volatile uint32_t *)dst;
    for (uint32_t i = 0; i < nwords; i++) d[i] = src[i];
    return 0;
}
static void sync_code(void *ctx, uintptr_t addr, uint32_t len) {
    (void)ctx, (void)addr, (void)len;
    mm_port_instruction_barrier();
}
static void call(void *ctx, uintptr_t fn) {
    (void)ctx;
    ((void (*)(void))fn)();
}

mm_memory_t mm_port_memory(void) {
    mm_memory_t m = {0, 0, write_code, 0, 0, sync_code, call, 0};
    return m;
}
const char *mm_port_name(void) {
#if defined(__XTENSA__)
    return "xtensa-generic";
#elif defined(__riscv)
    return "riscv-generic";
#else
    return "host";
#endif
}
#endif
