/* Memory writer for ESP32-family chips (ESP-IDF and Arduino-ESP32 define ESP_PLATFORM).
 *
 * What each chip needs (docs/design.md §6, §8):
 *  - ESP32:    IRAM 0x40080000-0x400A0000 accepts only aligned 32-bit stores (a byte store
 *              raises LoadStoreError), so code is written word by word at its own
 *              address. The chip cannot execute from PSRAM: such files are refused.
 *  - ESP32-S2: IRAM 0x40020000-0x40070000 is written through its data alias (I - 0x70000).
 *  - ESP32-S3: IRAM 0x40370000-0x403E0000 written through its data alias (I - 0x6F0000).
 *              Code in PSRAM (instruction window 0x42000000-0x44000000, data alias
 *              I - 0x06000000) is written through the data cache, then written back to
 *              PSRAM and the instruction cache is invalidated for that range.
 *  - ESP32-C3: IRAM 0x4037C000-0x403E0000 written through its data alias (I - 0x700000),
 *              then `fence.i`.
 *  - ESP32-C6: one address for code and data (0x40800000-0x40880000); `fence.i`.
 *
 * NOT TESTED HERE (no hardware, QEMU has no such alias or cache model): the alias
 * offsets, the S3 PSRAM cache write-back, and ESP-IDF's memory protection. With
 * CONFIG_ESP_SYSTEM_MEMPROT_FEATURE enabled (default on S2/S3/C3/C6) IRAM is not
 * writable through the data bus after boot and the first write faults: disable it in
 * menuconfig (Component config > ESP System Settings > Memory protection) for
 * firmware that loads libraries into IRAM. */
#include "mm_port.h"
#if defined(ESP_PLATFORM)
#include "sdkconfig.h"

typedef struct {
    uintptr_t start, end;
    intptr_t data_offset;
} code_region_t;

#if CONFIG_IDF_TARGET_ESP32
/* the application IRAM (SRAM0); SRAM1's instruction alias 0x400A0000-0x400C0000 is the
 * heap's DRAM and is not offered for library code */
static const code_region_t code_regions[] = {{0x40080000u, 0x400A0000u, 0}};
#define MM_PORT_NAME "esp32"
#elif CONFIG_IDF_TARGET_ESP32S2
static const code_region_t code_regions[] = {{0x40020000u, 0x40070000u, -0x70000}};
#define MM_PORT_NAME "esp32s2"
#elif CONFIG_IDF_TARGET_ESP32S3
#define MM_S3_PSRAM_CODE_START 0x42000000u
#define MM_S3_PSRAM_CODE_END   0x44000000u
static const code_region_t code_regions[] = {{0x40370000u, 0x403E0000u, -0x6F0000},
                                             {MM_S3_PSRAM_CODE_START, MM_S3_PSRAM_CODE_END, -0x06000000}};
#define MM_PORT_NAME           "esp32s3"
#elif CONFIG_IDF_TARGET_ESP32C3
static const code_region_t code_regions[] = {{0x4037C000u, 0x403E0000u, -0x700000}};
#define MM_PORT_NAME "esp32c3"
#elif CONFIG_IDF_TARGET_ESP32C6
static const code_region_t code_regions[] = {{0x40800000u, 0x40880000u, 0}};
#define MM_PORT_NAME "esp32c6"
#else
#error "ESP32 Memory Manager: this ESP chip has no memory port yet (mm_port_esp.c)"
#endif

#if CONFIG_IDF_TARGET_ESP32S3
#if __has_include("esp_cache.h")
#include "esp_cache.h"
#define MM_HAVE_ESP_CACHE_MSYNC 1
#else
#include "rom/cache.h"
#endif
#endif

#define N_REGIONS (sizeof code_regions / sizeof code_regions[0])

static const code_region_t *region_of(uintptr_t addr, uint32_t len) {
    for (unsigned i = 0; i < N_REGIONS; i++)
        if (addr >= code_regions[i].start && addr <= code_regions[i].end && len <= code_regions[i].end - addr)
            return &code_regions[i];
    return 0;
}

static mm_err_t check_code_region(void *ctx, uintptr_t addr, uint32_t len) {
    (void)ctx;
    /* classic ESP32: PSRAM (0x3F800000-0x3FC00000) is data-bus only, so it is not in
     * code_regions and is refused here like every other non-executable address */
    return region_of(addr, len) ? MM_OK : MM_ERR_CODE_REGION;
}

static int write_code(void *ctx, uintptr_t dst, const uint32_t *src, uint32_t nwords) {
    (void)ctx;
    const code_region_t *r = region_of(dst, nwords * 4);
    if (!r) return -1;
    volatile uint32_t *d = (volatile uint32_t *)(dst + r->data_offset);
    for (uint32_t i = 0; i < nwords; i++) d[i] = src[i]; /* 32-bit stores only */
    return 0;
}
static void sync_code(void *ctx, uintptr_t addr, uint32_t len) {
    (void)ctx, (void)addr, (void)len;
#if CONFIG_IDF_TARGET_ESP32S3
    if (addr >= MM_S3_PSRAM_CODE_START && addr < MM_S3_PSRAM_CODE_END) {
        uintptr_t data = addr - 0x06000000u;
#if MM_HAVE_ESP_CACHE_MSYNC
        esp_cache_msync((void *)data, len, ESP_CACHE_MSYNC_FLAG_DIR_C2M | ESP_CACHE_MSYNC_FLAG_UNALIGNED);
#else
        Cache_WriteBack_Addr(data, len);
#endif
        Cache_Invalidate_ICache_Items(addr, len);
    }
#endif
    mm_port_instruction_barrier();
}
static void call(void *ctx, uintptr_t fn) {
    (void)ctx;
    ((void (*)(void))fn)();
}

mm_memory_t mm_port_memory(void) {
    mm_memory_t m = {0, check_code_region, write_code, 0, 0, sync_code, call, 0};
    return m;
}
const char *mm_port_name(void) { return MM_PORT_NAME; }
#endif
