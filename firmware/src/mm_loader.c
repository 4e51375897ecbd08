/* ESP32 Memory Manager: the portable loader core (see mm_loader.h, docs/format.md). */
#include "mm_loader.h"
#include "mm_crc32.h"
#include "mm_port.h"
#include "mm_flash_impl.h"

/* ---- error text -------------------------------------------------------------------- */
static const char *const err_names[MM_ERR__COUNT] = {
    "OK",        "ARGUMENT",     "UNKNOWN_LIBRARY", "NOT_SPLIT",   "OPEN",         "READ",
    "TRUNCATED", "MAGIC",        "VERSION",         "KIND",        "HEADER_SIZE",  "HEADER_CRC",
    "NAME",      "BUILD_ID",     "FILE_SIZE",       "PAYLOAD_CRC", "TOO_BIG",      "OUT_OF_SLOT",
    "ALIGN",     "CODE_REGION",  "WRITE",           "CHANGED",     "CTOR_RANGE",   "NOT_LOADED",
    "NO_LOADER", "DIR_TOO_LONG", "NO_CALL_HOOK",    "FLASH_NONE",  "FLASH_LAYOUT", "FLASH_WORN",
    "FLASH_IO",  "FLASH_VERIFY", "FLASH_MAP",
};
static const char *const err_texts[MM_ERR__COUNT] = {
    "ok",
    "invalid argument (NULL, or a library name of 32 characters or more)",
    "no MM_LIBRARY() registration with that name in this firmware",
    "this firmware's mm_build_id is all zeros: run `esp32mm split` on the ELF before making the .bin",
    "file not found or cannot be opened",
    "storage read error",
    "file is shorter than its header says (truncated upload?)",
    "not a Memory Manager file (bad magic)",
    "unsupported file format version",
    "wrong file kind (_e must be code, _d data)",
    "unexpected header size",
    "header CRC mismatch (file corrupted)",
    "file belongs to another library",
    "file was built for another firmware (build id differs): upload the files of this build",
    "file is longer than header + payload",
    "payload CRC mismatch (file corrupted)",
    "payload larger than the library's slot",
    "load address range lies outside the library's slot",
    "code address or length is not a multiple of 4",
    "this chip cannot execute code at the file's load address",
    "memory writer failed",
    "file changed between verification and copy",
    "a constructor points outside the library's code",
    "library is not loaded",
    "no default loader: call MemoryManager::begin() or mm_set_default_loader()",
    "the library folder is longer than 31 characters: use a shorter folder such as \"/mm\"",
    "the library has constructors but the memory writer has no call hook: set mm_memory_t.call",
    "the library is in a flash slot but the loader has no flash: call mm_loader_attach_flash()",
    "flash slot unusable: the library's flash offset, its 64 KB-aligned address or the mmlib partition does not fit "
    "(docs/design.md 6a); link and split again",
    "the library's flash image reached its write limit: rewrite refused (raise mm_flash_t.write_limit knowingly, or "
    "keep the library unchanged)",
    "library partition read, erase or program failed",
    "the library partition does not read back what was programmed (worn or failing flash)",
    "the MMU refused to map the library's flash image",
};

const char *mm_strerror(mm_err_t err) { return (unsigned)err < MM_ERR__COUNT ? err_texts[err] : "unknown error"; }
const char *mm_errname(mm_err_t err) { return (unsigned)err < MM_ERR__COUNT ? err_names[err] : "UNKNOWN"; }

/* ---- tiny libc-free helpers ------------------------------------------------------- */
static int str_eq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}
static uint32_t str_len(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}
/* Append s to dst (capacity cap, always NUL-terminated); returns 0 if it did not fit. */
static int str_append(char *dst, uint32_t cap, const char *s) {
    uint32_t n = str_len(dst), k = str_len(s);
    if (n + k + 1 > cap) return 0;
    for (uint32_t i = 0; i <= k; i++) dst[n + i] = s[i];
    return 1;
}
static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- registry ------------------------------------------------------------------------ */
static mm_slot_t *slots;
static mm_library_t *libraries;
static mm_library_t *loading; /* library whose constructors are running */
static mm_loader_t *default_loader;

