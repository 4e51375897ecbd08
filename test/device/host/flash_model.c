#include "flash_model.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

flash_model_t fm;
mmu_model_t mmu;

static void fault(const char *what, uint32_t off, uint32_t n) {
    fprintf(stderr, "MODEL FAULT: %s at 0x%06x (+%u)\n", what, off, n);
    abort();
}
static int in_range(uint32_t off, uint32_t n) { return off <= FM_SIZE && n <= FM_SIZE - off; }

void fm_counters_reset(void) {
    fm.erases = fm.programs = fm.program_bytes = fm.ops = 0;
    memset(fm.sector_erases, 0, sizeof fm.sector_erases);
}
void fm_reset(void) {
    memset(fm.bytes, 0xFF, sizeof fm.bytes);
    fm_counters_reset();
    fm.cut_after = -1, fm.torn = 0, fm.dead = 0, fm.stuck_at = -1;
}
void fm_power_cut_after(long n, int torn) { fm.ops = 0, fm.cut_after = n, fm.torn = torn, fm.dead = 0; }
void fm_power_on(void) { fm.cut_after = -1, fm.dead = 0; }

/* 1: the operation may run fully; 0: power is gone; 2: it runs half */
static int power(void) {
    if (fm.dead) return 0;
    if (fm.cut_after >= 0 && fm.ops >= (unsigned long)fm.cut_after) {
        fm.dead = 1;
        return fm.torn ? 2 : 0;
    }
    fm.ops++;
    return 1;
}

static int fm_read(void *ctx, uint32_t off, void *buf, uint32_t n) {
    (void)ctx;
    if (!in_range(off, n)) fault("read outside the partition", off, n);
    if (fm.dead) return -1;
    memcpy(buf, fm.bytes + off, n);
    return 0;
}
static int fm_erase(void *ctx, uint32_t off) {
    (void)ctx;
    if (off % 0x1000u || !in_range(off, 0x1000u)) fault("erase of no whole sector", off, 0x1000u);
    int p = power();
    if (!p) return -1;
    /* torn 1: the first half is done, torn 2: the second half */
    memset(fm.bytes + off + (p == 2 && fm.torn == 2 ? 0x800u : 0), 0xFF, p == 2 ? 0x800u : 0x1000u);
    fm.erases++, fm.sector_erases[off / 0x1000u]++;
    return p == 2 ? -1 : 0;
}
static int fm_program(void *ctx, uint32_t off, const void *buf, uint32_t n) {
    (void)ctx;
    if (!in_range(off, n)) fault("program outside the partition", off, n);
    int p = power();
    if (!p) return -1;
    uint32_t from = p == 2 && fm.torn == 2 ? n / 2 : 0, to = p == 2 && fm.torn == 1 ? n / 2 : n;
    const uint8_t *d = (const uint8_t *)buf;
    for (uint32_t i = from; i < to; i++) {
        uint8_t v = d[i];
        if (fm.stuck_at >= 0 && off + i == (uint32_t)fm.stuck_at) v |= 1; /* stays 1 */
        fm.bytes[off + i] &= v;                                           /* NOR: programming only clears bits */
    }
    fm.programs++, fm.program_bytes += to - from;
    return p == 2 ? -1 : 0;
}
static const mm_partition_ops_t fm_ops = {fm_read, fm_erase, fm_program};
mm_partition_t fm_partition(void) {
    mm_partition_t p = {&fm_ops, 0, FM_SIZE, FM_BASE};
    return p;
}

/* ---- MMU ---- */
static const mm_mmu_chip_t *chip_desc(chip_t c) {
    return c == CHIP_ESP32 ? &mm_mmu_esp32
           : c == CHIP_S3  ? &mm_mmu_esp32s3
           : c == CHIP_C3  ? &mm_mmu_esp32c3
                           : &mm_mmu_esp32c6;
}
/* Independent of the ports: the entry layout per chip (ESP-IDF soc/<chip>/ext_mem_defs.h,
 * hal/<chip>/mmu_ll.h). Returns the flash page, or -1 for invalid / not flash. */
static long decode(uint32_t v) {
    switch (mmu.chip) {
    case CHIP_ESP32:
        return (v & 0x100u) ? -1 : (long)(v & 0xFFu); /* BIT(8) invalid */
    case CHIP_S3:
        return (v & 0x4000u) || (v & 0x8000u) ? -1 : (long)(v & 0x3FFFu); /* BIT(14) invalid, BIT(15) PSRAM */
    case CHIP_C3:
        return (v & 0x100u) ? -1 : (long)(v & 0xFFu);
    case CHIP_C6:
        return (v & 0x200u) ? (long)(v & 0x1FFu) : -1; /* BIT(9) valid */
    }
    return -1;
}
static uint32_t window_base(void) { return mmu.chip == CHIP_ESP32 ? 0x40000000u : 0x42000000u; }
static uint32_t first_index(void) { return mmu.chip == CHIP_ESP32 ? 64u : 0u; } /* IRAM0 after DROM0 */

static void write_entry(void *ctx, uint32_t index, uint32_t value) {
    (void)ctx;
    if (index >= 512) fault("MMU entry index out of the table", index, 0);
    mmu.table[index] = value;
    mmu.writes++;
}
static void sync(void *ctx, uintptr_t vaddr, uint32_t len) {
    (void)ctx, (void)vaddr, (void)len;
    mmu.syncs++;
}
void mmu_reset(chip_t chip, uintptr_t floor) {
    memset(&mmu, 0, sizeof mmu);
    mmu.chip = chip;
    const mm_mmu_chip_t *d = chip_desc(chip);
    for (int i = 0; i < 512; i++) mmu.table[i] = d->invalid_entry;
    mmu.port.chip = d, mmu.port.floor = floor, mmu.port.ctx = 0;
    mmu.port.write_entry = write_entry, mmu.port.sync = sync;
}
mm_mmu_t mmu_model(void) { return mm_mmu_over_table(&mmu.port); }

int mmu_read(uintptr_t vaddr, void *buf, uint32_t n) {
    uint8_t *out = (uint8_t *)buf;
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t a = vaddr + i;
        uint32_t index = first_index() + (uint32_t)((a - window_base()) >> 16);
        long page = decode(mmu.table[index]);
        if (page < 0) return -1;
        uint32_t paddr = (uint32_t)page * 0x10000u + (uint32_t)(a & 0xFFFFu);
        if (paddr < FM_BASE || paddr - FM_BASE >= FM_SIZE) fault("MMU maps outside the partition", paddr, 1);
        out[i] = fm.bytes[paddr - FM_BASE];
    }
    return 0;
}
