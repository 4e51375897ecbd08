/* ESP32 Memory Manager: the MMU of the ESP chip the firmware is built for (ESP_PLATFORM
 * only), over the chip file's entry writer (mm_mmu_esp32*.c). As ESP-IDF's esp_mmu_map.c
 * does in s_do_mapping(): caches off on both CPUs and the other CPU parked
 * (spi_flash_disable_interrupts_caches_and_other_cpu, esp_private/cache_utils.h) while
 * entries change, then drop the range from the cache. */
#include "mm_mmu_chip.h"
#if defined(ESP_PLATFORM)
#include "sdkconfig.h"
/* Only where a chip file exists and the ESP-IDF has the cache-off call public (IDF 5.x;
 * Arduino-ESP32 3.x): elsewhere mm_port_mmu() is not defined, so a firmware that uses
 * flash slots there fails to link, and every other firmware builds as before. */
#if (CONFIG_IDF_TARGET_ESP32 || CONFIG_IDF_TARGET_ESP32S3 || CONFIG_IDF_TARGET_ESP32C3 || \
     CONFIG_IDF_TARGET_ESP32C6) &&                                                        \
    defined(__has_include)
#if __has_include("esp_private/cache_utils.h")
#include "esp_attr.h"
#include "esp_private/cache_utils.h"

#if !CONFIG_IDF_TARGET_ESP32
#if __has_include("hal/cache_hal.h")
#include "hal/cache_hal.h"
#define MM_INVALIDATE(vaddr, len) cache_hal_invalidate_addr((uint32_t)(vaddr), (len))
#else
#include "rom/cache.h"
#define MM_INVALIDATE(vaddr, len) Cache_Invalidate_Addr((uint32_t)(vaddr), (len))
#endif
/* esp_mmu_map.c s_do_cache_invalidate(): cache_hal_invalidate_addr() on these chips */
void IRAM_ATTR mm__port_cache_sync(uintptr_t vaddr, uint32_t len) { MM_INVALIDATE(vaddr, len); }
#endif

static void IRAM_ATTR write_entry(void *ctx, uint32_t index, uint32_t value) {
    (void)ctx;
    spi_flash_disable_interrupts_caches_and_other_cpu();
    mm__port_write_entry(index, value);
    spi_flash_enable_interrupts_caches_and_other_cpu();
}
static void IRAM_ATTR sync(void *ctx, uintptr_t vaddr, uint32_t len) {
    (void)ctx;
    spi_flash_disable_interrupts_caches_and_other_cpu();
    mm__port_cache_sync(vaddr, len);
    spi_flash_enable_interrupts_caches_and_other_cpu();
}

mm_mmu_t mm_port_mmu(uintptr_t floor) {
    static mm_mmu_table_t table;
    table.chip = mm__port_chip, table.floor = floor, table.ctx = 0;
    table.write_entry = write_entry, table.sync = sync;
    return mm_mmu_over_table(&table);
}
#endif
#endif
#endif
