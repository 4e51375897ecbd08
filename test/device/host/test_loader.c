/* Host unit tests of the loader core (firmware/src/mm_loader.c), built with
 * -fsanitize=address,undefined. Files are written by an independent writer (lib_files.c:
 * zlib's crc32, not the firmware's), read back through the real POSIX storage backend,
 * and loaded into memory_model.c, which faults on any non-word store to IRAM. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib_files.h"
#include "memory_model.h"
#include "mm_loader.h"
#include "mm_storage.h"

/* ---- the firmware's layout: slot "ai" with Alpha and Beta, slot "solo" with Gamma ---- */
#define AI_TEXT       0x40090000u
#define AI_TEXT_END   0x40091000u
#define AI_DATA       0x3FFD0000u
#define AI_DATA_END   0x3FFD0800u
#define SOLO_TEXT     0x40091000u
#define SOLO_TEXT_END 0x40091400u
#define SOLO_DATA     0x3FFD0800u
#define SOLO_DATA_END 0x3FFD0A00u

static mm_slot_t slot_ai = {"ai", AI_TEXT, AI_TEXT_END, AI_DATA, AI_DATA_END, 0, 0, 0, 0, 0};
/* solo bounds its bss separately (like a linker script whose data range excludes bss) */
#define SOLO_BSS     0x3FFD0A00u
#define SOLO_BSS_END 0x3FFD0A40u
static mm_slot_t slot_solo = {"solo", SOLO_TEXT, SOLO_TEXT_END, SOLO_DATA, SOLO_DATA_END, SOLO_BSS, SOLO_BSS_END, 0,
                              0,      0};
static mm_library_t lib_alpha = {"Alpha", &slot_ai, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0, 0}}, 0};
static mm_library_t lib_beta = {"Beta", &slot_ai, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0, 0}}, 0};
static mm_library_t lib_gamma = {"Gamma", &slot_solo, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {{0, 0}}, 0};

static mm_loader_t ld;

/* ---- library images ------------------------------------------------------------------- */
static uint8_t alpha_code[256], beta_code[128], gamma_code[64];
/* Alpha data: 16 bytes of data, then a 2-entry constructor table; bss 32 bytes after */
static uint8_t alpha_data[24], beta_data[13], gamma_data[8];
#define ALPHA_CTOR1 (AI_TEXT + 0x10)
#define ALPHA_CTOR2 (AI_TEXT + 0x40)
#define ALPHA_BSS   (AI_DATA + 0x100)

static void fill(uint8_t *p, uint32_t n, uint8_t seed) {
    for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + i * 7);
}

static spec_t alpha_e(void) { return spec("Alpha", 'E', AI_TEXT, alpha_code, sizeof alpha_code); }
static spec_t alpha_d(void) {
    spec_t s = spec("Alpha", 'D', AI_DATA, alpha_data, sizeof alpha_data);
    s.bss_addr = ALPHA_BSS, s.bss_len = 32, s.ctor_addr = AI_DATA + 16, s.ctor_count = 2;
    return s;
}
static spec_t beta_e(void) { return spec("Beta", 'E', AI_TEXT, beta_code, sizeof beta_code); }
static spec_t beta_d(void) {
    spec_t s = spec("Beta", 'D', AI_DATA, beta_data, sizeof beta_data); /* odd length */
    s.bss_addr = AI_DATA + 0x20, s.bss_len = 5;
    return s;
}
static spec_t gamma_e(void) { return spec("Gamma", 'E', SOLO_TEXT, gamma_code, sizeof gamma_code); }
static spec_t gamma_d(void) {
    spec_t s = spec("Gamma", 'D', SOLO_DATA, gamma_data, sizeof gamma_data);
    s.bss_addr = SOLO_BSS, s.bss_len = 0x40;
    return s;
}

