/* Smoke test of the flash-slot test back end (firmware/src/mm_flash_semihost.c) under
 * qemu-system-riscv32 -M virt: the partition is the semihosting file mmlib.bin, the
 * "instruction window" a RAM region at WINDOW the pages are copied into. Two libraries of
 * one flash slot (La, Lb: one function each at the window address, written by
 * test/tools/device/flash-qemu.test.ts) are loaded and called twice over, then a call
 * after unload must fault. Every line is checked by that test. */
#include <stdint.h>
#include <stdio.h>
#include "mm_flash.h"
#include "mm_loader.h"
#include "mm_storage.h"

#define WINDOW     0x80800000u /* 64 KB aligned RAM of the virt board, above the firmware */
#define WINDOW_END (WINDOW + 0x40000u)

static uint8_t slot_data[64];
static mm_slot_t slot = {"fx", WINDOW, WINDOW + 0x20000u, 0, 0, 0, 0, 0, 0, 1};
static mm_library_t la = {"La", &slot, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0, 0}}, 0x10000};
static mm_library_t lb = {"Lb", &slot, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0, 0}}, 0x20000};
static uint8_t build_id[32];
static mm_flash_semihost_t sh;
static mm_loader_t ld;

static void load_and_call(const char *name) {
    mm_err_t e = mm_load(&ld, name);
    printf("load %s: %s\n", name, mm_errname(e));
    if (e == MM_OK) printf("%s() = %d\n", name, ((int (*)(void))WINDOW)());
}

int main(void) {
    for (int i = 0; i < 32; i++) build_id[i] = 0x11;
    slot.data_start = (uintptr_t)slot_data, slot.data_end = (uintptr_t)slot_data + sizeof slot_data;
    mm_register_library(&la);
    mm_register_library(&lb);
    mm_storage_t st = mm_storage_semihost();
    mm_loader_init(&ld, &st, "mm", 0, build_id);
    printf("init: %s\n", mm_errname(mm_flash_semihost_init(&sh, "mmlib.bin", WINDOW, WINDOW_END)));
    printf("attach: %s\n", mm_errname(mm_loader_attach_flash(&ld, &sh.flash)));
    for (int round = 1; round <= 2; round++) {
        sh.erases = sh.programs = 0;
        load_and_call("La");
        load_and_call("Lb");
        printf("round %d: %u erases, %u programs\n", round, (unsigned)sh.erases, (unsigned)sh.programs);
    }
    printf("unload Lb: %s\n", mm_errname(mm_unload(&ld, "Lb")));
    printf("window word after unload: %08lx\n", (unsigned long)*(volatile uint32_t *)WINDOW);
    printf("calling the unmapped window\n");
    fflush(stdout);
    ((int (*)(void))WINDOW)();
    printf("stale call returned\n");
    return 0;
}
