/* ESP32-C3 flash-cache MMU, for flash slots (mm_mmu_chip.h).
 *
 * Facts, from ESP-IDF components/soc/esp32c3/include/soc/ext_mem_defs.h and
 * components/hal/esp32c3/include/hal/mmu_ll.h (ESP32-C3 TRM chapter "MMU"):
 *  - IBUS window SOC_IRAM0_CACHE_ADDRESS_LOW..HIGH = 0x42000000..0x42800000,
 *    SOC_MMU_ENTRY_NUM = 128 entries shared by IBUS and DBUS, 64 KB pages.
 *  - mmu_ll_get_entry_id(): (vaddr & SOC_MMU_VADDR_MASK 0x7FFFFF) >> 16.
 *  - mmu_ll_write_entry(): value = (paddr >> 16) | SOC_MMU_ACCESS_FLASH (0) |
 *    SOC_MMU_VALID (0); SOC_MMU_INVALID BIT(8); value bits 0xFF (16 MB of flash).
 *    Table memory mapped at DR_REG_MMU_TABLE (0x600C5000).
 *  - No PSRAM on the C3. */
#include "mm_mmu_chip.h"

static uint32_t entry_index(uintptr_t vaddr) { return (uint32_t)((vaddr & 0x7FFFFFu) >> 16); }
static uint32_t flash_entry(uint32_t paddr) { return (paddr >> 16) & 0xFFu; }

const mm_mmu_chip_t mm_mmu_esp32c3 = {
    "esp32c3", 0x42000000u, 0x42800000u, entry_index, flash_entry, 0, 0x100u, 256u * 0x10000u,
};

#if defined(MM_ESP_IDF_FLASH)
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_ESP32C3
#include "esp_attr.h"
#include "soc/soc.h"

const mm_mmu_chip_t *const mm__port_chip = &mm_mmu_esp32c3;

/* mmu_ll_write_entry(): the table is memory mapped at DR_REG_MMU_TABLE */
void IRAM_ATTR mm__port_write_entry(uint32_t index, uint32_t value) {
    ((volatile uint32_t *)DR_REG_MMU_TABLE)[index] = value;
}
#endif
#endif
