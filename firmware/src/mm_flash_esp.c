/* ESP32 Memory Manager: the `mmlib` library partition through ESP-IDF's esp_partition
 * (ESP_PLATFORM only), for flash slots (mm_flash.h, docs/design.md §6a). */
#include "mm_mmu_chip.h"
#if defined(MM_ESP_IDF_FLASH)
#include "esp_partition.h"

#define MM_PARTITION_LABEL   "mmlib"
#define MM_PARTITION_SUBTYPE 0x40 /* our own data subtype, outside ESP-IDF's list */

static int part_read(void *ctx, uint32_t off, void *buf, uint32_t n) {
    return esp_partition_read((const esp_partition_t *)ctx, off, buf, n) != ESP_OK;
}
static int part_erase(void *ctx, uint32_t off) {
    return esp_partition_erase_range((const esp_partition_t *)ctx, off, MM_FLASH_SECTOR) != ESP_OK;
}
static int part_program(void *ctx, uint32_t off, const void *buf, uint32_t n) {
    return esp_partition_write((const esp_partition_t *)ctx, off, buf, n) != ESP_OK;
}
static const mm_partition_ops_t part_ops = {part_read, part_erase, part_program};

mm_partition_t mm_port_partition(void) {
    mm_partition_t part = {0, 0, 0, 0};
    const esp_partition_t *p = esp_partition_find_first(
        ESP_PARTITION_TYPE_DATA, (esp_partition_subtype_t)MM_PARTITION_SUBTYPE, MM_PARTITION_LABEL);
    if (!p) return part;
    part.ops = &part_ops, part.ctx = (void *)p, part.size = p->size, part.flash_addr = p->address;
    return part;
}
#endif