void mm_register_slot(mm_slot_t *slot) {
    for (mm_slot_t *s = slots; s; s = s->next)
        if (s == slot) return;
    slot->next = slots;
    slots = slot;
}
void mm_register_library(mm_library_t *lib) {
    for (mm_library_t *l = libraries; l; l = l->next)
        if (l == lib) return;
    if (lib->slot) mm_register_slot(lib->slot);
    lib->next = libraries;
    libraries = lib;
}
mm_library_t *mm_find_library(const char *name) {
    for (mm_library_t *l = libraries; name && l; l = l->next)
        if (str_eq(l->name, name)) return l;
    return 0;
}
mm_slot_t *mm_find_slot(const char *name) {
    for (mm_slot_t *s = slots; name && s; s = s->next)
        if (str_eq(s->name, name)) return s;
    return 0;
}
mm_library_t *mm_first_library(void) { return libraries; }
int mm_is_loaded(const char *name) {
    mm_library_t *lib = mm_find_library(name);
    return lib && lib->slot && lib->slot->occupant == lib;
}
mm_library_t *mm_loading_library(void) { return loading; }

int mm_register_destructor(void (*fn)(void *), void *arg) {
    if (!loading || !fn || loading->ndtors >= MM_MAX_DTORS) return -1;
    loading->dtors[loading->ndtors].fn = fn;
    loading->dtors[loading->ndtors].arg = arg;
    loading->ndtors++;
    return 0;
}

/* ---- loader setup -------------------------------------------------------------------- */
mm_err_t mm_loader_init(mm_loader_t *ld, const mm_storage_t *storage, const char *dir, const mm_memory_t *memory,
                        const volatile uint8_t *build_id) {
    if (!ld) return MM_ERR_ARGUMENT;
    /* unusable until every argument passed: a refused folder must not turn into the root */
    ld->storage.ops = 0;
    ld->flash = 0;
    ld->flash_impl = 0;
    ld->dir[0] = 0;
    ld->last_file[0] = 0;
    if (!storage || !storage->ops) return ld->last_error = MM_ERR_ARGUMENT;
    if (dir && !str_append(ld->dir, sizeof ld->dir, dir)) return ld->last_error = MM_ERR_DIR_TOO_LONG;
    ld->storage = *storage;
    ld->memory = memory ? *memory : mm_port_memory();
    ld->build_id = build_id ? build_id : mm_build_id;
    ld->last_error = MM_OK;
    return MM_OK;
}
void mm_set_default_loader(mm_loader_t *ld) { default_loader = ld; }
mm_loader_t *mm_default_loader(void) { return default_loader; }

/* ---- file verification ------------------------------------------------------------ */
typedef struct {
    char path[MM_PATH_MAX];
    uint8_t kind;
    uint8_t flags;
    uint32_t load_addr, payload_len, payload_crc, bss_addr, bss_len, ctor_addr, ctor_count;
    /* _d only, filled while its payload is verified: the code file's range, and what the
     * constructor table holds (entries that are not markers, entries outside the code) */
    uint32_t code_addr, code_len;
    uint32_t ctor_word, ctors_real, ctors_outside;
    const mm_flash_plan_t *plan; /* _e of a flash slot: where the payload goes */
} file_info_t;

#define CHUNK_WORDS 64 /* 256-byte stack buffer, word aligned for write_code */

static int build_path(mm_loader_t *ld, const char *name, char suffix, file_info_t *fi) {
    char tail[3] = {'_', suffix, 0};
    fi->path[0] = 0;
    if (ld->dir[0]) {
        if (!str_append(fi->path, sizeof fi->path, ld->dir)) return 0;
        if (ld->dir[str_len(ld->dir) - 1] != '/' && !str_append(fi->path, sizeof fi->path, "/")) return 0;
    }
    return str_append(fi->path, sizeof fi->path, name) && str_append(fi->path, sizeof fi->path, tail);
}

/* Read exactly n bytes (storage may return short reads). */
static mm_err_t read_full(mm_loader_t *ld, void *f, void *buf, uint32_t n) {
    uint8_t *p = (uint8_t *)buf;
    while (n) {
        int32_t r = ld->storage.ops->read(ld->storage.ctx, f, p, n);
        if (r < 0) return MM_ERR_READ;
        if (r == 0) return MM_ERR_TRUNCATED;
        p += r;
        n -= (uint32_t)r;
    }
    return MM_OK;
}

