/* Host tests of flash slots (firmware/src/mm_flash.c, mm_mmu_*.c, the flash path of
 * mm_loader.c), built with -fsanitize=address,undefined, against a NOR-flash model and an
 * MMU model (flash_model.c): the files come from the independent writer (lib_files.c),
 * through the real POSIX storage backend; data goes to memory_model.c. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "flash_model.h"
#include "lib_files.h"
#include "memory_model.h"
#include "mm_agent.h"
#include "mm_agent_flash.h"
#include "mm_crc32.h"
#include "mm_flash.h"
#include "mm_loader.h"
#include "mm_mmu_chip.h"
#include "mm_storage.h"

/* ---- the firmware's layout: flash slot "fx" (ESP32-S3 window) with Fa and Fb ---------- */
#define FLOOR       0x42400000u /* first address above the app's own flash mapping */
#define FX_TEXT     0x42400000u
#define FX_TEXT_END 0x42430000u /* 3 pages: the larger member, Fa */
#define FX_DATA     0x3FFD0C00u
#define FX_DATA_END 0x3FFD0E00u
#define FA_OFFSET   0x10000u
#define FB_OFFSET   0x30000u /* FA_OFFSET + ALIGN(Fa's code, 64 KB) */
#define FA_LEN      0x18A40u /* 100,928 bytes: 25 sectors, the last one partial */
#define FB_LEN      0xA000u

static mm_slot_t slot_fx = {"fx", FX_TEXT, FX_TEXT_END, FX_DATA, FX_DATA_END, 0, 0, 0, 0, 1};
static mm_library_t lib_fa = {"Fa", &slot_fx, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0, 0}}, FA_OFFSET};
static mm_library_t lib_fb = {"Fb", &slot_fx, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0, 0}}, FB_OFFSET};

static uint8_t fa_code[FA_LEN], fb_code[FB_LEN], fa_data[16], fb_data[8];
static uint32_t text_at; /* where the slot's code is linked (FX_TEXT unless a test moves it) */
static mm_loader_t ld;
static mm_flash_t flash;

