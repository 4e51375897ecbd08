/* ESP32 Memory Manager: flash slots (mm_flash.h, docs/design.md §6a).
 *
 * The order of a rewrite is what makes a power cut harmless:
 *   1. count it: clear one more bit of the image's tally in the wear sector
 *   2. erase the header sector: the image is invalid from here on
 *   3. erase and program only the 4 KB sectors whose contents differ, each read back
 *   4. read the whole image back and check its CRC against the file's
 *   5. program the header, then, as a separate program, its `valid` word
 * A header counts only if its CRC is right and `valid` holds MM_FLASH_VALID, so a cut
 * before step 5 ends leaves "invalid, rewritten on next load", never a half-valid image. */
#include "mm_flash.h"
#include "mm_crc32.h"
#include "mm_flash_impl.h"

/* ---- the header (one per header sector, little-endian words) --------------------------
 *   0 magic "MMFH"   4 version   8 offset   12 length   16 payload CRC   20 virtual address
 *   24 firmware build id (32)   56 library name (32, NUL-padded)
 *   88 CRC-32 of bytes 0..87   92 valid: MM_FLASH_VALID, programmed last */
#define HDR_SIZE       96u
#define HDR_VALID_AT   92u
#define HDR_MAGIC      0x48464D4Du /* "MMFH" */
#define HDR_VERSION    1u
#define MM_FLASH_VALID 0xA55A5AA5u

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) & ~(a - 1); }

static const mm_partition_t *part(const mm_loader_t *ld) { return &ld->flash->partition; }
static mm_err_t p_read(const mm_loader_t *ld, uint32_t off, void *buf, uint32_t n) {
    return part(ld)->ops->read(part(ld)->ctx, off, buf, n) ? MM_ERR_FLASH_IO : MM_OK;
}
static mm_err_t p_erase(const mm_loader_t *ld, uint32_t off) {
    return part(ld)->ops->erase_sector(part(ld)->ctx, off) ? MM_ERR_FLASH_IO : MM_OK;
}
static mm_err_t p_program(const mm_loader_t *ld, uint32_t off, const void *buf, uint32_t n) {
    return part(ld)->ops->program(part(ld)->ctx, off, buf, n) ? MM_ERR_FLASH_IO : MM_OK;
}
static uint32_t write_limit(const mm_loader_t *ld) {
    return ld->flash->write_limit ? ld->flash->write_limit : MM_FLASH_WRITE_LIMIT;
}

/* ---- wear tally: count = bits cleared, one more per rewrite, never erased ------------- */
static uint32_t tally_at(uint32_t index) { return MM_FLASH_WEAR_SECTOR + index * MM_FLASH_TALLY_BYTES; }

/* Count the cleared bits, and find the first byte that still has a bit set (the next
 * one to clear); read in small chunks to keep the stack small. */
typedef struct {
    uint32_t count, next_at;
    uint8_t next_byte;
} tally_t;
static mm_err_t tally_read(const mm_loader_t *ld, uint32_t index, tally_t *t) {
    uint8_t chunk[32];
    t->count = 0, t->next_at = MM_FLASH_TALLY_BYTES, t->next_byte = 0;
    for (uint32_t at = 0; at < MM_FLASH_TALLY_BYTES; at += sizeof chunk) {
        mm_err_t e = p_read(ld, tally_at(index) + at, chunk, sizeof chunk);
        if (e) return e;
        for (uint32_t i = 0; i < sizeof chunk; i++) {
            for (uint8_t b = (uint8_t)~chunk[i]; b; b &= (uint8_t)(b - 1)) t->count++;
            if (chunk[i] && t->next_at == MM_FLASH_TALLY_BYTES) t->next_at = at + i, t->next_byte = chunk[i];
        }
    }
    return MM_OK;
}