static int build_id_is_zero(const volatile uint8_t *id) {
    uint8_t acc = 0;
    for (int i = 0; i < MM_BUILD_ID_LEN; i++) acc |= id[i];
    return acc == 0;
}

/* The header checks of docs/format.md, in its order, up to (not including) the payload. */
static mm_err_t check_header(mm_loader_t *ld, const uint8_t *h, const char *name, uint8_t kind, file_info_t *fi) {
    if (h[0] != MM_MAGIC0 || h[1] != MM_MAGIC1 || h[2] != MM_MAGIC2 || h[3] != MM_MAGIC3) return MM_ERR_MAGIC;
    if ((h[4] | h[5] << 8) != MM_FORMAT_VERSION) return MM_ERR_VERSION;
    if (h[6] != kind) return MM_ERR_KIND;
    if (le32(h + 8) != MM_HEADER_SIZE) return MM_ERR_HEADER_SIZE;
    if (mm_crc32(0, h, 124) != le32(h + 124)) return MM_ERR_HEADER_CRC;
    /* name: NUL-padded, at most 31 bytes, equal to the requested library */
    uint32_t n = 0;
    while (n < MM_NAME_MAX && h[48 + n]) n++;
    if (n == MM_NAME_MAX || n != str_len(name)) return MM_ERR_NAME;
    for (uint32_t i = 0; i < n; i++)
        if (h[48 + i] != (uint8_t)name[i]) return MM_ERR_NAME;
    uint8_t diff = 0;
    for (int i = 0; i < MM_BUILD_ID_LEN; i++) diff |= h[80 + i] ^ ld->build_id[i];
    if (diff) return MM_ERR_BUILD_ID;
    fi->kind = h[6];
    fi->flags = h[7];
    fi->load_addr = le32(h + 12);
    fi->payload_len = le32(h + 16);
    fi->payload_crc = le32(h + 20);
    fi->bss_addr = le32(h + 24);
    fi->bss_len = le32(h + 28);
    fi->ctor_addr = le32(h + 32);
    fi->ctor_count = le32(h + 36);
    return MM_OK;
}

/* [addr, addr+len) inside [start, end)? (no overflow) */
static int inside(uint32_t addr, uint32_t len, uintptr_t start, uintptr_t end) {
    return addr >= start && addr <= end && len <= end - addr;
}
/* Same, but an empty range (a library without data or bss) writes nothing: always ok. */
static int inside_or_empty(uint32_t addr, uint32_t len, uintptr_t start, uintptr_t end) {
    return len == 0 || inside(addr, len, start, end);
}

/* .ctors list markers some toolchains emit: skipped, never called. */
static int is_ctor_marker(uint32_t fn) { return fn == 0 || fn == 0xFFFFFFFFu; }
static int ctor_inside_code(uint32_t fn, uint32_t code_addr, uint32_t code_len) {
    return inside(fn, 1, code_addr, (uintptr_t)code_addr + code_len);
}
static int ctor_table_inside_payload(const file_info_t *fi) {
    return (fi->ctor_addr & 3) == 0 && fi->ctor_count <= fi->payload_len / 4 &&
           inside(fi->ctor_addr, fi->ctor_count * 4, fi->load_addr, fi->load_addr + fi->payload_len);
}