static void write_good_files(void) {
    spec_t s;
    s = alpha_e(), write_spec("Alpha_e", &s);
    s = alpha_d(), write_spec("Alpha_d", &s);
    s = beta_e(), write_spec("Beta_e", &s);
    s = beta_d(), write_spec("Beta_d", &s);
    s = gamma_e(), write_spec("Gamma_e", &s);
    s = gamma_d(), write_spec("Gamma_d", &s);
}

/* destructor bookkeeping */
static char dtor_log[64];
static void dtor(void *arg) { strncat(dtor_log, (const char *)arg, sizeof dtor_log - strlen(dtor_log) - 1); }
static void alpha_ctor1(uint32_t a) {
    (void)a;
    mm_register_destructor(dtor, "a1");
}
static void alpha_ctor2(uint32_t a) {
    (void)a;
    mm_register_destructor(dtor, "a2");
}

static void setup(void) {
    model_reset();
    model.code_region_answer = MM_OK;
    memset(model.dram, 0xAA, sizeof model.dram); /* garbage: bss must be zeroed */
    dtor_log[0] = 0;
    for (int i = 0; i < 32; i++) fw_id[i] = (uint8_t)(0xC0 + i);
    fill(alpha_code, sizeof alpha_code, 1);
    fill(beta_code, sizeof beta_code, 50);
    fill(gamma_code, sizeof gamma_code, 90);
    fill(alpha_data, 16, 3);
    put32(alpha_data + 16, ALPHA_CTOR1);
    put32(alpha_data + 20, ALPHA_CTOR2);
    fill(beta_data, sizeof beta_data, 77);
    fill(gamma_data, sizeof gamma_data, 33);
    model_on_call(ALPHA_CTOR1, alpha_ctor1);
    model_on_call(ALPHA_CTOR2, alpha_ctor2);
    slot_ai.occupant = slot_solo.occupant = 0;
    lib_alpha.ndtors = lib_beta.ndtors = lib_gamma.ndtors = 0;
    lib_alpha.code_len = lib_beta.code_len = lib_gamma.code_len = 0;
    mm_register_library(&lib_alpha);
    mm_register_library(&lib_beta);
    mm_register_library(&lib_gamma);
    write_good_files();
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = model_memory();
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    mm_set_default_loader(&ld);
}

static int mem_equals(uint32_t addr, const uint8_t *want, uint32_t n) {
    uint8_t *p = model_ptr(addr, n);
    return p && memcmp(p, want, n) == 0;
}
static int mem_is(uint32_t addr, uint8_t v, uint32_t n) {
    uint8_t *p = model_ptr(addr, n);
    for (uint32_t i = 0; p && i < n; i++)
        if (p[i] != v) return 0;
    return p != 0;
}

/* ---- tests ------------------------------------------------------------------------------ */
static int t_load_copies_code_data_zeroes_bss_runs_ctors(void) {
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK(mm_is_loaded("Alpha"), "not marked loaded");
    CHECK(mem_equals(AI_TEXT, alpha_code, sizeof alpha_code), "code not copied");
    CHECK(mem_equals(AI_DATA, alpha_data, sizeof alpha_data), "data not copied");
    CHECK(mem_is(ALPHA_BSS, 0, 32), "bss not zeroed");
    CHECK(mem_is(ALPHA_BSS + 32, 0xAA, 4), "zeroed past bss");
    CHECK(model.syncs >= 1, "code not synced");
    CHECK(model.ncalls == 2 && model.calls[0] == ALPHA_CTOR1 && model.calls[1] == ALPHA_CTOR2,
          "ctors: %u calls, first 0x%lx", model.ncalls, (unsigned long)model.calls[0]);
    unsigned w = model.writes;
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK(model.writes == w && model.ncalls == 2, "second load of a loaded library copied again");
    return 1;
}

static int t_ctors_table_reversed_flag(void) {
    spec_t s = alpha_d();
    s.flags = MM_FLAG_CTORS_REVERSED;
    write_spec("Alpha_d", &s);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK(model.ncalls == 2 && model.calls[0] == ALPHA_CTOR2 && model.calls[1] == ALPHA_CTOR1,
          "expected .ctors order last-to-first");
    return 1;
}

