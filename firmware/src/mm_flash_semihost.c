/* ESP32 Memory Manager: the flash-slot test back end for QEMU (mm_flash.h): the library
 * partition is a semihosting file, the instruction window a RAM region the pages are
 * copied into. Built only with -DMM_SEMIHOSTING. */
#include "mm_flash.h"
#if defined(MM_SEMIHOSTING)
#include "mm_port.h"
#include "mm_semihost.h"

#define CHUNK 256u

/* ---- partition: NOR semantics over a file ---------------------------------------------- */
static int part_read(void *ctx, uint32_t off, void *buf, uint32_t n) {
    mm_flash_semihost_t *sh = (mm_flash_semihost_t *)ctx;
    if (mm_sh_seek(sh->fd, off) < 0) return -1;
    for (uint32_t done = 0; done < n;) {
        int32_t got = mm_sh_read(sh->fd, (uint8_t *)buf + done, n - done);
        if (got <= 0) return -1;
        done += (uint32_t)got;
    }
    return 0;
}
static int part_write(mm_flash_semihost_t *sh, uint32_t off, const uint8_t *buf, uint32_t n) {
    return mm_sh_seek(sh->fd, off) < 0 || mm_sh_write(sh->fd, buf, n) != (int32_t)n ? -1 : 0;
}
static int part_erase(void *ctx, uint32_t off) {
    mm_flash_semihost_t *sh = (mm_flash_semihost_t *)ctx;
    uint8_t ff[CHUNK];
    for (uint32_t i = 0; i < CHUNK; i++) ff[i] = 0xFF;
    for (uint32_t done = 0; done < MM_FLASH_SECTOR; done += CHUNK)
        if (part_write(sh, off + done, ff, CHUNK)) return -1;
    sh->erases++;
    return 0;
}
/* programming only clears bits, as on NOR flash: new = old & data */
static int part_program(void *ctx, uint32_t off, const void *buf, uint32_t n) {
    mm_flash_semihost_t *sh = (mm_flash_semihost_t *)ctx;
    const uint8_t *data = (const uint8_t *)buf;
    uint8_t old[CHUNK];
    for (uint32_t done = 0; done < n; done += CHUNK) {
        uint32_t k = n - done < CHUNK ? n - done : CHUNK;
        if (part_read(sh, off + done, old, k)) return -1;
        for (uint32_t i = 0; i < k; i++) old[i] &= data[done + i];
        if (part_write(sh, off + done, old, k)) return -1;
    }
    sh->programs++, sh->program_bytes += n;
    return 0;
}
static const mm_partition_ops_t part_ops = {part_read, part_erase, part_program};

/* ---- "MMU": copy pages into the window, zero them on unmap ---------------------------- */
static mm_err_t check(void *ctx, uintptr_t vaddr, uint32_t len) {
    const mm_flash_semihost_t *sh = (const mm_flash_semihost_t *)ctx;
    if (vaddr % MM_FLASH_PAGE || len % MM_FLASH_PAGE) return MM_ERR_FLASH_LAYOUT;
    if (vaddr < sh->window_start || vaddr > sh->window_end || len > sh->window_end - vaddr) return MM_ERR_CODE_REGION;
    return MM_OK;
}
static void fill_zero(uintptr_t addr, uint32_t len) {
    volatile uint32_t *w = (volatile uint32_t *)addr; /* word stores only */
    for (uint32_t i = 0; i < len / 4; i++) w[i] = 0;
}
static int map(void *ctx, uintptr_t vaddr, uint32_t paddr, uint32_t npages) {
    mm_flash_semihost_t *sh = (mm_flash_semihost_t *)ctx;
    const mm_partition_t *p = &sh->flash.partition;
    if (check(ctx, vaddr, npages * MM_FLASH_PAGE) || paddr < p->flash_addr) return -1;
    for (uint32_t i = 0; i < npages; i++) {
        uint32_t off = paddr - p->flash_addr + i * MM_FLASH_PAGE, page = vaddr + i * MM_FLASH_PAGE;
        uint32_t n = off >= p->size ? 0 : p->size - off < MM_FLASH_PAGE ? p->size - off : MM_FLASH_PAGE;
        fill_zero(page + n, MM_FLASH_PAGE - n); /* past the partition's end */
        if (n && part_read(sh, off, (void *)page, n)) return -1;
        sh->pages_mapped++;
    }
    return 0;
}
static void unmap(void *ctx, uintptr_t vaddr, uint32_t npages) {
    mm_flash_semihost_t *sh = (mm_flash_semihost_t *)ctx;
    if (check(ctx, vaddr, npages * MM_FLASH_PAGE)) return;
    fill_zero(vaddr, npages * MM_FLASH_PAGE);
    sh->pages_unmapped += npages;
}
static void sync(void *ctx, uintptr_t vaddr, uint32_t len) {
    (void)ctx, (void)vaddr, (void)len;
    mm_port_instruction_barrier(); /* the copy was data stores: refetch instructions */
}
static const mm_mmu_ops_t mmu_ops = {check, map, unmap, sync};

mm_err_t mm_flash_semihost_init(mm_flash_semihost_t *sh, const char *path, uintptr_t window_start,
                                uintptr_t window_end) {
    if (!sh || !path) return MM_ERR_ARGUMENT;
    sh->erases = sh->programs = sh->program_bytes = sh->pages_mapped = sh->pages_unmapped = 0;
    sh->fd = mm_sh_open(path, MM_SH_UPDATE);
    if (sh->fd < 0) return MM_ERR_OPEN;
    int32_t size = mm_sh_size(sh->fd);
    if (size < (int32_t)MM_FLASH_DIR_SIZE || size % MM_FLASH_SECTOR || window_start % MM_FLASH_PAGE ||
        window_end % MM_FLASH_PAGE || window_end <= window_start) {
        mm_sh_close(sh->fd);
        return MM_ERR_FLASH_LAYOUT;
    }
    sh->window_start = window_start, sh->window_end = window_end;
    sh->flash.partition.ops = &part_ops, sh->flash.partition.ctx = sh;
    sh->flash.partition.size = (uint32_t)size, sh->flash.partition.flash_addr = 0;
    sh->flash.mmu.ops = &mmu_ops, sh->flash.mmu.ctx = sh;
    sh->flash.write_limit = 0;
    return MM_OK;
}
#endif