static mm_err_t check_ranges(mm_loader_t *ld, const mm_slot_t *slot, const file_info_t *fi) {
    if (fi->kind == MM_KIND_CODE) {
        if (fi->payload_len > slot->text_end - slot->text_start) return MM_ERR_TOO_BIG;
        if (!inside(fi->load_addr, fi->payload_len, slot->text_start, slot->text_end)) return MM_ERR_OUT_OF_SLOT;
        if ((fi->load_addr | fi->payload_len) & 3) return MM_ERR_ALIGN;
        if (slot->flash) return MM_OK; /* the MMU's window, checked by the flash plan */
        if (ld->memory.check_code_region)
            return ld->memory.check_code_region(ld->memory.ctx, fi->load_addr, fi->payload_len);
        return MM_OK;
    }
    uintptr_t size = slot->data_end - slot->data_start;
    uintptr_t bss_size = slot->bss_end > slot->bss_start ? slot->bss_end - slot->bss_start : 0;
    if (fi->payload_len > size || fi->bss_len > (size > bss_size ? size : bss_size)) return MM_ERR_TOO_BIG;
    if (!inside_or_empty(fi->load_addr, fi->payload_len, slot->data_start, slot->data_end)) return MM_ERR_OUT_OF_SLOT;
    /* bss: inside the data range, or inside the slot's own bss range if it has one */
    if (!inside_or_empty(fi->bss_addr, fi->bss_len, slot->data_start, slot->data_end) &&
        !(bss_size && inside(fi->bss_addr, fi->bss_len, slot->bss_start, slot->bss_end)))
        return MM_ERR_OUT_OF_SLOT;
    /* the table must be word aligned and lie inside the payload we copy */
    if (fi->ctor_count && !ctor_table_inside_payload(fi)) return MM_ERR_CTOR_RANGE;
    return MM_OK;
}

/* Stream the payload through `sink` (or only the CRC when sink is NULL); returns its CRC. */
typedef mm_err_t (*payload_sink_t)(mm_loader_t *ld, uint32_t offset, const uint32_t *buf, uint32_t n, file_info_t *fi);
static mm_err_t stream_payload(mm_loader_t *ld, void *f, file_info_t *fi, payload_sink_t sink, uint32_t *crc_out) {
    uint32_t buf[CHUNK_WORDS];
    uint32_t crc = 0, done = 0;
    while (done < fi->payload_len) {
        uint32_t n = fi->payload_len - done;
        if (n > sizeof buf) n = sizeof buf;
        mm_err_t e = read_full(ld, f, buf, n);
        if (e) return e;
        crc = mm_crc32(crc, buf, n);
        if (sink && (e = sink(ld, done, buf, n, fi)) != MM_OK) return e;
        done += n;
    }
    *crc_out = crc;
    return MM_OK;
}

/* Verification pass over a _d payload: look at every constructor entry (little-endian
 * words, the table may start at any payload offset) so that a pointer outside the code,
 * or constructors without a call hook, refuse the library before anything is evicted. */
static mm_err_t sink_check_ctors(mm_loader_t *ld, uint32_t off, const uint32_t *buf, uint32_t n, file_info_t *fi) {
    (void)ld;
    const uint8_t *bytes = (const uint8_t *)buf;
    uint32_t first = fi->ctor_addr - fi->load_addr, end = first + 4 * fi->ctor_count;
    for (uint32_t p = off > first ? off : first; p < off + n && p < end; p++) {
        uint32_t byte = (p - first) & 3;
        fi->ctor_word = (byte ? fi->ctor_word : 0) | (uint32_t)bytes[p - off] << (8 * byte);
        if (byte != 3 || is_ctor_marker(fi->ctor_word)) continue;
        fi->ctors_real++;
        if (!ctor_inside_code(fi->ctor_word, fi->code_addr, fi->code_len)) fi->ctors_outside++;
    }
    return MM_OK;
}

static mm_err_t check_ctors(mm_loader_t *ld, const file_info_t *fi) {
    if (fi->ctors_outside) return MM_ERR_CTOR_RANGE;
    if (fi->ctors_real && !ld->memory.call) return MM_ERR_NO_CALL_HOOK;
    return MM_OK;
}

/* Open one file and make every check; fi describes it afterwards. */
static mm_err_t verify_file(mm_loader_t *ld, mm_library_t *lib, uint8_t kind, file_info_t *fi) {
    if (!build_path(ld, lib->name, kind == MM_KIND_CODE ? 'e' : 'd', fi)) return MM_ERR_ARGUMENT;
    void *f = ld->storage.ops->open(ld->storage.ctx, fi->path);
    if (!f) return MM_ERR_OPEN;
    uint8_t h[MM_HEADER_SIZE];
    int32_t size = ld->storage.ops->size(ld->storage.ctx, f);
    mm_err_t e = size < 0 ? MM_ERR_READ : read_full(ld, f, h, sizeof h);
    if (!e) e = check_header(ld, h, lib->name, kind, fi);
    if (!e && (uint32_t)size - MM_HEADER_SIZE < fi->payload_len) e = MM_ERR_TRUNCATED;
    if (!e && (uint32_t)size - MM_HEADER_SIZE > fi->payload_len) e = MM_ERR_FILE_SIZE;
    uint32_t crc = 0;
    fi->ctors_real = fi->ctors_outside = 0;
    int look_at_ctors = !e && kind == MM_KIND_DATA && fi->ctor_count && ctor_table_inside_payload(fi);
    if (!e) e = stream_payload(ld, f, fi, look_at_ctors ? sink_check_ctors : 0, &crc);
    if (!e && crc != fi->payload_crc) e = MM_ERR_PAYLOAD_CRC;
    if (!e) e = check_ranges(ld, lib->slot, fi);
    if (!e) e = check_ctors(ld, fi);
    ld->storage.ops->close(ld->storage.ctx, f);
    return e;
}