static int t_ctors_markers_skipped(void) {
    put32(alpha_data + 16, 0xFFFFFFFFu); /* .ctors list markers */
    put32(alpha_data + 20, 0);
    spec_t e = alpha_d();
    write_spec("Alpha_d", &e);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK(model.ncalls == 0, "called a marker entry");
    return 1;
}

static int t_slot_eviction_and_swap_back(void) {
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK_ERR(mm_load(&ld, "Gamma"), MM_OK);
    CHECK_ERR(mm_load(&ld, "Beta"), MM_OK);
    CHECK(!mm_is_loaded("Alpha") && mm_is_loaded("Beta"), "Beta did not evict Alpha");
    CHECK(mm_is_loaded("Gamma"), "other slot affected");
    CHECK(strcmp(dtor_log, "a2a1") == 0, "Alpha's destructors on eviction: '%s'", dtor_log);
    CHECK(mem_equals(AI_TEXT, beta_code, sizeof beta_code), "Beta code not in slot");
    CHECK(mem_equals(AI_DATA, beta_data, sizeof beta_data), "Beta data not in slot");
    CHECK(mem_is(AI_DATA + 0x20, 0, 5), "Beta bss not zeroed");
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK(mm_is_loaded("Alpha") && !mm_is_loaded("Beta"), "swap back failed");
    CHECK(mem_equals(AI_TEXT, alpha_code, sizeof alpha_code), "Alpha code not restored");
    CHECK(mem_equals(SOLO_TEXT, gamma_code, sizeof gamma_code), "Gamma code damaged");
    CHECK(mem_is(SOLO_BSS, 0, 0x40), "Gamma bss (separate slot bss range) not zeroed");
    return 1;
}

static int t_unload_runs_destructors_and_poisons_code(void) {
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK_ERR(mm_unload(&ld, "Alpha"), MM_OK);
    CHECK(strcmp(dtor_log, "a2a1") == 0, "destructors '%s' (want last registered first)", dtor_log);
    CHECK(!mm_is_loaded("Alpha"), "still loaded");
    CHECK(mem_is(AI_TEXT, 0, sizeof alpha_code), "code not filled with zeros (illegal instr.)");
    CHECK_ERR(mm_unload(&ld, "Alpha"), MM_ERR_NOT_LOADED);
    CHECK_ERR(mm_unload(&ld, "Nope"), MM_ERR_UNKNOWN_LIBRARY);
    return 1;
}

/* Every refusal: the right code, the file named, nothing written, previous occupant intact. */
static int refused(const char *file, const spec_t *s, mm_err_t want, const char *lib) {
    CHECK_ERR(mm_load(&ld, "Beta"), MM_OK);
    unsigned writes = model.writes, calls = model.ncalls;
    write_spec(file, s);
    CHECK_ERR(mm_load(&ld, lib), want);
    CHECK(ld.last_error == want, "last_error %s", mm_errname(ld.last_error));
    CHECK(strcmp(ld.last_file, file) == 0, "last_file '%s', want '%s'", ld.last_file, file);
    CHECK(model.writes == writes, "memory written before the checks passed");
    CHECK(model.ncalls == calls, "a constructor was called");
    CHECK(!mm_is_loaded(lib), "refused library marked loaded");
    CHECK(mm_is_loaded("Beta") && mem_equals(AI_TEXT, beta_code, sizeof beta_code), "previous occupant lost");
    CHECK_ERR(mm_verify(&ld, lib), want);
    return 1;
}

