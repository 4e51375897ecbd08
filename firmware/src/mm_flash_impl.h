/* ESP32 Memory Manager: what the loader core (mm_loader.c) calls for a flash slot. Private
 * to the library: mm_loader_attach_flash() sets ld->flash_impl, so a firmware without
 * flash slots does not link mm_flash.c. */
#ifndef MM_FLASH_IMPL_H
#define MM_FLASH_IMPL_H
#include "mm_flash.h"

/* One load of one flash-slot library, decided before anything is evicted. */
typedef struct mm_flash_plan {
    const mm_library_t *lib;
    uint32_t index;  /* header sector */
    uint32_t offset; /* partition offset of the image */
    uint32_t vaddr, length, crc;
    uint8_t rewrite; /* 0: the partition holds this image already, map only */
} mm_flash_plan_t;

struct mm_flash_impl {
    /* Every check that can refuse the library; no write. */
    mm_err_t (*plan)(mm_loader_t *ld, const mm_library_t *lib, uint32_t vaddr, uint32_t len, uint32_t crc,
                     mm_flash_plan_t *plan);
    /* Count the rewrite, then invalidate the image (erase its header sector). */
    mm_err_t (*begin)(mm_loader_t *ld, const mm_flash_plan_t *plan);
    /* The code payload, in order, in chunks of any size. */
    mm_err_t (*feed)(mm_loader_t *ld, const mm_flash_plan_t *plan, uint32_t off, const uint8_t *buf, uint32_t n);
    /* Last sector, read back the whole image, then the header with `valid` last. */
    mm_err_t (*finish)(mm_loader_t *ld, const mm_flash_plan_t *plan);
    mm_err_t (*map)(mm_loader_t *ld, const mm_flash_plan_t *plan);
    void (*unmap)(mm_loader_t *ld, uint32_t vaddr, uint32_t len);
};
#endif