static mm_err_t fail(mm_loader_t *ld, mm_err_t e, const char *name, char kind) {
    ld->last_error = e;
    ld->last_file[0] = 0;
    if (name && e != MM_OK) {
        str_append(ld->last_file, sizeof ld->last_file - 2, name);
        if (kind) {
            char tail[3] = {'_', kind, 0};
            str_append(ld->last_file, sizeof ld->last_file, tail);
        }
    }
    return e;
}

static mm_err_t lookup(mm_loader_t *ld, const char *name, mm_library_t **out) {
    if (!ld || !name) return MM_ERR_ARGUMENT;
    if (!ld->storage.ops) return ld->last_error; /* mm_loader_init failed: keep saying why */
    if (str_len(name) >= MM_NAME_MAX) return fail(ld, MM_ERR_ARGUMENT, 0, 0);
    *out = mm_find_library(name);
    if (!*out || !(*out)->slot) return fail(ld, MM_ERR_UNKNOWN_LIBRARY, name, 0);
    return MM_OK;
}

/* Flash slot: where the image goes and whether the partition holds it already. */
static mm_err_t plan_flash(mm_loader_t *ld, mm_library_t *lib, const file_info_t *fe, mm_flash_plan_t *plan) {
    if (!ld->flash || !ld->flash_impl) return MM_ERR_FLASH_NONE;
    return ld->flash_impl->plan(ld, lib, fe->load_addr, fe->payload_len, fe->payload_crc, plan);
}

static mm_err_t verify_both(mm_loader_t *ld, mm_library_t *lib, file_info_t *fe, file_info_t *fd,
                            mm_flash_plan_t *plan) {
    if (build_id_is_zero(ld->build_id)) return fail(ld, MM_ERR_NOT_SPLIT, lib->name, 0);
    mm_err_t e = verify_file(ld, lib, MM_KIND_CODE, fe);
    if (!e && lib->slot->flash) e = plan_flash(ld, lib, fe, plan);
    if (e) return fail(ld, e, lib->name, 'e');
    fd->code_addr = fe->load_addr; /* constructors must point into this code */
    fd->code_len = fe->payload_len;
    e = verify_file(ld, lib, MM_KIND_DATA, fd);
    if (e) return fail(ld, e, lib->name, 'd');
    return MM_OK;
}

mm_err_t mm_verify(mm_loader_t *ld, const char *name) {
    mm_library_t *lib;
    mm_err_t e = lookup(ld, name, &lib);
    if (e) return e;
    file_info_t fe, fd;
    mm_flash_plan_t plan;
    e = verify_both(ld, lib, &fe, &fd, &plan);
    return e ? e : fail(ld, MM_OK, 0, 0);
}

/* ---- copying --------------------------------------------------------------------------- */
static mm_err_t sink_code(mm_loader_t *ld, uint32_t off, const uint32_t *buf, uint32_t n, file_info_t *fi) {
    /* n is a multiple of 4: payload_len is (checked) and chunks are whole words */
    return ld->memory.write_code(ld->memory.ctx, fi->load_addr + off, buf, n / 4) ? MM_ERR_WRITE : MM_OK;
}
/* Data memory is ordinary RAM on every port so far: without a port hook, plain byte
 * stores (volatile, so that no compiler turns the loops into memcpy/memset calls: the
 * loader links no C library). */
