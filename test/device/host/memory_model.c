#include "memory_model.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

model_t model;
static struct {
    uint32_t addr;
    void (*fn)(uint32_t);
} hooks[32];
static unsigned nhooks;

static void fault(const char *what, uintptr_t addr, uint32_t len) {
    fprintf(stderr, "MODEL FAULT: %s at 0x%08lx (+%u)\n", what, (unsigned long)addr, len);
    abort();
}
static int in(uintptr_t a, uint32_t len, uint32_t base, uint32_t size) {
    return a >= base && a - base <= size && len <= size - (a - base);
}
uint8_t *model_ptr(uint32_t addr, uint32_t len) {
    if (in(addr, len, IRAM_BASE, IRAM_SIZE)) return model.iram + (addr - IRAM_BASE);
    if (in(addr, len, DRAM_BASE, DRAM_SIZE)) return model.dram + (addr - DRAM_BASE);
    return 0;
}
void model_store_byte(uint32_t addr, uint8_t v) {
    if (in(addr, 1, IRAM_BASE, IRAM_SIZE)) fault("byte store to IRAM (LoadStoreError)", addr, 1);
    uint8_t *p = model_ptr(addr, 1);
    if (!p) fault("store to unmapped address", addr, 1);
    *p = v;
}
static int write_code(void *ctx, uintptr_t dst, const uint32_t *src, uint32_t nwords) {
    (void)ctx;
    model.writes++;
    if (dst & 3) fault("unaligned word store to IRAM", dst, nwords * 4);
    if (!in(dst, nwords * 4, IRAM_BASE, IRAM_SIZE)) fault("code write outside IRAM", dst, nwords * 4);
    for (uint32_t i = 0; i < nwords; i++) /* one 32-bit store per word */
        memcpy(model.iram + (dst - IRAM_BASE) + 4 * i, &src[i], 4);
    return 0;
}
static int write_data(void *ctx, uintptr_t dst, const void *src, uint32_t n) {
    (void)ctx;
    model.writes++;
    for (uint32_t i = 0; i < n; i++) model_store_byte((uint32_t)(dst + i), ((const uint8_t *)src)[i]);
    return 0;
}
static int zero_data(void *ctx, uintptr_t dst, uint32_t n) {
    (void)ctx;
    model.writes++;
    for (uint32_t i = 0; i < n; i++) model_store_byte((uint32_t)(dst + i), 0);
    return 0;
}
static void sync_code(void *ctx, uintptr_t addr, uint32_t len) {
    (void)ctx, (void)addr, (void)len;
    model.syncs++;
}
static void call(void *ctx, uintptr_t fn) {
    (void)ctx;
    uint8_t *p = model_ptr((uint32_t)fn, 4);
    if (!p || fn < IRAM_BASE || fn >= IRAM_BASE + IRAM_SIZE) fault("call to non-code address", fn, 0);
    if (model.ncalls < 64) model.calls[model.ncalls++] = fn;
    for (unsigned i = 0; i < nhooks; i++)
        if (hooks[i].addr == fn) hooks[i].fn((uint32_t)fn);
}
static uint32_t read_word(void *ctx, uintptr_t addr) {
    (void)ctx;
    uint8_t *p = model_ptr((uint32_t)addr, 4);
    if (!p || (addr & 3)) fault("bad word read", addr, 4);
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static mm_err_t check_code_region(void *ctx, uintptr_t addr, uint32_t len) {
    (void)ctx, (void)addr, (void)len;
    return model.code_region_answer;
}
mm_memory_t model_memory(void) {
    mm_memory_t m = {0, check_code_region, write_code, write_data, zero_data, sync_code, call, read_word};
    return m;
}
void model_reset(void) {
    memset(&model, 0, sizeof model);
    nhooks = 0;
}
void model_on_call(uint32_t addr, void (*fn)(uint32_t)) {
    hooks[nhooks].addr = addr;
    hooks[nhooks].fn = fn;
    nhooks++;
}
