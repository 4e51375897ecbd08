/* ESP32 Memory Manager: flash slots that execute in place (docs/design.md §6a).
 *
 * A flash slot's code is not copied into RAM: it is kept in the library partition
 * (`mmlib`, data, subtype 0x40) and the flash cache's MMU maps its 64 KB pages into the
 * instruction window at the address the library was linked for. Two small ops structs,
 * in the Zephyr LLEXT style, make the loader independent of the chip:
 *
 *   mm_partition_t  read / erase a 4 KB sector / program, over the library partition
 *   mm_mmu_t        map virtual 64 KB pages to physical flash pages, unmap, sync caches
 *
 * Chip ports of the MMU side: mm_mmu_chip.h (ESP32, ESP32-S3, ESP32-C3, ESP32-C6).
 * Attach both to a loader with mm_loader_attach_flash(); RAM slots are unaffected.
 *
 * Partition layout (§6a):
 *   0x00000-0x0EFFF  header sectors 0..14: sector i holds the header of image i (the
 *                    i-th flash-slot library in the order of their offsets)
 *   0x0F000-0x0FFFF  the wear sector: per image a 256-byte tally (see below)
 *   0x10000-         images, each at the 64 KB-aligned offset the link gave it
 *                    (_mm_<lib>_flash_offset)
 *
 * Write counter. A rewrite first clears one more bit of the image's tally in the wear
 * sector (programming only clears bits: no erase), then erases the header sector. The
 * wear sector is never erased by the loader, so a power cut at any point cannot reset the
 * count: at worst a rewrite that never finished is counted. The tally holds 2048 bits;
 * the limit (default MM_FLASH_WRITE_LIMIT) must not exceed it. Erasing the partition by
 * hand (esptool erase_region) resets the counts, knowingly. */
#ifndef MM_FLASH_H
#define MM_FLASH_H
#include <stdint.h>
#include "mm_loader.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MM_FLASH_SECTOR      0x1000u  /* erase unit of the partition */
#define MM_FLASH_PAGE        0x10000u /* MMU page: 64 KB on every supported chip */
#define MM_FLASH_DIR_SIZE    0x10000u /* the directory: header sectors + wear sector */
#define MM_FLASH_MAX_IMAGES  15u      /* header sectors 0..14; sector 15 is the wear sector */
#define MM_FLASH_WEAR_SECTOR (15u * MM_FLASH_SECTOR)
#define MM_FLASH_TALLY_BYTES 256u
#define MM_FLASH_TALLY_BITS  (8u * MM_FLASH_TALLY_BYTES)
#ifndef MM_FLASH_WRITE_LIMIT
#define MM_FLASH_WRITE_LIMIT 1000u /* rewrites per image; NOR flash endures ~100k cycles */
#endif

/* The library partition. Offsets are relative to the partition start. */
typedef struct mm_partition_ops {
    /* Read n bytes at off. 0 on success. */
    int (*read)(void *ctx, uint32_t off, void *buf, uint32_t n);
    /* Erase the 4 KB sector at off (a multiple of MM_FLASH_SECTOR) to 0xFF. 0 on success. */
    int (*erase_sector)(void *ctx, uint32_t off);
    /* Program n bytes at off (NOR: bits can only be cleared). 0 on success. */
    int (*program)(void *ctx, uint32_t off, const void *buf, uint32_t n);
} mm_partition_ops_t;

typedef struct mm_partition {
    const mm_partition_ops_t *ops;
    void *ctx;
    uint32_t size;       /* bytes, from the partition table */
    uint32_t flash_addr; /* the partition's physical flash address (64 KB aligned) */
} mm_partition_t;

/* The flash cache's MMU. vaddr is an address in the instruction window, paddr a physical
 * flash address; both multiples of MM_FLASH_PAGE. */
typedef struct mm_mmu_ops {
    /* MM_OK if [vaddr, vaddr+len) lies in the window this chip can map code into. */
    mm_err_t (*check)(void *ctx, uintptr_t vaddr, uint32_t len);
    /* Point npages entries from vaddr at the flash pages from paddr. 0 on success. */
    int (*map)(void *ctx, uintptr_t vaddr, uint32_t paddr, uint32_t npages);
    /* Mark the entries invalid: a fetch from the range then faults. */
    void (*unmap)(void *ctx, uintptr_t vaddr, uint32_t npages);
    /* Drop cached lines of the range (both CPUs on the ESP32). */
    void (*sync)(void *ctx, uintptr_t vaddr, uint32_t len);
} mm_mmu_ops_t;

typedef struct mm_mmu {
    const mm_mmu_ops_t *ops;
    void *ctx;
} mm_mmu_t;

typedef struct mm_flash {
    mm_partition_t partition;
    mm_mmu_t mmu;
    uint32_t write_limit; /* rewrites per image; 0 = MM_FLASH_WRITE_LIMIT */
} mm_flash_t;

/* Give the loader its library partition and MMU. The flash struct must outlive the
 * loader. MM_ERR_FLASH_LAYOUT if the partition is not 64 KB aligned, smaller than the
 * directory, or the limit exceeds the tally (MM_FLASH_TALLY_BITS). */
mm_err_t mm_loader_attach_flash(mm_loader_t *ld, const mm_flash_t *flash);

/* What the partition says about one flash-slot library's image (for the agent). */
typedef struct mm_flash_image_info {
    uint32_t index;  /* header sector */
    uint32_t offset; /* partition offset of the image */
    uint32_t writes; /* rewrites so far (the tally) */
    uint32_t write_limit;
    uint32_t length; /* bytes the valid header describes; 0 if not valid */
    uint8_t valid;   /* the header is valid (complete, read back, checked) */
    uint8_t current; /* ... and describes this firmware's build of the library */
    uint8_t mapped;  /* the library is loaded (its pages are mapped) */
} mm_flash_image_info_t;
mm_err_t mm_flash_image_info(mm_loader_t *ld, const char *name, mm_flash_image_info_t *out);

#if defined(MM_SEMIHOSTING)
/* Test back end for QEMU (mm_flash_semihost.c, -DMM_SEMIHOSTING), where there is no flash
 * cache: the partition is a file in the emulator's working directory (it must exist; its
 * size is the partition's), "map" copies the image's 64 KB pages into a RAM region
 * standing for the instruction window, "unmap" fills them with zeros (an illegal
 * instruction on Xtensa and RISC-V, so a stale call faults). The window must be 64 KB
 * aligned and linked where the firmware's flash slots are. The counters say what the
 * loader did, for the test to print. */
typedef struct mm_flash_semihost {
    mm_flash_t flash; /* attach this one: mm_loader_attach_flash(ld, &sh.flash) */
    int32_t fd;
    uintptr_t window_start, window_end;
    uint32_t erases, programs, program_bytes, pages_mapped, pages_unmapped;
} mm_flash_semihost_t;
/* MM_ERR_OPEN if the file cannot be opened for writing, MM_ERR_FLASH_LAYOUT if its size
 * or the window does not fit. */
mm_err_t mm_flash_semihost_init(mm_flash_semihost_t *sh, const char *path, uintptr_t window_start,
                                uintptr_t window_end);
#endif

#ifdef __cplusplus
}
#endif
#endif