/* seeded, so every run writes the same images */
static void fill_random(uint8_t *p, uint32_t n, uint32_t seed) {
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void write_files(void) {
    spec_t s;
    s = spec("Fa", 'E', text_at, fa_code, FA_LEN), write_spec("Fa_e", &s);
    s = spec("Fa", 'D', FX_DATA, fa_data, sizeof fa_data), write_spec("Fa_d", &s);
    s = spec("Fb", 'E', text_at, fb_code, FB_LEN), write_spec("Fb_e", &s);
    s = spec("Fb", 'D', FX_DATA, fb_data, sizeof fb_data), write_spec("Fb_d", &s);
}

static void init_loader(uint32_t limit) {
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = model_memory();
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    flash.partition = fm_partition();
    flash.mmu = mmu_model();
    flash.write_limit = limit;
    mm_loader_attach_flash(&ld, &flash);
}

/* A restart: RAM state and MMU gone, flash kept, power back. */
static void reboot(void) {
    slot_fx.occupant = 0;
    lib_fa.code_len = lib_fb.code_len = 0;
    mmu_reset(mmu.chip, mmu.port.floor);
    fm_power_on();
    init_loader(flash.write_limit);
}

static void setup(void) {
    model_reset();
    fm_reset();
    mmu_reset(CHIP_S3, FLOOR);
    for (int i = 0; i < 32; i++) fw_id[i] = (uint8_t)(0x30 + i);
    fill_random(fa_code, FA_LEN, 1);
    fill_random(fb_code, FB_LEN, 2);
    fill_random(fa_data, sizeof fa_data, 3);
    fill_random(fb_data, sizeof fb_data, 4);
    slot_fx.text_start = FX_TEXT, slot_fx.text_end = FX_TEXT_END, slot_fx.occupant = 0;
    lib_fa.flash_offset = FA_OFFSET, lib_fb.flash_offset = FB_OFFSET;
    lib_fa.code_len = lib_fb.code_len = 0;
    text_at = FX_TEXT;
    mm_register_library(&lib_fa);
    mm_register_library(&lib_fb);
    write_files();
    init_loader(0);
}

static int mem_equals_data(uint32_t addr, const uint8_t *want, uint32_t n) {
    uint8_t *p = model_ptr(addr, n);
    return p && memcmp(p, want, n) == 0;
}
static int window_equals(uint32_t addr, const uint8_t *want, uint32_t n) {
    uint8_t *got = malloc(n);
    int ok = mmu_read(addr, got, n) == 0 && memcmp(got, want, n) == 0;
    free(got);
    return ok;
}
static int window_unreadable(uint32_t addr) {
    uint8_t b;
    return mmu_read(addr, &b, 1) == -1;
}
static unsigned writes_of(const char *lib) {
    mm_flash_image_info_t info;
    return mm_flash_image_info(&ld, lib, &info) == MM_OK ? info.writes : 9999;
}

/* ---- the header, read independently (layout documented in mm_flash.c) ---------------- */
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static int header_valid(uint32_t index) {
    const uint8_t *h = fm.bytes + index * 0x1000u;
    return rd32(h) == 0x48464D4Du && rd32(h + 88) == (uint32_t)crc32(0, h, 88) && rd32(h + 92) == 0xA55A5AA5u;
}
/* A valid header must describe exactly what the partition holds. */
static int header_matches_image(uint32_t index) {
    const uint8_t *h = fm.bytes + index * 0x1000u;
    uint32_t off = rd32(h + 8), len = rd32(h + 12), crc = rd32(h + 16);
    return off + len <= FM_SIZE && (uint32_t)crc32(0, fm.bytes + off, len) == crc;
}

/* ---- tests ------------------------------------------------------------------------------ */
static int t_first_load_writes_and_maps(void) {
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    /* header sector + 25 image sectors erased; 25 sectors + header body + valid + tally */
    CHECK(fm.erases == 26 && fm.programs == 28, "erases %u programs %u", fm.erases, fm.programs);
    CHECK(fm.sector_erases[0] == 1 && fm.sector_erases[15] == 0, "directory: header 0 erased, wear sector never");
    CHECK(window_equals(FX_TEXT, fa_code, FA_LEN), "window does not show Fa's code");
    CHECK(mem_equals_data(FX_DATA, fa_data, sizeof fa_data), "data not copied");
    /* S3: entry 64 (0x42400000) -> flash page 0x21 (0x200000 + 0x10000), valid, flash */
    CHECK(mmu.table[64] == 0x21 && mmu.table[65] == 0x22 && mmu.table[66] == 0x4000, "entries %x %x %x", mmu.table[64],
          mmu.table[65], mmu.table[66]);
    CHECK(header_valid(0) && header_matches_image(0), "header not valid or not the image");
    mm_flash_image_info_t info;
    CHECK_ERR(mm_flash_image_info(&ld, "Fa", &info), MM_OK);
    CHECK(info.index == 0 && info.writes == 1 && info.valid && info.current && info.mapped && info.length == FA_LEN &&
              info.offset == FA_OFFSET && info.write_limit == MM_FLASH_WRITE_LIMIT,
          "info: index %u writes %u valid %u", info.index, info.writes, info.valid);
    return 1;
}

static int t_second_load_writes_nothing(void) {
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK_ERR(mm_unload(&ld, "Fa"), MM_OK);
    fm_counters_reset();
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK(fm.erases == 0 && fm.programs == 0, "reload wrote: %u erases, %u programs", fm.erases, fm.programs);
    reboot();
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK(fm.erases == 0 && fm.programs == 0, "load after restart wrote: %u erases, %u programs", fm.erases,
          fm.programs);
    CHECK(window_equals(FX_TEXT, fa_code, FA_LEN), "window after restart");
    CHECK(writes_of("Fa") == 1, "writes %u", writes_of("Fa"));
    return 1;
}

static int t_switch_between_libraries_remaps_only(void) {
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK_ERR(mm_load(&ld, "Fb"), MM_OK);
    fm_counters_reset();
    for (int i = 0; i < 10; i++) {
        const char *name = i % 2 ? "Fb" : "Fa";
        CHECK_ERR(mm_load(&ld, name), MM_OK);
        CHECK(fm.erases == 0 && fm.programs == 0, "switch %d to %s wrote", i, name);
        if (i % 2) {
            CHECK(window_equals(FX_TEXT, fb_code, FB_LEN), "switch %d: window is not Fb", i);
            CHECK(mmu.table[64] == 0x23, "Fb's entry %x", mmu.table[64]);
            CHECK(window_unreadable(FX_TEXT + 0x10000u), "Fa's second page still mapped under Fb");
        } else {
            CHECK(window_equals(FX_TEXT, fa_code, FA_LEN), "switch %d: window is not Fa", i);
        }
    }
    mm_flash_image_info_t a, b;
    CHECK_ERR(mm_flash_image_info(&ld, "Fa", &a), MM_OK);
    CHECK_ERR(mm_flash_image_info(&ld, "Fb", &b), MM_OK);
    CHECK(a.index == 0 && b.index == 1 && a.writes == 1 && b.writes == 1 && b.mapped && !a.mapped,
          "info after switching");
    return 1;
}

static int t_changed_library_rewrites_only_changed_sectors(void) {
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK_ERR(mm_unload(&ld, "Fa"), MM_OK);
    fa_code[0x5123] ^= 0x5A, fa_code[0x5FFF] ^= 0x01; /* sector 5 */
    fa_code[0x12000] ^= 0x80;                         /* sector 18 */
    write_files();
    fm_counters_reset();
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK(fm.erases == 3, "erases %u, want header + 2 sectors", fm.erases);
    CHECK(fm.sector_erases[0] == 1 && fm.sector_erases[(FA_OFFSET + 0x5000u) / 0x1000u] == 1 &&
              fm.sector_erases[(FA_OFFSET + 0x12000u) / 0x1000u] == 1,
          "wrong sectors erased");
    CHECK(fm.programs == 5, "programs %u: tally + 2 sectors + header + valid", fm.programs);
    CHECK(window_equals(FX_TEXT, fa_code, FA_LEN), "window does not show the changed code");
    CHECK(writes_of("Fa") == 2, "writes %u", writes_of("Fa"));
    return 1;
}

static int t_new_firmware_build_rewrites_header_only(void) {
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    reboot();
    fw_id[0] ^= 0xFF; /* a new firmware build, the library's code unchanged */
    write_files();
    init_loader(0);
    fm_counters_reset();
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK(fm.erases == 1 && fm.sector_erases[0] == 1 && fm.programs == 3, "erases %u programs %u, want the header only",
          fm.erases, fm.programs);
    CHECK(window_equals(FX_TEXT, fa_code, FA_LEN), "window");
    return 1;
}

/* Power lost after every single erase/program of a rewrite (cleanly between two
 * operations, and in the middle of one): never a half-valid image, always "invalid,
 * rewritten on the next load", the write count never goes back. */
static uint8_t snapshot[FM_SIZE];
static int power_cut_everywhere(int from_blank) {
    if (!from_blank) {
        CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
        reboot();
    }
    memcpy(snapshot, fm.bytes, FM_SIZE);
    unsigned before = writes_of("Fa");
    fa_code[0x3000] ^= 0xFF, fa_code[0xA000] ^= 0xFF, fa_code[FA_LEN - 1] ^= 0xFF; /* v2 */
    write_files();
    fm_counters_reset();
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    unsigned total = fm.ops;
    CHECK(total >= 6, "a rewrite of %u operations?", total);
    for (int torn = 0; torn <= 2; torn++) {
        for (unsigned n = 0; n < total; n++) {
            memcpy(fm.bytes, snapshot, FM_SIZE);
            reboot();
            fm_power_cut_after((long)n, torn);
            mm_err_t e = mm_load(&ld, "Fa");
            CHECK(e != MM_OK, "cut after %u of %u (torn %d): load reported OK", n, total, torn);
            CHECK(!mm_is_loaded("Fa") && window_unreadable(FX_TEXT), "cut after %u: something mapped", n);
            reboot();
            CHECK(!header_valid(0) || header_matches_image(0), "cut after %u (torn %d): half-valid image", n, torn);
            unsigned w = writes_of("Fa");
            CHECK(w >= before && w <= before + 1, "cut after %u: write count %u (was %u)", n, w, before);
            fm_counters_reset();
            CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
            CHECK(fm.programs > 0, "cut after %u: the next load did not rewrite", n);
            CHECK(window_equals(FX_TEXT, fa_code, FA_LEN), "cut after %u (torn %d): wrong code mapped", n, torn);
            CHECK(header_valid(0) && header_matches_image(0), "cut after %u: header after the rewrite", n);
            CHECK(writes_of("Fa") > w, "cut after %u: rewrite not counted", n);
        }
    }
    return 1;
}
static int t_power_cut_at_every_point_of_a_rewrite(void) { return power_cut_everywhere(0); }
static int t_power_cut_at_every_point_of_a_first_write(void) { return power_cut_everywhere(1); }

static int t_write_limit_enforced(void) {
    init_loader(3);
    for (int i = 0; i < 3; i++) {
        fa_code[0x100] = (uint8_t)i; /* a new version each time */
        write_files();
        CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
        CHECK_ERR(mm_unload(&ld, "Fa"), MM_OK);
    }
    CHECK(writes_of("Fa") == 3, "writes %u", writes_of("Fa"));
    CHECK_ERR(mm_load(&ld, "Fb"), MM_OK);
    fa_code[0x100] = 0x77;
    write_files();
    fm_counters_reset();
    unsigned entries = mmu.writes;
    CHECK_ERR(mm_load(&ld, "Fa"), MM_ERR_FLASH_WORN);
    CHECK(strcmp(ld.last_file, "Fa_e") == 0, "last_file %s", ld.last_file);
    CHECK(fm.erases == 0 && fm.programs == 0 && mmu.writes == entries, "refused rewrite touched flash or MMU");
    CHECK(mm_is_loaded("Fb") && window_equals(FX_TEXT, fb_code, FB_LEN), "previous occupant lost");
    CHECK_ERR(mm_verify(&ld, "Fa"), MM_ERR_FLASH_WORN);
    CHECK(header_valid(0), "the old image was invalidated by a refused rewrite");
    /* the limit cannot exceed what the tally counts */
    mm_flash_t big = flash;
    big.write_limit = MM_FLASH_TALLY_BITS + 1;
    CHECK_ERR(mm_loader_attach_flash(&ld, &big), MM_ERR_FLASH_LAYOUT);
    return 1;
}

static int t_unmap_makes_window_unreadable(void) {
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK(window_equals(FX_TEXT, fa_code, 64), "mapped");
    unsigned syncs = mmu.syncs;
    CHECK_ERR(mm_unload(&ld, "Fa"), MM_OK);
    CHECK(window_unreadable(FX_TEXT) && window_unreadable(FX_TEXT + 0x10000u), "still readable after unload");
    CHECK(mmu.table[64] == 0x4000 && mmu.table[65] == 0x4000, "entries not invalid (S3: BIT(14))");
    CHECK(mmu.syncs > syncs, "no cache sync after unmap");
    CHECK_ERR(mm_unload(&ld, "Fa"), MM_ERR_NOT_LOADED);
    return 1;
}

/* ---- entry values: an independent table from the ESP-IDF HAL / TRM facts ---------------- */
typedef struct {
    const mm_mmu_chip_t *chip;
    uint32_t vaddr, index;
} index_row_t;
typedef struct {
    const mm_mmu_chip_t *chip;
    uint32_t paddr, flash, psram;
} value_row_t;
static int t_entry_values_match_trm_table(void) {
    static const index_row_t idx[] = {
        /* ESP32: IRAM0 entries start at 64; 0x400D0000 is (0xD0000 >> 16) = 13 in */
        {&mm_mmu_esp32, 0x400D0000u, 77},    {&mm_mmu_esp32, 0x400E0000u, 78},  {&mm_mmu_esp32, 0x40200000u, 96},
        {&mm_mmu_esp32, 0x403F0000u, 127},   {&mm_mmu_esp32s3, 0x42000000u, 0}, {&mm_mmu_esp32s3, 0x42400000u, 64},
        {&mm_mmu_esp32s3, 0x43FF0000u, 511}, {&mm_mmu_esp32c3, 0x42000000u, 0}, {&mm_mmu_esp32c3, 0x42010000u, 1},
        {&mm_mmu_esp32c3, 0x427F0000u, 127}, {&mm_mmu_esp32c6, 0x42000000u, 0}, {&mm_mmu_esp32c6, 0x42800000u, 128},
        {&mm_mmu_esp32c6, 0x42FF0000u, 255},
    };
    static const value_row_t val[] = {
        {&mm_mmu_esp32, 0x000000u, 0x00, 0},
        {&mm_mmu_esp32, 0x210000u, 0x21, 0},
        {&mm_mmu_esp32, 0xFF0000u, 0xFF, 0},
        /* S3: valid is 0, BIT(15) selects PSRAM */
        {&mm_mmu_esp32s3, 0x210000u, 0x21, 0x8021},
        {&mm_mmu_esp32s3, 0x000000u, 0x0000, 0x8000},
        {&mm_mmu_esp32s3, 0x3FF0000u, 0x3FF, 0x83FF},
        {&mm_mmu_esp32c3, 0x210000u, 0x21, 0},
        {&mm_mmu_esp32c3, 0xFF0000u, 0xFF, 0},
        /* C6: BIT(9) is valid */
        {&mm_mmu_esp32c6, 0x000000u, 0x200, 0},
        {&mm_mmu_esp32c6, 0x210000u, 0x221, 0},
        {&mm_mmu_esp32c6, 0xFF0000u, 0x2FF, 0},
    };
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        CHECK(idx[i].chip->entry_index(idx[i].vaddr) == idx[i].index, "%s: index of 0x%08x is %u, want %u",
              idx[i].chip->name, idx[i].vaddr, idx[i].chip->entry_index(idx[i].vaddr), idx[i].index);
    for (size_t i = 0; i < sizeof val / sizeof val[0]; i++) {
        const mm_mmu_chip_t *c = val[i].chip;
        CHECK(c->flash_entry(val[i].paddr) == val[i].flash, "%s: flash entry of 0x%x is 0x%x, want 0x%x", c->name,
              val[i].paddr, c->flash_entry(val[i].paddr), val[i].flash);
        if (val[i].psram)
            CHECK(c->psram_entry && c->psram_entry(val[i].paddr) == val[i].psram, "%s: PSRAM entry", c->name);
    }
    CHECK(!mm_mmu_esp32.psram_entry && !mm_mmu_esp32c3.psram_entry && !mm_mmu_esp32c6.psram_entry,
          "only the S3 runs code from PSRAM");
    CHECK(mm_mmu_esp32.invalid_entry == 0x100 && mm_mmu_esp32s3.invalid_entry == 0x4000 &&
              mm_mmu_esp32c3.invalid_entry == 0x100 && mm_mmu_esp32c6.invalid_entry == 0,
          "invalid entries");
    CHECK(mm_mmu_esp32.window_start == 0x400D0000u && mm_mmu_esp32.window_end == 0x40400000u &&
              mm_mmu_esp32s3.window_end == 0x44000000u && mm_mmu_esp32c3.window_end == 0x42800000u &&
              mm_mmu_esp32c6.window_end == 0x43000000u,
          "windows");
    return 1;
}

/* The same load on the classic ESP32's window (IRAM0 entries from 64). */
static int t_esp32_window(void) {
    mmu_reset(CHIP_ESP32, 0x40200000u);
    text_at = slot_fx.text_start = 0x40200000u, slot_fx.text_end = 0x40230000u;
    write_files();
    init_loader(0);
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK(mmu.table[96] == 0x21 && mmu.table[97] == 0x22 && mmu.table[98] == 0x100, "ESP32 entries %x %x %x",
          mmu.table[96], mmu.table[97], mmu.table[98]);
    CHECK(window_equals(0x40200000u, fa_code, FA_LEN), "window");
    CHECK_ERR(mm_load(&ld, "Fb"), MM_OK);
    CHECK(window_equals(0x40200000u, fb_code, FB_LEN) && window_unreadable(0x40210000u), "switch");
    return 1;
}

/* Every refusal: before eviction, no flash operation, no MMU write. */
static int refused_flash(mm_err_t want) {
    unsigned entries = mmu.writes;
    fm_counters_reset();
    CHECK_ERR(mm_load(&ld, "Fa"), want);
    CHECK_ERR(mm_verify(&ld, "Fa"), want);
    CHECK(fm.erases == 0 && fm.programs == 0 && mmu.writes == entries, "flash or MMU touched");
    CHECK(mm_is_loaded("Fb") && window_equals(FX_TEXT, fb_code, FB_LEN), "previous occupant lost");
    return 1;
}
static int t_refuse_without_flash(void) {
    CHECK_ERR(mm_load(&ld, "Fb"), MM_OK);
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = model_memory();
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    return refused_flash(MM_ERR_FLASH_NONE);
}
static int t_refuse_bad_offsets(void) {
    CHECK_ERR(mm_load(&ld, "Fb"), MM_OK);
    static const uint32_t bad[] = {0, 0x8000u, FA_OFFSET + 8, 0xF0000u /* image past the end */, 0x7FFF0000u};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lib_fa.flash_offset = bad[i];
        if (!refused_flash(MM_ERR_FLASH_LAYOUT)) return 0;
    }
    lib_fa.flash_offset = FB_OFFSET; /* two libraries, one image */
    return refused_flash(MM_ERR_FLASH_LAYOUT);
}
static int t_refuse_below_the_floor(void) {
    CHECK_ERR(mm_load(&ld, "Fb"), MM_OK);
    /* linked where the app's own .flash.text is mapped */
    text_at = slot_fx.text_start = 0x42000000u, slot_fx.text_end = 0x42430000u;
    spec_t s = spec("Fa", 'E', text_at, fa_code, FA_LEN);
    write_spec("Fa_e", &s);
    return refused_flash(MM_ERR_CODE_REGION);
}

