/* C-level tests of the agent core, built with ASan/UBSan by test/tools/transfer/agent-c.test.ts:
 * path confinement table, dormant pass-through of console input, HELLO wake-up, and a fuzz
 * run (random bytes and mutated valid frames) against a filesystem that aborts on any path
 * outside the served folder. Prints "ok <checks>" and exits 0 on success. */
#include "mm_agent.h"
#include "mm_crc32.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks, failures;
#define CHECK(cond, ...)                                \
    do {                                                \
        checks++;                                       \
        if (!(cond)) {                                  \
            failures++;                                 \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                        \
            printf("\n");                               \
        }                                               \
    } while (0)

/* ---- a tiny filesystem: one file's contents, any number of names; aborts on escape ---- */
static const char *ROOT = "/mm";
static void confined(const char *path) {
    size_t n = strlen(ROOT);
    if (strncmp(path, ROOT, n) != 0 || (path[n] != 0 && path[n] != '/') || strstr(path, "/../") ||
        strstr(path, "/./")) {
        printf("ESCAPE: the agent touched %s\n", path);
        abort();
    }
}
static uint8_t store[64 * 1024];
static uint32_t store_len;
static int t_open(void *c, const char *p, int mode, void **f) {
    (void)c;
    confined(p);
    if (mode == MM_FS_WRITE) store_len = 0;
    *f = store;
    return 0;
}
static int32_t t_read(void *c, void *f, void *b, uint32_t n) {
    (void)c;
    (void)f;
    if (n > store_len) n = store_len;
    memcpy(b, store, n);
    return (int32_t)n;
}
static int32_t t_write(void *c, void *f, const void *b, uint32_t n) {
    (void)c;
    (void)f;
    if (store_len + n > sizeof store) return -MM_AGENT_FULL;
    memcpy(store + store_len, b, n);
    store_len += n;
    return (int32_t)n;
}
static int t_close(void *c, void *f) {
    (void)c;
    (void)f;
    return 0;
}
static int t_stat(void *c, const char *p, mm_fs_entry_t *e) {
    (void)c;
    confined(p);
    e->is_dir = strcmp(p, ROOT) == 0;
    e->size = store_len;
    e->name[0] = 0;
    return 0;
}
static int t_path(void *c, const char *p) {
    (void)c;
    confined(p);
    return 0;
}
static int t_rename(void *c, const char *a, const char *b) {
    (void)c;
    confined(a);
    confined(b);
    return 0;
}
static int t_list(void *c, const char *p, uint32_t i, mm_fs_entry_t *e) {
    (void)c;
    confined(p);
    if (i >= 3) return 0;
    snprintf(e->name, sizeof e->name, "f%u", (unsigned)i);
    e->is_dir = 0;
    e->size = i;
    return 1;
}
static int t_df(void *c, uint64_t *t, uint64_t *u) {
    (void)c;
    *t = 1 << 20;
    *u = store_len;
    return 0;
}
static const mm_agent_fs_t FS = {NULL,   t_open,   t_read, t_write, t_close, t_stat,
                                 t_path, t_rename, t_path, t_list,  t_df};

static uint8_t out[1 << 16];
static size_t out_len;
static void on_output(void *c, const uint8_t *b, size_t n) {
    (void)c;
    if (out_len + n > sizeof out) out_len = 0;
    memcpy(out + out_len, b, n);
    out_len += n;
}
static uint8_t console_buf[4096];
static size_t console_len;
static void on_console(void *c, const uint8_t *b, size_t n) {
    (void)c;
    if (console_len + n <= sizeof console_buf) {
        memcpy(console_buf + console_len, b, n);
        console_len += n;
    }
}

static size_t frame(uint8_t type, uint16_t seq, const uint8_t *payload, size_t n, uint8_t *wire) {
    uint8_t body[MM_AGENT_BODY_MAX];
    body[0] = type;
    body[1] = 0;
    body[2] = (uint8_t)seq;
    body[3] = (uint8_t)(seq >> 8);
    if (n) memcpy(body + 4, payload, n);
    uint32_t crc = mm_crc32(0, body, 4 + n);
    for (int i = 0; i < 4; i++) body[4 + n + i] = (uint8_t)(crc >> (8 * i));
    wire[0] = 0;
    size_t w = 1 + mm_cobs_encode(body, 8 + n, wire + 1);
    wire[w++] = 0;
    return w;
}

