/* ESP32-S3 flash-cache MMU, for flash slots and PSRAM code (mm_mmu_chip.h).
 *
 * Facts, from ESP-IDF components/soc/esp32s3/include/soc/ext_mem_defs.h and
 * components/hal/esp32s3/include/hal/mmu_ll.h (ESP32-S3 TRM chapter "MMU"):
 *  - IBUS window SOC_IRAM0_CACHE_ADDRESS_LOW..HIGH = 0x42000000..0x44000000, one table of
 *    SOC_MMU_ENTRY_NUM = 512 entries shared by IBUS and DBUS, 64 KB pages.
 *  - mmu_ll_get_entry_id(): (vaddr & SOC_MMU_VADDR_MASK 0x1FFFFFF) >> 16.
 *  - mmu_ll_write_entry(): value = (paddr >> 16) | target | SOC_MMU_VALID (0), target
 *    SOC_MMU_ACCESS_FLASH 0 or SOC_MMU_ACCESS_SPIRAM BIT(15); SOC_MMU_INVALID BIT(14);
 *    page bits SOC_MMU_VALID_VAL_MASK 0x3FFF. The table is memory mapped at
 *    DR_REG_MMU_TABLE (0x600C5000), entry i at +4*i.
 *  - The same entry with the PSRAM bit maps PSRAM pages into the instruction window:
 *    that is how S3 code in PSRAM is fetched. */
#include "mm_mmu_chip.h"

static uint32_t entry_index(uintptr_t vaddr) { return (uint32_t)((vaddr & 0x1FFFFFFu) >> 16); }
static uint32_t flash_entry(uint32_t paddr) { return (paddr >> 16) & 0x3FFFu; }
static uint32_t psram_entry(uint32_t paddr) { return ((paddr >> 16) & 0x3FFFu) | 0x8000u; }

const mm_mmu_chip_t mm_mmu_esp32s3 = {
    "esp32s3",   0x42000000u, 0x44000000u, entry_index,
    flash_entry, psram_entry, 0x4000u,     0x40000000u, /* 16384 pages, SOC_MMU_MAX_PADDR_PAGE_NUM */
};

#if defined(MM_ESP_IDF_FLASH)
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_ESP32S3
#include "esp_attr.h"
#include "soc/soc.h"

const mm_mmu_chip_t *const mm__port_chip = &mm_mmu_esp32s3;

/* mmu_ll_write_entry(): the table is memory mapped at DR_REG_MMU_TABLE */
void IRAM_ATTR mm__port_write_entry(uint32_t index, uint32_t value) {
    ((volatile uint32_t *)DR_REG_MMU_TABLE)[index] = value;
}
#endif
#endif