static int t_verify_failure_leaves_image_invalid(void) {
    fm.stuck_at = FA_OFFSET + 0x4000u;
    fa_code[0x4000] &= 0xFE; /* needs bit 0 cleared: the worn cell keeps it set */
    write_files();
    CHECK_ERR(mm_load(&ld, "Fa"), MM_ERR_FLASH_VERIFY);
    CHECK(!mm_is_loaded("Fa") && window_unreadable(FX_TEXT), "a failed image was mapped");
    CHECK(!header_valid(0), "header written over a bad image");
    fm.stuck_at = -1;
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK(window_equals(FX_TEXT, fa_code, FA_LEN), "rewrite after the failure");
    return 1;
}

static int t_error_texts_for_flash(void) {
    for (int e = MM_ERR_FLASH_NONE; e <= MM_ERR_FLASH_MAP; e++)
        CHECK(strncmp(mm_errname((mm_err_t)e), "FLASH_", 6) == 0 && strlen(mm_strerror((mm_err_t)e)) > 20,
              "code %d: %s", e, mm_errname((mm_err_t)e));
    CHECK(MM_ERR__COUNT == MM_ERR_FLASH_MAP + 1, "codes appended after NO_CALL_HOOK");
    CHECK(strcmp(mm_errname(MM_ERR_FLASH_WORN), "FLASH_WORN") == 0, "name table out of order");
    return 1;
}