static mm_err_t tally_add_one(const mm_loader_t *ld, uint32_t index) {
    tally_t t;
    mm_err_t e = tally_read(ld, index, &t);
    if (e) return e;
    if (t.next_at == MM_FLASH_TALLY_BYTES) return MM_ERR_FLASH_WORN; /* the tally is full */
    uint8_t next = (uint8_t)(t.next_byte & (t.next_byte - 1));       /* clear the lowest bit still set */
    return p_program(ld, tally_at(index) + t.next_at, &next, 1);
}

/* ---- directory ---------------------------------------------------------------------- */
static uint32_t str_len(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

/* The image index is the library's position among the registered flash-slot libraries,
 * in the order of their offsets (the order the link assigned them in). */
static mm_err_t image_index(const mm_library_t *lib, uint32_t *index) {
    uint32_t below = 0;
    for (const mm_library_t *l = mm_first_library(); l; l = l->next) {
        if (l == lib || !l->slot || !l->slot->flash) continue;
        if (l->flash_offset == lib->flash_offset) return MM_ERR_FLASH_LAYOUT;
        if (l->flash_offset < lib->flash_offset) below++;
    }
    if (below >= MM_FLASH_MAX_IMAGES) return MM_ERR_FLASH_LAYOUT;
    *index = below;
    return MM_OK;
}

static void header_build(const mm_loader_t *ld, const mm_library_t *lib, const mm_flash_plan_t *p,
                         uint8_t h[HDR_SIZE]) {
    /* volatile build id: copied byte by byte, never folded */
    for (uint32_t i = 0; i < HDR_SIZE; i++) h[i] = 0;
    put32(h + 0, HDR_MAGIC);
    put32(h + 4, HDR_VERSION);
    put32(h + 8, p->offset);
    put32(h + 12, p->length);
    put32(h + 16, p->crc);
    put32(h + 20, p->vaddr);
    for (uint32_t i = 0; i < MM_BUILD_ID_LEN; i++) h[24 + i] = ld->build_id[i];
    uint32_t n = str_len(lib->name);
    for (uint32_t i = 0; i < n && i < MM_NAME_MAX - 1; i++) h[56 + i] = (uint8_t)lib->name[i];
    put32(h + 88, mm_crc32(0, h, 88));
    put32(h + HDR_VALID_AT, MM_FLASH_VALID);
}

/* A header is valid when complete: magic, version, CRC and the `valid` word. */
static int header_valid(const uint8_t h[HDR_SIZE]) {
    return le32(h) == HDR_MAGIC && le32(h + 4) == HDR_VERSION && le32(h + 88) == mm_crc32(0, h, 88) &&
           le32(h + HDR_VALID_AT) == MM_FLASH_VALID;
}

static int same_bytes(const uint8_t *a, const uint8_t *b, uint32_t n) {
    uint8_t diff = 0;
    for (uint32_t i = 0; i < n; i++) diff |= a[i] ^ b[i];
    return !diff;
}

/* ---- the plan: every check, no write ---------------------------------------------------- */
static mm_err_t plan(mm_loader_t *ld, const mm_library_t *lib, uint32_t vaddr, uint32_t len, uint32_t crc,
                     mm_flash_plan_t *p) {
    const mm_flash_t *f = ld->flash;
    uint32_t off = (uint32_t)lib->flash_offset;
    p->lib = lib, p->offset = off, p->vaddr = vaddr, p->length = len, p->crc = crc, p->rewrite = 0;
    if (off < MM_FLASH_DIR_SIZE || off % MM_FLASH_PAGE || vaddr % MM_FLASH_PAGE) return MM_ERR_FLASH_LAYOUT;
    if (off > f->partition.size || align_up(len, MM_FLASH_SECTOR) > f->partition.size - off) return MM_ERR_FLASH_LAYOUT;
    mm_err_t e = image_index(lib, &p->index);
    if (e) return e;
    if (len && f->mmu.ops->check && (e = f->mmu.ops->check(f->mmu.ctx, vaddr, align_up(len, MM_FLASH_PAGE))) != MM_OK)
        return e;
    uint8_t have[HDR_SIZE], want[HDR_SIZE];
    if ((e = p_read(ld, p->index * MM_FLASH_SECTOR, have, HDR_SIZE)) != MM_OK) return e;
    header_build(ld, lib, p, want);
    if (header_valid(have) && same_bytes(have, want, HDR_SIZE)) return MM_OK; /* map only */
    tally_t t;
    if ((e = tally_read(ld, p->index, &t)) != MM_OK) return e;
    if (t.count >= write_limit(ld)) return MM_ERR_FLASH_WORN;
    p->rewrite = 1;
    return MM_OK;
}

/* ---- the rewrite ---------------------------------------------------------------------- */
/* One sector of the new image; the loader is single-threaded (mm_loader.h). */
static uint8_t sector_buf[MM_FLASH_SECTOR];

static mm_err_t begin(mm_loader_t *ld, const mm_flash_plan_t *p) {
    mm_err_t e = tally_add_one(ld, p->index);
    return e ? e : p_erase(ld, p->index * MM_FLASH_SECTOR);
}

/* Is the partition's sector at off already `want` (n bytes)? */
static mm_err_t sector_equals(const mm_loader_t *ld, uint32_t off, const uint8_t *want, uint32_t n, int *equal) {
    uint8_t chunk[64];
    *equal = 1;
    for (uint32_t done = 0; done < n && *equal; done += sizeof chunk) {
        uint32_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
        mm_err_t e = p_read(ld, off + done, chunk, k);
        if (e) return e;
        *equal = same_bytes(chunk, want + done, k);
    }
    return MM_OK;
}

/* Bring one 4 KB sector of the image to sector_buf (a full sector: the tail of the last
 * one is 0xFF), erasing and programming it only if it differs. */
static mm_err_t write_sector(const mm_loader_t *ld, uint32_t off) {
    int equal;
    mm_err_t e = sector_equals(ld, off, sector_buf, MM_FLASH_SECTOR, &equal);
    if (e || equal) return e;
    if ((e = p_erase(ld, off)) != MM_OK || (e = p_program(ld, off, sector_buf, MM_FLASH_SECTOR)) != MM_OK) return e;
    if ((e = sector_equals(ld, off, sector_buf, MM_FLASH_SECTOR, &equal)) != MM_OK) return e;
    return equal ? MM_OK : MM_ERR_FLASH_VERIFY;
}

static mm_err_t feed(mm_loader_t *ld, const mm_flash_plan_t *p, uint32_t off, const uint8_t *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = off + i;
        sector_buf[at % MM_FLASH_SECTOR] = buf[i];
        if (at % MM_FLASH_SECTOR == MM_FLASH_SECTOR - 1) {
            mm_err_t e = write_sector(ld, p->offset + at - (MM_FLASH_SECTOR - 1));
            if (e) return e;
        }
    }
    return MM_OK;
}

