/* ESP32 Memory Manager: chip ports. mm_port_memory() returns the memory writer of the
 * chip the firmware is built for:
 *   mm_port_esp.c      ESP32, -S2, -S3, -C3, -C6 (ESP_PLATFORM, i.e. ESP-IDF / Arduino-ESP32)
 *   mm_port_generic.c  everything else: bare Xtensa and RISC-V (the QEMU tests), hosts
 */
#ifndef MM_PORT_H
#define MM_PORT_H
#include "mm_loader.h"
#ifdef __cplusplus
extern "C" {
#endif
mm_memory_t mm_port_memory(void);

/* Every port ends sync_code with this: wait for the stores, then refetch instructions. */
static inline void mm_port_instruction_barrier(void) {
#if defined(__XTENSA__)
    __asm__ volatile("memw\n\tisync" ::: "memory");
#elif defined(__riscv)
    __asm__ volatile("fence rw, rw\n\tfence.i" ::: "memory");
#endif
}
/* Name of the port ("esp32", "esp32c3", "xtensa-generic", "riscv-generic", "host"). */
const char *mm_port_name(void);
#ifdef __cplusplus
}
#endif
#endif
