/* Models for the flash-slot host tests (test_flash.c).
 *
 * NOR flash: the library partition, 4 KB sectors that erase to 0xFF; programming only
 * clears bits (new = old & data). Counts erases, programs and programmed bytes, and can
 * lose power after any Nth erase/program: that operation and every later one (reads too)
 * fail; with `torn`, the operation the power fails in is half done (torn 1: the first
 * half of the bytes programmed or of the sector erased, torn 2: the second half), as a
 * real cut in the middle of it may leave it.
 *
 * MMU: a table of entries in one chip's format, written through mm_mmu_over_table().
 * Reads through the instruction window go through the entries to the flash model; the
 * entry format is decoded here from the HAL/TRM facts, independently of the ports. */
#ifndef FLASH_MODEL_H
#define FLASH_MODEL_H
#include <stdint.h>
#include "mm_mmu_chip.h"

#define FM_SIZE    0x100000u /* partition: 1 MB */
#define FM_BASE    0x200000u /* its physical flash address */
#define FM_SECTORS (FM_SIZE / 0x1000u)

typedef struct {
    uint8_t bytes[FM_SIZE];
    unsigned erases, programs, program_bytes, ops;
    unsigned sector_erases[FM_SECTORS];
    long cut_after; /* -1: no power cut; else ops that still complete */
    int torn, dead;
    long stuck_at; /* -1, or an offset whose bit 0 never programs (worn cell) */
} flash_model_t;

extern flash_model_t fm;
void fm_reset(void);          /* erased partition, counters 0, no cut */
void fm_counters_reset(void); /* keep the contents */
void fm_power_cut_after(long n, int torn);
void fm_power_on(void); /* power back: contents kept, counters kept */
mm_partition_t fm_partition(void);

/* ---- MMU model ---- */
typedef enum { CHIP_ESP32, CHIP_S3, CHIP_C3, CHIP_C6 } chip_t;
typedef struct {
    chip_t chip;
    uint32_t table[512];
    unsigned writes;
    unsigned syncs;
    mm_mmu_table_t port; /* the writer the loader's mm_mmu_t goes through */
} mmu_model_t;
extern mmu_model_t mmu;
void mmu_reset(chip_t chip, uintptr_t floor); /* every entry invalid (as after unmap_all) */
mm_mmu_t mmu_model(void);
/* Read through the window: -1 if a page is unmapped (a fetch would fault), else 0. */
int mmu_read(uintptr_t vaddr, void *buf, uint32_t n);
#endif