static int t_refuse_bad_magic(void) {
    spec_t s = alpha_e();
    s.flip_header_byte = 0;
    return refused("Alpha_e", &s, MM_ERR_MAGIC, "Alpha");
}
static int t_refuse_version(void) {
    spec_t s = alpha_e();
    s.version = 2;
    return refused("Alpha_e", &s, MM_ERR_VERSION, "Alpha");
}
static int t_refuse_kind(void) {
    spec_t s = alpha_d();
    return refused("Alpha_e", &s, MM_ERR_KIND, "Alpha");
}
static int t_refuse_header_size(void) {
    spec_t s = alpha_e();
    s.header_size = 64;
    return refused("Alpha_e", &s, MM_ERR_HEADER_SIZE, "Alpha");
}
static int t_refuse_header_crc(void) {
    spec_t s = alpha_e();
    s.flip_header_byte = 13;
    return refused("Alpha_e", &s, MM_ERR_HEADER_CRC, "Alpha");
}
static int t_refuse_other_name(void) {
    spec_t s = gamma_e();
    return refused("Alpha_e", &s, MM_ERR_NAME, "Alpha");
}
static int t_refuse_build_id(void) {
    spec_t s = alpha_d();
    s.build_id[31] ^= 0x80;
    return refused("Alpha_d", &s, MM_ERR_BUILD_ID, "Alpha");
}
static int t_refuse_truncated(void) {
    spec_t s = alpha_e();
    s.cut = 4;
    return refused("Alpha_e", &s, MM_ERR_TRUNCATED, "Alpha");
}
static int t_refuse_header_only_truncated(void) {
    spec_t s = alpha_e();
    s.cut = 256 + 60;
    return refused("Alpha_e", &s, MM_ERR_TRUNCATED, "Alpha");
}
static int t_refuse_trailing_bytes(void) {
    spec_t s = alpha_d();
    s.extra = 1;
    return refused("Alpha_d", &s, MM_ERR_FILE_SIZE, "Alpha");
}
static int t_refuse_payload_crc_one_byte(void) {
    spec_t s = alpha_e();
    s.flip_payload_byte = 200;
    return refused("Alpha_e", &s, MM_ERR_PAYLOAD_CRC, "Alpha");
}
static int t_refuse_data_payload_crc(void) {
    spec_t s = alpha_d();
    s.flip_payload_byte = 3;
    return refused("Alpha_d", &s, MM_ERR_PAYLOAD_CRC, "Alpha");
}
static int t_refuse_code_too_big(void) {
    static uint8_t big[AI_TEXT_END - AI_TEXT + 4];
    spec_t s = spec("Alpha", 'E', AI_TEXT, big, sizeof big);
    return refused("Alpha_e", &s, MM_ERR_TOO_BIG, "Alpha");
}
static int t_refuse_data_too_big(void) {
    static uint8_t big[AI_DATA_END - AI_DATA + 1];
    spec_t s = spec("Alpha", 'D', AI_DATA, big, sizeof big);
    return refused("Alpha_d", &s, MM_ERR_TOO_BIG, "Alpha");
}
static int t_refuse_code_outside_slot(void) {
    spec_t s = alpha_e();
    s.load = SOLO_TEXT;
    return refused("Alpha_e", &s, MM_ERR_OUT_OF_SLOT, "Alpha");
}
static int t_refuse_code_straddling_slot_end(void) {
    spec_t s = alpha_e();
    s.load = AI_TEXT_END - 128;
    return refused("Alpha_e", &s, MM_ERR_OUT_OF_SLOT, "Alpha");
}
static int t_refuse_code_wraparound(void) {
    spec_t s = alpha_e();
    s.load = 0xFFFFFF00u;
    return refused("Alpha_e", &s, MM_ERR_OUT_OF_SLOT, "Alpha");
}
static int t_refuse_data_outside_slot(void) {
    spec_t s = alpha_d();
    s.load = AI_DATA - 4;
    s.ctor_count = 0;
    return refused("Alpha_d", &s, MM_ERR_OUT_OF_SLOT, "Alpha");
}
static int t_refuse_bss_outside_slot(void) {
    spec_t s = alpha_d();
    s.bss_addr = AI_DATA_END - 16;
    return refused("Alpha_d", &s, MM_ERR_OUT_OF_SLOT, "Alpha");
}
static int t_refuse_bss_past_separate_bss_range(void) {
    spec_t s = gamma_d();
    s.bss_len = 0x44;
    return refused("Gamma_d", &s, MM_ERR_OUT_OF_SLOT, "Gamma");
}
static int t_refuse_unaligned_code(void) {
    spec_t s = alpha_e();
    s.load = AI_TEXT + 2;
    return refused("Alpha_e", &s, MM_ERR_ALIGN, "Alpha");
}
static int t_refuse_ctor_table_outside_payload(void) {
    spec_t s = alpha_d();
    s.ctor_addr = AI_DATA + 20;
    return refused("Alpha_d", &s, MM_ERR_CTOR_RANGE, "Alpha");
}
static int t_refuse_missing_file(void) {
    char p[600];
    CHECK_ERR(mm_load(&ld, "Beta"), MM_OK);
    snprintf(p, sizeof p, "%s/Alpha_d", dir);
    unlink(p);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_ERR_OPEN);
    CHECK(strcmp(ld.last_file, "Alpha_d") == 0, "last_file %s", ld.last_file);
    CHECK(mm_is_loaded("Beta"), "previous occupant lost");
    return 1;
}
static int t_refuse_unknown_library(void) {
    CHECK_ERR(mm_load(&ld, "Nope"), MM_ERR_UNKNOWN_LIBRARY);
    CHECK_ERR(mm_load(&ld, "A_name_that_is_far_too_long_for_a_header"), MM_ERR_ARGUMENT);
    return 1;
}
static int t_refuse_when_firmware_not_split(void) {
    static const uint8_t zeros[32];
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = model_memory();
    mm_loader_init(&ld, &st, dir, &mem, zeros);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_ERR_NOT_SPLIT);
    CHECK(model.writes == 0, "wrote memory");
    return 1;
}
static int t_refuse_code_region_of_chip(void) {
    model.code_region_answer = MM_ERR_CODE_REGION; /* e.g. classic ESP32 + PSRAM code */
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_ERR_CODE_REGION);
    CHECK(model.writes == 0, "wrote memory");
    return 1;
}

