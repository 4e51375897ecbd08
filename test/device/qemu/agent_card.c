/* The agent's filesystem (mm_agent_fs_t) for the device tests: the "card" is the
 * emulator's working directory on the host, reached through semihosting (the calls are in
 * firmware/src/mm_semihost.h, shared with the loader's storage). lx106 semihosting has no
 * rename or unlink: here rename is a copy and remove truncates the file to 0 bytes, which
 * changes nothing the tests look at (the final files' bytes). No folders: mkdir succeeds
 * (the test creates mm/), list is empty, df says "unknown". */
#include "mm_agent.h"
#include "mm_semihost.h"
#include <stdint.h>

#define FD_OF(file) ((int32_t)(intptr_t)(file)-1) /* fd 0 is valid: store fd + 1 */
#define FILE_OF(fd) ((void *)(intptr_t)((fd) + 1))

static int32_t h_open(const char *path, int mode) {
    return mm_sh_open(path, mode == MM_FS_READ ? MM_SH_READ : mode == MM_FS_WRITE ? MM_SH_WRITE : MM_SH_APPEND);
}
#define h_read  mm_sh_read
#define h_write mm_sh_write
#define h_close mm_sh_close
#define h_size  mm_sh_size

static int h_remove(const char *path) {
    if (MM_SH_HAS_RENAME) return mm_sh_remove(path) == 0 ? 0 : -MM_AGENT_IO;
    int32_t fd = h_open(path, MM_FS_WRITE); /* no unlink (lx106): leave it empty */
    if (fd < 0) return -MM_AGENT_IO;
    h_close(fd);
    return 0;
}
static int h_rename(const char *from, const char *to) {
    if (MM_SH_HAS_RENAME) return mm_sh_rename(from, to) == 0 ? 0 : -MM_AGENT_IO;
    static uint8_t buf[256]; /* no rename (lx106): copy, then empty the source */
    int32_t in = h_open(from, MM_FS_READ), out = in < 0 ? -1 : h_open(to, MM_FS_WRITE), got = 0;
    if (out < 0) {
        if (in >= 0) h_close(in);
        return -MM_AGENT_IO;
    }
    while ((got = h_read(in, buf, sizeof buf)) > 0)
        if (h_write(out, buf, (uint32_t)got) != got) break;
    h_close(in);
    h_close(out);
    return got == 0 ? h_remove(from) : -MM_AGENT_IO;
}

static int card_open(void *ctx, const char *path, int mode, void **file) {
    (void)ctx;
    int32_t fd = h_open(path, mode);
    if (fd < 0) return mode == MM_FS_READ ? -MM_AGENT_NOT_FOUND : -MM_AGENT_IO;
    *file = FILE_OF(fd);
    return 0;
}
static int32_t card_read(void *ctx, void *file, void *buf, uint32_t n) {
    (void)ctx;
    return h_read(FD_OF(file), buf, n);
}
static int32_t card_write(void *ctx, void *file, const void *buf, uint32_t n) {
    (void)ctx;
    return h_write(FD_OF(file), buf, n);
}
static int card_close(void *ctx, void *file) {
    (void)ctx;
    h_close(FD_OF(file));
    return 0;
}
static int card_stat(void *ctx, const char *path, mm_fs_entry_t *out) {
    (void)ctx;
    int32_t fd = h_open(path, MM_FS_READ);
    if (fd < 0) return -MM_AGENT_NOT_FOUND;
    int32_t size = h_size(fd);
    h_close(fd);
    if (size < 0) return -MM_AGENT_IO;
    out->is_dir = 0;
    out->size = (uint32_t)size;
    out->name[0] = 0;
    return 0;
}
static int card_remove(void *ctx, const char *path) {
    (void)ctx;
    return h_remove(path);
}
static int card_rename(void *ctx, const char *from, const char *to) {
    (void)ctx;
    return h_rename(from, to);
}
static int card_mkdir(void *ctx, const char *path) {
    (void)ctx, (void)path;
    return 0;
}
static int card_list(void *ctx, const char *path, uint32_t index, mm_fs_entry_t *out) {
    (void)ctx, (void)path, (void)index, (void)out;
    return 0;
}
static int card_df(void *ctx, uint64_t *total, uint64_t *used) {
    (void)ctx;
    *total = 0, *used = 0;
    return 0;
}

static const mm_agent_fs_t card = {0,           card_open,   card_read,  card_write, card_close, card_stat,
                                   card_remove, card_rename, card_mkdir, card_list,  card_df};

const mm_agent_fs_t *agent_card_semihost(void) { return &card; }
