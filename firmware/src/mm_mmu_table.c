/* ESP32 Memory Manager: an mm_mmu_t from a chip's MMU description (mm_mmu_chip.h). */
#include "mm_mmu_chip.h"

static mm_err_t check(void *ctx, uintptr_t vaddr, uint32_t len) {
    const mm_mmu_table_t *t = (const mm_mmu_table_t *)ctx;
    uintptr_t low = t->floor > t->chip->window_start ? t->floor : t->chip->window_start;
    if (vaddr % MM_FLASH_PAGE || len % MM_FLASH_PAGE) return MM_ERR_FLASH_LAYOUT;
    if (vaddr < low || vaddr > t->chip->window_end || len > t->chip->window_end - vaddr) return MM_ERR_CODE_REGION;
    return MM_OK;
}

static int map(void *ctx, uintptr_t vaddr, uint32_t paddr, uint32_t npages) {
    const mm_mmu_table_t *t = (const mm_mmu_table_t *)ctx;
    if (check(ctx, vaddr, npages * MM_FLASH_PAGE) || paddr % MM_FLASH_PAGE || paddr > t->chip->max_paddr ||
        npages * MM_FLASH_PAGE > t->chip->max_paddr - paddr)
        return -1;
    for (uint32_t i = 0; i < npages; i++)
        t->write_entry(t->ctx, t->chip->entry_index(vaddr + i * MM_FLASH_PAGE),
                       t->chip->flash_entry(paddr + i * MM_FLASH_PAGE));
    return 0;
}

static void unmap(void *ctx, uintptr_t vaddr, uint32_t npages) {
    const mm_mmu_table_t *t = (const mm_mmu_table_t *)ctx;
    if (check(ctx, vaddr, npages * MM_FLASH_PAGE)) return;
    for (uint32_t i = 0; i < npages; i++)
        t->write_entry(t->ctx, t->chip->entry_index(vaddr + i * MM_FLASH_PAGE), t->chip->invalid_entry);
}

static void sync(void *ctx, uintptr_t vaddr, uint32_t len) {
    const mm_mmu_table_t *t = (const mm_mmu_table_t *)ctx;
    if (t->sync) t->sync(t->ctx, vaddr, len);
}

static const mm_mmu_ops_t table_ops = {check, map, unmap, sync};

mm_mmu_t mm_mmu_over_table(const mm_mmu_table_t *table) {
    mm_mmu_t m = {&table_ops, (void *)table};
    return m;
}