/* A constructor pointer outside the code is found by verification: the running library
 * of the slot is not evicted, and mm_verify refuses too. */
static int t_refuse_ctor_pointing_outside_code(void) {
    put32(alpha_data + 20, SOLO_TEXT); /* valid IRAM, but not Alpha's code */
    spec_t s = alpha_d();
    return refused("Alpha_d", &s, MM_ERR_CTOR_RANGE, "Alpha");
}
/* The table may start at any payload offset (data with odd alignment before it). */
static int t_refuse_ctor_outside_code_in_unaligned_payload(void) {
    static uint8_t data[27];
    fill(data, sizeof data, 9);
    put32(data + 23, SOLO_TEXT + 0x12); /* payload offset 23 = address AI_DATA + 24: Gamma's code */
    spec_t s = spec("Alpha", 'D', AI_DATA + 1, data, sizeof data);
    s.ctor_addr = AI_DATA + 24, s.ctor_count = 1;
    return refused("Alpha_d", &s, MM_ERR_CTOR_RANGE, "Alpha");
}

static mm_memory_t memory_without_call_hook(void) {
    mm_memory_t mem = model_memory();
    mem.call = 0;
    return mem;
}
static int t_refuse_ctors_without_call_hook(void) {
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = memory_without_call_hook();
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    spec_t s = alpha_d();
    return refused("Alpha_d", &s, MM_ERR_NO_CALL_HOOK, "Alpha");
}
static int t_markers_only_load_without_call_hook(void) {
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = memory_without_call_hook();
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    put32(alpha_data + 16, 0xFFFFFFFFu);
    put32(alpha_data + 20, 0);
    spec_t s = alpha_d();
    write_spec("Alpha_d", &s);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    return 1;
}

