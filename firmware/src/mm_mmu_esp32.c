/* ESP32 flash-cache MMU, for flash slots (mm_mmu_chip.h).
 *
 * Facts, from ESP-IDF components/soc/esp32/include/soc/ext_mem_defs.h and
 * components/hal/esp32/include/hal/mmu_ll.h (ESP32 TRM chapter "Cache"/"MMU"):
 *  - IRAM0 cache window SOC_IRAM0_CACHE_ADDRESS_LOW..HIGH = 0x400D0000..0x40400000
 *    (instruction fetch through the flash cache), 64 KB pages.
 *  - mmu_ll_get_entry_id(): an IRAM0 address uses entry 64 + ((vaddr & 0x3FFFFF) >> 16)
 *    (SOC_MMU_VADDR_MASK 0x3FFFFF; entries 0..63 are DROM0, 64..127 IRAM0), so
 *    0x400D0000 is entry 77.
 *  - mmu_ll_format_paddr(): a flash page's value is paddr >> 16; SOC_MMU_INVALID is
 *    BIT(8) (0x100); 256 pages = 16 MB of flash (SOC_MMU_MAX_PADDR_PAGE_NUM).
 *  - mmu_ll_write_entry(): PRO and APP CPU have their own tables,
 *    DPORT_PRO_FLASH_MMU_TABLE[] and DPORT_APP_FLASH_MMU_TABLE[]; esp_mmu_map.c
 *    (s_mapping_operation) writes both unless CONFIG_FREERTOS_UNICORE.
 *  - The ESP32 cannot fetch instructions from PSRAM (only DRAM1, data): no PSRAM entry. */
#include "mm_mmu_chip.h"

static uint32_t entry_index(uintptr_t vaddr) { return 64u + (uint32_t)((vaddr & 0x3FFFFFu) >> 16); }
static uint32_t flash_entry(uint32_t paddr) { return paddr >> 16; }

const mm_mmu_chip_t mm_mmu_esp32 = {
    "esp32", 0x400D0000u, 0x40400000u, entry_index, flash_entry, 0, 0x100u, 256u * 0x10000u,
};

#if defined(MM_ESP_IDF_FLASH)
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_ESP32
#include "esp_attr.h"
#include "soc/dport_reg.h"
#include "esp32/rom/cache.h"

const mm_mmu_chip_t *const mm__port_chip = &mm_mmu_esp32;

/* mmu_ll_write_entry(): each CPU has its own table (esp_mmu_map.c writes both) */
void IRAM_ATTR mm__port_write_entry(uint32_t index, uint32_t value) {
    DPORT_PRO_FLASH_MMU_TABLE[index] = value;
#if !CONFIG_FREERTOS_UNICORE
    DPORT_APP_FLASH_MMU_TABLE[index] = value;
#endif
}

/* The ESP32 cache cannot drop an address range (esp_mmu_map.c s_do_cache_invalidate:
 * "a full sync"): flush both CPUs' caches, ROM Cache_Flush (esp32/rom/cache.h). */
void IRAM_ATTR mm__port_cache_sync(uintptr_t vaddr, uint32_t len) {
    (void)vaddr, (void)len;
    Cache_Flush(0);
#if !CONFIG_FREERTOS_UNICORE
    Cache_Flush(1);
#endif
}
#endif
#endif