static int write_data(mm_loader_t *ld, uintptr_t dst, const void *src, uint32_t n) {
    if (ld->memory.write_data) return ld->memory.write_data(ld->memory.ctx, dst, src, n);
    volatile uint8_t *d = (volatile uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t i = 0; i < n; i++) d[i] = s[i];
    return 0;
}
static int zero_data(mm_loader_t *ld, uintptr_t dst, uint32_t n) {
    if (ld->memory.zero_data) return ld->memory.zero_data(ld->memory.ctx, dst, n);
    volatile uint8_t *d = (volatile uint8_t *)dst;
    for (uint32_t i = 0; i < n; i++) d[i] = 0;
    return 0;
}
static mm_err_t sink_flash(mm_loader_t *ld, uint32_t off, const uint32_t *buf, uint32_t n, file_info_t *fi) {
    return ld->flash_impl->feed(ld, fi->plan, off, (const uint8_t *)buf, n);
}
static mm_err_t sink_data(mm_loader_t *ld, uint32_t off, const uint32_t *buf, uint32_t n, file_info_t *fi) {
    return write_data(ld, fi->load_addr + off, buf, n) ? MM_ERR_WRITE : MM_OK;
}

/* Second pass: copy while recomputing the CRC; a file that changed since verification
 * (or a flaky card) is caught before anything is called. */
static mm_err_t copy_file(mm_loader_t *ld, file_info_t *fi, payload_sink_t sink) {
    void *f = ld->storage.ops->open(ld->storage.ctx, fi->path);
    if (!f) return MM_ERR_OPEN;
    uint8_t h[MM_HEADER_SIZE];
    uint32_t crc = 0;
    mm_err_t e = read_full(ld, f, h, sizeof h);
    if (!e && (le32(h + 12) != fi->load_addr || le32(h + 16) != fi->payload_len || le32(h + 20) != fi->payload_crc))
        e = MM_ERR_CHANGED;
    if (!e) e = stream_payload(ld, f, fi, sink, &crc);
    if (!e && crc != fi->payload_crc) e = MM_ERR_CHANGED;
    ld->storage.ops->close(ld->storage.ctx, f);
    return e;
}

static void run_destructors(mm_library_t *lib) {
    while (lib->ndtors) {
        mm_dtor_t d = lib->dtors[--lib->ndtors];
        d.fn(d.arg);
    }
}

/* Fill code memory with zeros: an illegal instruction on Xtensa (ill) and RISC-V
 * (c.unimp), so a stale raw call faults instead of running half-replaced code. */
static void poison_code(mm_loader_t *ld, uint32_t addr, uint32_t len) {
    static const uint32_t zero[16] = {0};
    for (uint32_t off = 0; off < len; off += sizeof zero) {
        uint32_t n = len - off;
        if (n > sizeof zero) n = sizeof zero;
        ld->memory.write_code(ld->memory.ctx, addr + off, zero, n / 4);
    }
    if (ld->memory.sync_code) ld->memory.sync_code(ld->memory.ctx, addr, len);
}

/* A library's code can no longer run: RAM slot zero-filled, flash slot unmapped. */
static void make_unrunnable(mm_loader_t *ld, const mm_slot_t *slot, uint32_t addr, uint32_t len) {
    if (!len) return;
    if (slot->flash) {
        if (ld->flash_impl) ld->flash_impl->unmap(ld, addr, len);
    } else {
        poison_code(ld, addr, len);
    }
}

/* Eviction of a flash library unmaps too (poison 0 is for RAM slots, whose code the
 * next library overwrites anyway): nothing may fetch its pages while the slot changes. */
static void release_slot(mm_loader_t *ld, mm_library_t *lib, int poison) {
    run_destructors(lib);
    lib->slot->occupant = 0;
    if ((poison || lib->slot->flash) && lib->code_len) make_unrunnable(ld, lib->slot, lib->code_addr, lib->code_len);
    lib->code_len = 0;
}

static uint32_t ctor_entry(mm_loader_t *ld, uint32_t table, uint32_t i) {
    uintptr_t addr = (uintptr_t)table + 4 * i;
    if (ld->memory.read_word) return ld->memory.read_word(ld->memory.ctx, addr);
    return *(const volatile uint32_t *)addr;
}

/* Constructor table: verification already refused pointers outside the code; the table
 * as it now sits in data memory is checked again, so a write the memory did not keep
 * cannot send a call elsewhere. Markers (0, -1) are skipped. */
