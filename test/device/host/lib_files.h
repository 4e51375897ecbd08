/* Shared by the host tests of the loader (test_loader.c) and of flash slots
 * (test_flash.c): an independent writer of <lib>_e / <lib>_d files (zlib's crc32, not the
 * firmware's), the CHECK macros and the runner. Output: one line per test, "ok - name" or
 * "not ok - name: why"; exit status 1 if any failed. `<exe> <dir> <name>` runs one test. */
#ifndef LIB_FILES_H
#define LIB_FILES_H
#include <stdint.h>
#include <stdio.h>
#include "mm_loader.h"

extern uint8_t fw_id[32]; /* the firmware build id the files are written for */
extern char dir[512];     /* the scratch folder the files go to */
extern char failure[512];

#define CHECK(cond, ...)                                    \
    do {                                                    \
        if (!(cond)) {                                      \
            snprintf(failure, sizeof failure, __VA_ARGS__); \
            return 0;                                       \
        }                                                   \
    } while (0)
#define CHECK_ERR(expr, want)                                                                    \
    do {                                                                                         \
        mm_err_t got_ = (expr);                                                                  \
        CHECK(got_ == (want), "%s: got %s, want %s", #expr, mm_errname(got_), mm_errname(want)); \
    } while (0)

typedef struct {
    char name[40];
    uint8_t kind, flags;
    uint16_t version;
    uint32_t header_size, load, bss_addr, bss_len, ctor_addr, ctor_count;
    const uint8_t *payload;
    uint32_t len;
    uint8_t build_id[32];
    /* damage applied after sealing */
    int flip_header_byte, flip_payload_byte; /* -1 none */
    int cut, extra;                          /* bytes removed / appended at the end */
} spec_t;

void put32(uint8_t *p, uint32_t v);
spec_t spec(const char *name, uint8_t kind, uint32_t load, const uint8_t *payload, uint32_t len);
void write_spec(const char *file, const spec_t *s);

typedef struct {
    const char *name;
    int (*fn)(void);
} test_t;
#define T(f) \
    { #f + 2, f }
int run_tests(int argc, char **argv, const test_t *tests, size_t n, void (*setup)(void));
#endif
