#include "lib_files.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

uint8_t fw_id[32];
char dir[512];
char failure[512];

void put32(uint8_t *p, uint32_t v) { p[0] = v, p[1] = v >> 8, p[2] = v >> 16, p[3] = v >> 24; }

spec_t spec(const char *name, uint8_t kind, uint32_t load, const uint8_t *payload, uint32_t len) {
    spec_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "%s", name);
    s.kind = kind, s.version = 1, s.header_size = 128, s.load = load, s.payload = payload, s.len = len;
    memcpy(s.build_id, fw_id, 32);
    s.flip_header_byte = s.flip_payload_byte = -1;
    return s;
}

void write_spec(const char *file, const spec_t *s) {
    uint8_t h[128] = {'M', 'M', 'L', 'B'};
    h[4] = s->version & 0xFF, h[5] = s->version >> 8, h[6] = s->kind, h[7] = s->flags;
    put32(h + 8, s->header_size), put32(h + 12, s->load), put32(h + 16, s->len);
    put32(h + 20, (uint32_t)crc32(0, s->payload, s->len));
    put32(h + 24, s->bss_addr), put32(h + 28, s->bss_len), put32(h + 32, s->ctor_addr);
    put32(h + 36, s->ctor_count);
    memcpy(h + 48, s->name, strlen(s->name) < 32 ? strlen(s->name) : 32);
    memcpy(h + 80, s->build_id, 32);
    put32(h + 124, (uint32_t)crc32(0, h, 124));
    uint32_t total = 128 + s->len;
    uint8_t *buf = calloc(1, total + s->extra + 1);
    memcpy(buf, h, 128);
    memcpy(buf + 128, s->payload, s->len);
    if (s->flip_header_byte >= 0) buf[s->flip_header_byte] ^= 0x01;
    if (s->flip_payload_byte >= 0) buf[128 + s->flip_payload_byte] ^= 0x01;
    total = total - s->cut + s->extra;
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, total, f);
    fclose(f);
    free(buf);
}

int run_tests(int argc, char **argv, const test_t *tests, size_t n, void (*setup)(void)) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <scratch dir> [test name]\n", argv[0]);
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    int failed = 0, ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 2 && strcmp(argv[2], tests[i].name)) continue;
        setup();
        failure[0] = 0;
        int ok = tests[i].fn();
        ran++;
        if (ok)
            printf("ok - %s\n", tests[i].name);
        else
            printf("not ok - %s: %s\n", tests[i].name, failure), failed++;
        fflush(stdout);
    }
    printf("# %d tests, %d failed\n", ran, failed);
    return failed || !ran ? 1 : 0;
}