static mm_err_t run_constructors(mm_loader_t *ld, mm_library_t *lib, const file_info_t *fd) {
    uint32_t count = fd->ctor_count;
    int reversed = fd->flags & MM_FLAG_CTORS_REVERSED;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t fn = ctor_entry(ld, fd->ctor_addr, reversed ? count - 1 - i : i);
        if (is_ctor_marker(fn)) continue;
        if (!ctor_inside_code(fn, lib->code_addr, lib->code_len)) return MM_ERR_CTOR_RANGE;
        if (!ld->memory.call) return MM_ERR_NO_CALL_HOOK;
    }
    loading = lib;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t fn = ctor_entry(ld, fd->ctor_addr, reversed ? count - 1 - i : i);
        if (!is_ctor_marker(fn)) ld->memory.call(ld->memory.ctx, fn);
    }
    loading = 0;
    return MM_OK;
}

/* Flash slot: write the image if the partition does not hold it yet, then map it. A
 * failure leaves the image invalid (its header erased), so the next load rewrites it. */
static mm_err_t place_in_flash(mm_loader_t *ld, file_info_t *fe, const mm_flash_plan_t *plan) {
    const struct mm_flash_impl *impl = ld->flash_impl;
    mm_err_t e = MM_OK;
    if (plan->rewrite) {
        fe->plan = plan;
        if ((e = impl->begin(ld, plan)) == MM_OK && (e = copy_file(ld, fe, sink_flash)) == MM_OK)
            e = impl->finish(ld, plan);
        if (e) return e;
    }
    return impl->map(ld, plan);
}

mm_err_t mm_load(mm_loader_t *ld, const char *name) {
    mm_library_t *lib;
    mm_err_t e = lookup(ld, name, &lib);
    if (e) return e;
    if (lib->slot->occupant == lib) return fail(ld, MM_OK, 0, 0);
    file_info_t fe, fd;
    mm_flash_plan_t plan;
    if ((e = verify_both(ld, lib, &fe, &fd, &plan)) != MM_OK) return e;

    /* Everything checked: from here on the slot's previous contents are given up. */
    if (lib->slot->occupant) release_slot(ld, lib->slot->occupant, 0);
    lib->ndtors = 0;
    char failed = 0;
    if ((e = lib->slot->flash ? place_in_flash(ld, &fe, &plan) : copy_file(ld, &fe, sink_code)) != MM_OK)
        failed = 'e';
    else if ((e = copy_file(ld, &fd, sink_data)) != MM_OK)
        failed = 'd';
    else if (fd.bss_len && zero_data(ld, fd.bss_addr, fd.bss_len))
        e = MM_ERR_WRITE, failed = 'd';
    if (failed) {
        /* the slot now holds a partial copy (or a mapping without its data): make it
         * fault rather than run */
        make_unrunnable(ld, lib->slot, fe.load_addr, fe.payload_len);
        return fail(ld, e, name, failed);
    }
    if (!lib->slot->flash && ld->memory.sync_code) ld->memory.sync_code(ld->memory.ctx, fe.load_addr, fe.payload_len);
    lib->code_addr = fe.load_addr;
    lib->code_len = fe.payload_len;
    /* occupant is set before the constructors run, so a constructor calling an MM_LAZY
     * wrapper of its own library does not recurse into another load */
    lib->slot->occupant = lib;
    if ((e = run_constructors(ld, lib, &fd)) != MM_OK) {
        release_slot(ld, lib, 1);
        return fail(ld, e, name, 'd');
    }
    return fail(ld, MM_OK, 0, 0);
}

mm_err_t mm_unload(mm_loader_t *ld, const char *name) {
    mm_library_t *lib;
    mm_err_t e = lookup(ld, name, &lib);
    if (e) return e;
    if (lib->slot->occupant != lib) return fail(ld, MM_ERR_NOT_LOADED, name, 0);
    release_slot(ld, lib, 1);
    return fail(ld, MM_OK, 0, 0);
}

mm_err_t mm_require(const char *name) {
    if (mm_is_loaded(name)) return MM_OK;
    if (!default_loader) return MM_ERR_NO_LOADER;
    return mm_load(default_loader, name);
}