/* ---- the agent's FLASH_SLOTS request answered through mm_agent_flash_info ---------- */
static uint8_t agent_out[2048];
static size_t agent_out_len;
static void agent_output(void *ctx, const uint8_t *b, size_t n) {
    (void)ctx;
    if (agent_out_len + n <= sizeof agent_out) memcpy(agent_out + agent_out_len, b, n), agent_out_len += n;
}
static int no_space(void *ctx, uint64_t *total, uint64_t *used) {
    (void)ctx, *total = *used = 0;
    return 0;
}

/* Sends one request frame (protocol.md §1), each with a new seq (a repeated one would be
 * answered with the previous response), and returns the response's decoded body. */
static size_t agent_request(mm_agent_t *a, uint8_t type, const uint8_t *payload, size_t n, uint8_t *body) {
    static uint8_t seq;
    uint8_t frame[64], wire[80];
    frame[0] = type, frame[1] = 0, frame[2] = ++seq, frame[3] = 0;
    memcpy(frame + 4, payload, n);
    uint32_t crc = mm_crc32(0, frame, 4 + n);
    for (int k = 0; k < 4; k++) frame[4 + n + (size_t)k] = (uint8_t)(crc >> (8 * k));
    wire[0] = 0;
    size_t w = 1 + mm_cobs_encode(frame, 8 + n, wire + 1);
    wire[w++] = 0;
    agent_out_len = 0;
    mm_agent_feed(a, wire, w, 0);
    if (agent_out_len < 3 || agent_out[0] != 0 || agent_out[agent_out_len - 1] != 0) return 0;
    size_t len = mm_cobs_decode(agent_out + 1, agent_out_len - 2, body);
    return len == (size_t)-1 ? 0 : len;
}