/* A folder that does not fit is an error, never shortened to the storage root. */
static int t_folder_too_long_is_an_error(void) {
    mm_storage_t st = mm_storage_posix();
    mm_memory_t mem = model_memory();
    char longest[MM_DIR_MAX], too_long[MM_DIR_MAX + 1];
    memset(longest, 'a', sizeof longest - 1), longest[sizeof longest - 1] = 0;
    memset(too_long, 'a', sizeof too_long - 1), too_long[sizeof too_long - 1] = 0;
    CHECK(strlen(longest) == 31, "MM_DIR_MAX changed: %zu", strlen(longest));
    CHECK_ERR(mm_loader_init(&ld, &st, longest, &mem, fw_id), MM_OK);
    CHECK_ERR(mm_loader_init(&ld, &st, too_long, &mem, fw_id), MM_ERR_DIR_TOO_LONG);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_ERR_DIR_TOO_LONG);
    CHECK_ERR(mm_verify(&ld, "Alpha"), MM_ERR_DIR_TOO_LONG);
    CHECK(model.writes == 0 && !mm_is_loaded("Alpha"), "loaded from another folder");
    return 1;
}

/* Storage that delivers 1..7 bytes per read and, if asked, other content on the 2nd open. */
static int opens, change_on_open;
static void *flaky_open(void *c, const char *path) {
    opens++;
    if (change_on_open && opens == change_on_open) {
        spec_t s = alpha_e();
        alpha_code[5] ^= 0xFF; /* the card content changes between verify and copy */
        write_spec("Alpha_e", &s);
        alpha_code[5] ^= 0xFF;
    }
    return mm_storage_posix().ops->open(c, path);
}
static int32_t flaky_read(void *c, void *f, void *buf, uint32_t n) {
    static uint32_t k;
    uint32_t m = 1 + (k++ % 7);
    return mm_storage_posix().ops->read(c, f, buf, n < m ? n : m);
}
static int32_t posix_size_(void *c, void *f) { return mm_storage_posix().ops->size(c, f); }
static void posix_close_(void *c, void *f) { mm_storage_posix().ops->close(c, f); }
static const mm_storage_ops_t flaky_ops = {flaky_open, posix_size_, flaky_read, posix_close_};

static int t_short_reads_load_correctly(void) {
    mm_storage_t st = {&flaky_ops, 0};
    mm_memory_t mem = model_memory();
    opens = change_on_open = 0;
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_OK);
    CHECK(mem_equals(AI_TEXT, alpha_code, sizeof alpha_code), "code differs");
    return 1;
}
static int t_file_changed_between_verify_and_copy(void) {
    mm_storage_t st = {&flaky_ops, 0};
    mm_memory_t mem = model_memory();
    opens = 0, change_on_open = 3; /* opens: verify e, verify d, copy e */
    mm_loader_init(&ld, &st, dir, &mem, fw_id);
    CHECK_ERR(mm_load(&ld, "Alpha"), MM_ERR_CHANGED);
    CHECK(!mm_is_loaded("Alpha") && model.ncalls == 0, "changed file was used");
    CHECK(mem_is(AI_TEXT, 0, sizeof alpha_code), "partial copy left executable");
    return 1;
}

static int lazy_calls;
static int fake_lib_fn(int a) {
    lazy_calls++;
    return a + 1;
}
MM_LAZY(Gamma, int, fake_lib_fn, (int a), (a), -1)
/* a library function named like our API: its wrapper is mm_lazy_load, not mm_load */
static int load(int a) { return a * 2; }
MM_LAZY(Gamma, int, load, (int a), (a), -1)
static int t_lazy_wrapper_loads_on_first_call(void) {
    CHECK(!mm_is_loaded("Gamma"), "precondition");
    CHECK(mm_lazy_fake_lib_fn(41) == 42, "wrapper result");
    CHECK(mm_is_loaded("Gamma"), "wrapper did not load");
    CHECK(mm_lazy_load(4) == 8, "wrapper of a function named load");
    unsigned w = model.writes;
    CHECK(mm_lazy_fake_lib_fn(1) == 2 && model.writes == w, "second call reloaded");
    spec_t s = gamma_e();
    s.flip_payload_byte = 0;
    write_spec("Gamma_e", &s);
    CHECK_ERR(mm_unload(&ld, "Gamma"), MM_OK);
    lazy_calls = 0;
    CHECK(mm_lazy_fake_lib_fn(1) == -1, "fallback not returned");
    CHECK(lazy_calls == 0, "called into a library that failed its checks");
    mm_set_default_loader(0);
    CHECK(mm_require("Gamma") == MM_ERR_NO_LOADER, "no loader");
    return 1;
}