static mm_err_t image_crc(const mm_loader_t *ld, const mm_flash_plan_t *p, uint32_t *crc) {
    uint8_t chunk[64];
    uint32_t c = 0;
    for (uint32_t done = 0; done < p->length; done += sizeof chunk) {
        uint32_t k = p->length - done < sizeof chunk ? p->length - done : sizeof chunk;
        mm_err_t e = p_read(ld, p->offset + done, chunk, k);
        if (e) return e;
        c = mm_crc32(c, chunk, k);
    }
    *crc = c;
    return MM_OK;
}

static mm_err_t finish(mm_loader_t *ld, const mm_flash_plan_t *p) {
    mm_err_t e;
    uint32_t tail = p->length % MM_FLASH_SECTOR;
    if (tail) {
        for (uint32_t i = tail; i < MM_FLASH_SECTOR; i++) sector_buf[i] = 0xFF;
        if ((e = write_sector(ld, p->offset + p->length - tail)) != MM_OK) return e;
    }
    uint32_t crc;
    if ((e = image_crc(ld, p, &crc)) != MM_OK) return e;
    if (crc != p->crc) return MM_ERR_FLASH_VERIFY;
    uint8_t h[HDR_SIZE], back[HDR_SIZE];
    header_build(ld, p->lib, p, h);
    uint32_t at = p->index * MM_FLASH_SECTOR;
    if ((e = p_program(ld, at, h, HDR_VALID_AT)) != MM_OK ||
        (e = p_program(ld, at + HDR_VALID_AT, h + HDR_VALID_AT, 4)) != MM_OK ||
        (e = p_read(ld, at, back, HDR_SIZE)) != MM_OK)
        return e;
    return same_bytes(h, back, HDR_SIZE) ? MM_OK : MM_ERR_FLASH_VERIFY;
}