static uint32_t le32_at(const uint8_t *p) {
    return p[0] | (p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int t_agent_reports_flash_slots(void) {
    CHECK_ERR(mm_load(&ld, "Fa"), MM_OK);
    CHECK_ERR(mm_load(&ld, "Fb"), MM_OK); /* Fb mapped, Fa not; one write each */
    static mm_agent_t agent;
    static const mm_agent_fs_t fs = {.df = no_space};
    mm_agent_config_t cfg = {.fs = &fs, .output = agent_output};
    mm_agent_init(&agent, &cfg);
    mm_agent_set_flash_info(&agent, mm_agent_flash_info, &ld);
    uint8_t body[1100];
    static const uint8_t hello[8] = {'E', 'S', 'P', '3', '2', 'M', 'M', 1};
    CHECK(agent_request(&agent, MM_FT_HELLO, hello, sizeof hello, body) > 4 && body[1] == MM_AGENT_OK,
          "HELLO not answered");
    const uint8_t start = 0;
    size_t n = agent_request(&agent, MM_FT_FLASH_SLOTS, &start, 1, body);
    CHECK(n > 10 && body[0] == (MM_FT_FLASH_SLOTS | MM_FT_RESPONSE) && body[1] == MM_AGENT_OK, "FLASH_SLOTS status %u",
          n ? body[1] : 255);
    const uint8_t *p = body + 4;
    CHECK(p[0] == 2 && p[1] == 0, "count %u more %u", p[0], p[1]);
    const char *names[2] = {"Fa", "Fb"};
    p += 2;
    for (int k = 0; k < 2; k++) {
        mm_flash_image_info_t info;
        CHECK_ERR(mm_flash_image_info(&ld, names[k], &info), MM_OK);
        uint8_t want_flags = (uint8_t)(info.valid | info.mapped << 1 | info.current << 2);
        CHECK(p[0] == info.index && le32_at(p + 1) == info.offset && le32_at(p + 5) == info.length &&
                  le32_at(p + 9) == info.writes && le32_at(p + 13) == info.write_limit && p[17] == want_flags,
              "image %d: index %u offset %x size %u writes %u flags %u", k, p[0], le32_at(p + 1), le32_at(p + 5),
              le32_at(p + 9), p[17]);
        CHECK(p[18] == 2 && memcmp(p + 19, names[k], 2) == 0, "image %d name", k);
        p += 19 + p[18];
    }
    CHECK(le32_at(body + 4 + 2 + 5) == FA_LEN && (body[4 + 2 + 17] & MM_AGENT_FLASH_MAPPED) == 0 &&
              (body[4 + 2 + 21 + 17] & MM_AGENT_FLASH_MAPPED) != 0,
          "Fa's size or the mapped flags");
    /* From the second image on: Fb only. */
    const uint8_t one = 1;
    n = agent_request(&agent, MM_FT_FLASH_SLOTS, &one, 1, body);
    CHECK(n > 6 && body[4] == 1 && body[6] == 1 && body[6 + 19] == 'F' && body[6 + 20] == 'b', "start 1");
    /* A loader without a partition has no flash slots: count 0. */
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = model_memory();
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    n = agent_request(&agent, MM_FT_FLASH_SLOTS, &start, 1, body);
    CHECK(n == 10 && body[1] == MM_AGENT_OK && body[4] == 0 && body[5] == 0, "without flash: n %zu count %u", n,
          body[4]);
    return 1;
}

static const test_t tests[] = {
    T(t_first_load_writes_and_maps),
    T(t_second_load_writes_nothing),
    T(t_switch_between_libraries_remaps_only),
    T(t_changed_library_rewrites_only_changed_sectors),
    T(t_new_firmware_build_rewrites_header_only),
    T(t_power_cut_at_every_point_of_a_rewrite),
    T(t_power_cut_at_every_point_of_a_first_write),
    T(t_write_limit_enforced),
    T(t_unmap_makes_window_unreadable),
    T(t_entry_values_match_trm_table),
    T(t_esp32_window),
    T(t_refuse_without_flash),
    T(t_refuse_bad_offsets),
    T(t_refuse_below_the_floor),
    T(t_verify_failure_leaves_image_invalid),
    T(t_error_texts_for_flash),
    T(t_agent_reports_flash_slots),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, sizeof tests / sizeof tests[0], setup); }