static void test_resolve(void) {
    struct {
        const char *in;
        int want;
        const char *out;
    } t[] = {
        {"Lib_e", 1, "/mm/Lib_e"},
        {"/mm/Lib_e", 1, "/mm/Lib_e"},
        {"/mm/sub/x", 1, "/mm/sub/x"},
        {"/mm", 0, "/mm"},
        {"", 0, "/mm"},
        {"/mm/", 0, "/mm"},
        {"/etc/passwd", -MM_AGENT_REFUSED, 0},
        {"/mmx/a", -MM_AGENT_REFUSED, 0},
        {"../x", -MM_AGENT_REFUSED, 0},
        {"/mm/../x", -MM_AGENT_REFUSED, 0},
        {"a/./b", -MM_AGENT_REFUSED, 0},
        {"a//b", -MM_AGENT_REFUSED, 0},
        {"a\\b", -MM_AGENT_REFUSED, 0},
        {"c:x", -MM_AGENT_REFUSED, 0},
        {"x.part", -MM_AGENT_REFUSED, 0},
        {"a/..", -MM_AGENT_REFUSED, 0},
        {"a\x01", -MM_AGENT_REFUSED, 0},
        {"/", -MM_AGENT_REFUSED, 0},
    };
    char buf[MM_AGENT_FULL_PATH];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int r = mm_agent_resolve(ROOT, t[i].in, strlen(t[i].in), buf, sizeof buf);
        CHECK(r == t[i].want, "resolve(%s) = %d, want %d", t[i].in, r, t[i].want);
        if (r >= 0 && t[i].out) CHECK(strcmp(buf, t[i].out) == 0, "resolve(%s) -> %s", t[i].in, buf);
    }
    char longp[200];
    memset(longp, 'a', sizeof longp);
    longp[MM_AGENT_MAX_PATH + 1] = 0;
    CHECK(mm_agent_resolve(ROOT, longp, strlen(longp), buf, sizeof buf) == -MM_AGENT_NAME_TOO_LONG, "long name");
    CHECK(mm_agent_resolve(ROOT, "a\0b", 3, buf, sizeof buf) == -MM_AGENT_REFUSED, "embedded NUL");
}

static void test_dormant_and_wake(mm_agent_t *a) {
    const char *typed = "help\r\nstatus\r\n";
    out_len = console_len = 0;
    mm_agent_feed(a, (const uint8_t *)typed, strlen(typed), 1);
    CHECK(console_len == strlen(typed) && memcmp(console_buf, typed, console_len) == 0,
          "console input passed through (%zu bytes)", console_len);
    CHECK(out_len == 0, "dormant agent is silent");
    /* a valid non-HELLO frame does not wake it */
    uint8_t wire[MM_AGENT_WIRE_MAX];
    size_t n = frame(MM_FT_DF, 1, NULL, 0, wire);
    mm_agent_feed(a, wire, n, 2);
    CHECK(out_len == 0 && !a->active, "DF while dormant ignored");
    /* HELLO with the wrong magic: ignored */
    n = frame(MM_FT_HELLO, 2, (const uint8_t *)"ESP32XX\x01", 8, wire);
    mm_agent_feed(a, wire, n, 3);
    CHECK(out_len == 0 && !a->active, "bad magic ignored");
    /* HELLO, fed one byte at a time: wakes and answers */
    n = frame(MM_FT_HELLO, 3, (const uint8_t *)"ESP32MM\x01", 8, wire);
    for (size_t i = 0; i < n; i++) mm_agent_feed(a, wire + i, 1, 4);
    CHECK(a->active && out_len > 60 && out[0] == 0 && out[out_len - 1] == 0, "HELLO answered (%zu bytes)", out_len);
    /* idle timeout: dormant again */
    mm_agent_tick(a, 4 + MM_AGENT_IDLE_MS + 1);
    CHECK(!a->active, "idle session ends");
}

static uint32_t rng = 12345;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void fuzz(mm_agent_t *a, int rounds) {
    uint8_t wire[MM_AGENT_WIRE_MAX + 64], payload[MM_AGENT_MAX_DATA + 4];
    uint8_t hello[] = "ESP32MM\x01";
    size_t n = frame(MM_FT_HELLO, 9, hello, 8, wire);
    mm_agent_feed(a, wire, n, 10);
    for (int r = 0; r < rounds; r++) {
        uint8_t type = (uint8_t)(rnd() % 12);
        size_t len = rnd() % (r % 7 == 0 ? sizeof payload : 80);
        for (size_t i = 0; i < len; i++) payload[i] = (uint8_t)rnd();
        if (type == MM_FT_OPEN && len > 10) { /* mostly sensible sizes and hostile paths */
            payload[0] = (uint8_t)rnd();
            payload[1] = (uint8_t)(rnd() % 4);
            payload[2] = payload[3] = 0;
            const char *paths[] = {"../../etc/x", "/mm/ok", "ok", "/mm/a/../../b", "/x", "a//b"};
            const char *p = paths[rnd() % 6];
            payload[9] = (uint8_t)strlen(p);
            memcpy(payload + 10, p, strlen(p));
            len = 10 + strlen(p);
        }
        if (type == MM_FT_HELLO || type == MM_FT_BYE) type = MM_FT_DF; /* stay in the session */
        n = frame(type, (uint16_t)rnd(), payload, len, wire);
        if (rnd() % 3 == 0) wire[1 + rnd() % (n - 2)] ^= (uint8_t)(1 + rnd() % 255); /* corrupt */
        if (rnd() % 5 == 0) {
            for (size_t i = 0; i < 64; i++) wire[n + i] = (uint8_t)rnd();
            n += 64;
        } /* noise */
        mm_agent_feed(a, wire, n, 10 + (uint32_t)r);
    }
    CHECK(a->active, "still in session after fuzzing");
}

int main(void) {
    static mm_agent_t agent;
    mm_agent_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fs = &FS;
    cfg.root = ROOT;
    cfg.output = on_output;
    cfg.passthrough = on_console;
    mm_agent_init(&agent, &cfg);
    test_resolve();
    test_dormant_and_wake(&agent);
    fuzz(&agent, 200000);
    printf("%s %d checks, %d failures\n", failures ? "FAILED" : "ok", checks, failures);
    return failures ? 1 : 0;
}
