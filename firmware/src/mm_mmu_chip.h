/* ESP32 Memory Manager: the flash-cache MMU of each chip, for flash slots (mm_flash.h).
 *
 * Each chip file (mm_mmu_esp32.c, mm_mmu_esp32s3.c, mm_mmu_esp32c3.c, mm_mmu_esp32c6.c)
 * describes its MMU with pure functions, compiled on every host so the tests can check
 * them against the ESP-IDF HAL / TRM facts, and, under ESP_PLATFORM for its own target
 * only, the register writes and cache sync (mm_port_mmu()).
 *
 * mm_mmu_over_table() turns a chip description and an entry writer into the mm_mmu_t
 * the loader uses: the registers on the chip, a model of the table in the host tests. */
#ifndef MM_MMU_CHIP_H
#define MM_MMU_CHIP_H

/* MM_ESP_IDF_FLASH: the build is a real ESP-IDF one with what flash slots call (ESP-IDF 5.x,
 * Arduino-ESP32 3.x): esp_partition and the cache-off call of esp_private/cache_utils.h.
 * Only then are the chip's MMU writers, mm_port_mmu() and mm_flash_esp_partition() built;
 * elsewhere (older SDKs, the framework stand-in of the examples' tests) a firmware that
 * uses flash slots fails to link, and every other firmware builds as before. */
#if defined(ESP_PLATFORM) && defined(__has_include)
#if __has_include("esp_private/cache_utils.h") && __has_include("esp_partition.h")
#define MM_ESP_IDF_FLASH 1
#endif
#endif
#include <stdint.h>
#include "mm_flash.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_mmu_chip {
    const char *name;
    uintptr_t window_start, window_end; /* instruction window the MMU maps (64 KB pages) */
    /* Table entry that translates the 64 KB page holding vaddr (inside the window). */
    uint32_t (*entry_index)(uintptr_t vaddr);
    /* Entry value for the physical flash page at paddr (a multiple of 64 KB). */
    uint32_t (*flash_entry)(uint32_t paddr);
    /* Entry value for the PSRAM page at paddr; NULL: this chip runs no code from PSRAM. */
    uint32_t (*psram_entry)(uint32_t paddr);
    uint32_t invalid_entry; /* an unmapped page: an access faults */
    uint32_t max_paddr;     /* physical flash the entries can address */
} mm_mmu_chip_t;

extern const mm_mmu_chip_t mm_mmu_esp32, mm_mmu_esp32s3, mm_mmu_esp32c3, mm_mmu_esp32c6;

typedef struct mm_mmu_table {
    const mm_mmu_chip_t *chip;
    /* lowest address a flash slot may use (above the app's own .flash.text); 0 = window start */
    uintptr_t floor;
    void *ctx;
    void (*write_entry)(void *ctx, uint32_t index, uint32_t value);
    void (*sync)(void *ctx, uintptr_t vaddr, uint32_t len); /* NULL: nothing to sync */
} mm_mmu_table_t;

/* An mm_mmu_t over `table` (which must outlive it). */
mm_mmu_t mm_mmu_over_table(const mm_mmu_table_t *table);

#if defined(ESP_PLATFORM)
/* The MMU of the chip this firmware is built for; floor as in mm_mmu_table_t
 * (mm_mmu_esp.c). */
mm_mmu_t mm_port_mmu(uintptr_t floor);
/* Private, one definition in the chip file of the build's target: its description, the
 * register write of one entry, and (ESP32 only; the others share mm_mmu_esp.c's) the
 * cache sync. Called with the caches disabled, from IRAM. */
extern const mm_mmu_chip_t *const mm__port_chip;
void mm__port_write_entry(uint32_t index, uint32_t value);
void mm__port_cache_sync(uintptr_t vaddr, uint32_t len);
/* The `mmlib` partition (data, subtype 0x40) through esp_partition; ops NULL if absent. */
mm_partition_t mm_port_partition(void);
#endif

#ifdef __cplusplus
}
#endif
#endif
