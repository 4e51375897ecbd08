/* ESP32-C6 flash-cache MMU, for flash slots (mm_mmu_chip.h).
 *
 * Facts, from ESP-IDF components/soc/esp32c6/include/soc/ext_mem_defs.h and
 * components/hal/esp32c6/include/hal/mmu_ll.h (ESP32-C6 TRM chapter "MMU"):
 *  - I and D share one window from 0x42000000 (mmu_ll_laddr_to_vaddr: "On ESP32C6, I/D
 *    share the same vaddr range"); MMU_ENTRY_NUM = 256 entries; the page size is
 *    configurable (SPI_MEM_MMU_PAGE_SIZE, CONFIG_MMU_PAGE_SIZE): this port needs 64 KB,
 *    so the window is 16 MB, 0x42000000..0x43000000, and the entry of vaddr is
 *    (vaddr & (64 KB * 256 - 1)) >> 16.
 *  - mmu_ll_write_entry(): value = (paddr >> 16) | SOC_MMU_VALID BIT(9)
 *    (| SOC_MMU_SENSITIVE BIT(10) when flash encryption is on); invalid is 0
 *    (SOC_MMU_INVALID). The table is not memory mapped: write the entry number to
 *    SPI_MEM_MMU_ITEM_INDEX_REG(0), then the value to SPI_MEM_MMU_ITEM_CONTENT_REG(0).
 *  - No PSRAM on the C6. */
#include "mm_mmu_chip.h"

static uint32_t entry_index(uintptr_t vaddr) { return (uint32_t)((vaddr & 0xFFFFFFu) >> 16); }
static uint32_t flash_entry(uint32_t paddr) { return ((paddr >> 16) & 0x1FFu) | 0x200u; }

const mm_mmu_chip_t mm_mmu_esp32c6 = {
    "esp32c6", 0x42000000u, 0x43000000u, entry_index, flash_entry, 0, 0u, 256u * 0x10000u,
};

#if defined(MM_ESP_IDF_FLASH)
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_ESP32C6
#if CONFIG_MMU_PAGE_SIZE != 0x10000
#error "ESP32 Memory Manager: flash slots need 64 KB MMU pages (CONFIG_MMU_PAGE_SIZE)"
#endif
#include "esp_attr.h"
#include "soc/spi_mem_reg.h"
#include "hal/efuse_ll.h"

const mm_mmu_chip_t *const mm__port_chip = &mm_mmu_esp32c6;

/* mmu_ll_cache_encryption_enabled(): an odd FLASH_CRYPT_CNT means encryption is on */
static IRAM_ATTR int encrypted(void) { /* runs with the caches off */
    unsigned cnt = efuse_ll_get_flash_crypt_cnt();
    return ((cnt >> 2) ^ (cnt >> 1) ^ cnt) & 1;
}
/* mmu_ll_write_entry(): entry number to the index register, then the value */
void IRAM_ATTR mm__port_write_entry(uint32_t index, uint32_t value) {
    if (value && encrypted()) value |= 0x400u; /* SOC_MMU_SENSITIVE */
    REG_WRITE(SPI_MEM_MMU_ITEM_INDEX_REG(0), index);
    REG_WRITE(SPI_MEM_MMU_ITEM_CONTENT_REG(0), value);
}
#endif
#endif