static int t_error_texts(void) {
    for (int e = 0; e < MM_ERR__COUNT; e++) {
        CHECK(mm_strerror((mm_err_t)e)[0] && strcmp(mm_errname((mm_err_t)e), "UNKNOWN"), "code %d", e);
        for (int f = 0; f < e; f++)
            CHECK(strcmp(mm_errname((mm_err_t)e), mm_errname((mm_err_t)f)), "duplicate name %d", e);
    }
    CHECK(strcmp(mm_errname(MM_ERR_PAYLOAD_CRC), "PAYLOAD_CRC") == 0, "name table out of order");
    CHECK(strcmp(mm_errname(MM_ERR_NO_LOADER), "NO_LOADER") == 0, "name table out of order");
    CHECK(strcmp(mm_errname(MM_ERR_NO_CALL_HOOK), "NO_CALL_HOOK") == 0, "name table out of order");
    CHECK(strcmp(mm_strerror((mm_err_t)999), "unknown error") == 0, "out of range");
    return 1;
}

/* The model itself must fault on a byte store to IRAM: run it in a child process. */
static int t_model_faults_on_byte_store_to_iram(void) {
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 2);
        model_store_byte(AI_TEXT + 1, 0x55);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "byte store to IRAM did not fault");
    return 1;
}

static const test_t tests[] = {
    T(t_load_copies_code_data_zeroes_bss_runs_ctors),
    T(t_ctors_table_reversed_flag),
    T(t_ctors_markers_skipped),
    T(t_slot_eviction_and_swap_back),
    T(t_unload_runs_destructors_and_poisons_code),
    T(t_refuse_bad_magic),
    T(t_refuse_version),
    T(t_refuse_kind),
    T(t_refuse_header_size),
    T(t_refuse_header_crc),
    T(t_refuse_other_name),
    T(t_refuse_build_id),
    T(t_refuse_truncated),
    T(t_refuse_header_only_truncated),
    T(t_refuse_trailing_bytes),
    T(t_refuse_payload_crc_one_byte),
    T(t_refuse_data_payload_crc),
    T(t_refuse_code_too_big),
    T(t_refuse_data_too_big),
    T(t_refuse_code_outside_slot),
    T(t_refuse_code_straddling_slot_end),
    T(t_refuse_code_wraparound),
    T(t_refuse_data_outside_slot),
    T(t_refuse_bss_outside_slot),
    T(t_refuse_bss_past_separate_bss_range),
    T(t_refuse_unaligned_code),
    T(t_refuse_ctor_table_outside_payload),
    T(t_refuse_missing_file),
    T(t_refuse_unknown_library),
    T(t_refuse_when_firmware_not_split),
    T(t_refuse_code_region_of_chip),
    T(t_refuse_ctor_pointing_outside_code),
    T(t_refuse_ctor_outside_code_in_unaligned_payload),
    T(t_refuse_ctors_without_call_hook),
    T(t_markers_only_load_without_call_hook),
    T(t_folder_too_long_is_an_error),
    T(t_short_reads_load_correctly),
    T(t_file_changed_between_verify_and_copy),
    T(t_lazy_wrapper_loads_on_first_call),
    T(t_error_texts),
    T(t_model_faults_on_byte_store_to_iram),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, sizeof tests / sizeof tests[0], setup); }