/* ---- mapping ---------------------------------------------------------------------------- */
static mm_err_t map(mm_loader_t *ld, const mm_flash_plan_t *p) {
    const mm_mmu_t *m = &ld->flash->mmu;
    uint32_t span = align_up(p->length, MM_FLASH_PAGE);
    if (!span) return MM_OK;
    if (m->ops->map(m->ctx, p->vaddr, part(ld)->flash_addr + p->offset, span / MM_FLASH_PAGE)) return MM_ERR_FLASH_MAP;
    if (m->ops->sync) m->ops->sync(m->ctx, p->vaddr, span);
    return MM_OK;
}

static void unmap(mm_loader_t *ld, uint32_t vaddr, uint32_t len) {
    const mm_mmu_t *m = &ld->flash->mmu;
    uint32_t span = align_up(len, MM_FLASH_PAGE);
    m->ops->unmap(m->ctx, vaddr & ~(MM_FLASH_PAGE - 1), span / MM_FLASH_PAGE);
    if (m->ops->sync) m->ops->sync(m->ctx, vaddr, span);
}

static const struct mm_flash_impl impl = {plan, begin, feed, finish, map, unmap};

mm_err_t mm_loader_attach_flash(mm_loader_t *ld, const mm_flash_t *flash) {
    if (!ld || !flash || !flash->partition.ops || !flash->mmu.ops || !flash->mmu.ops->map || !flash->mmu.ops->unmap)
        return MM_ERR_ARGUMENT;
    if (flash->partition.flash_addr % MM_FLASH_PAGE || flash->partition.size < MM_FLASH_DIR_SIZE ||
        flash->write_limit > MM_FLASH_TALLY_BITS)
        return MM_ERR_FLASH_LAYOUT;
    ld->flash = flash;
    ld->flash_impl = &impl;
    return MM_OK;
}

mm_err_t mm_flash_image_info(mm_loader_t *ld, const char *name, mm_flash_image_info_t *out) {
    if (!ld || !name || !out) return MM_ERR_ARGUMENT;
    if (!ld->flash) return MM_ERR_FLASH_NONE;
    const mm_library_t *lib = mm_find_library(name);
    if (!lib || !lib->slot) return MM_ERR_UNKNOWN_LIBRARY;
    if (!lib->slot->flash) return MM_ERR_ARGUMENT;
    mm_err_t e = image_index(lib, &out->index);
    if (e) return e;
    tally_t t;
    uint8_t h[HDR_SIZE];
    if ((e = tally_read(ld, out->index, &t)) != MM_OK ||
        (e = p_read(ld, out->index * MM_FLASH_SECTOR, h, HDR_SIZE)) != MM_OK)
        return e;
    out->writes = t.count;
    out->offset = (uint32_t)lib->flash_offset;
    out->write_limit = write_limit(ld);
    out->valid = (uint8_t)(header_valid(h) && le32(h + 8) == out->offset);
    out->length = out->valid ? le32(h + 12) : 0;
    uint8_t id[MM_BUILD_ID_LEN];
    for (uint32_t i = 0; i < MM_BUILD_ID_LEN; i++) id[i] = ld->build_id[i];
    out->current = (uint8_t)(out->valid && same_bytes(h + 24, id, MM_BUILD_ID_LEN));
    out->mapped = (uint8_t)(lib->slot->occupant == lib);
    return MM_OK;
}
