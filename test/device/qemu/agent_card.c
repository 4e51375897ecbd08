/* The agent's filesystem (mm_agent_fs_t) for the device tests: the "card" is the
 * emulator's working directory on the host, reached through semihosting, as the loader's
 * storage is (firmware/src/mm_storage_semihost.c, whose calls are static there).
 *  - Xtensa (qemu-system-xtensa -M sim): simcall open 5 / read 3 / write 4 / close 6 /
 *    lseek 19; open takes the HOST's open(2) flags (QEMU passes them through). QEMU's
 *    lx106 semihosting has no rename or unlink: rename is a copy and remove truncates the
 *    file to 0 bytes. Neither changes what the tests look at (the final files' bytes).
 *  - RISC-V: the ARM semihosting calls SYS_OPEN 0x01, SYS_CLOSE 0x02, SYS_WRITE 0x05,
 *    SYS_READ 0x06, SYS_FLEN 0x0C, SYS_REMOVE 0x0E, SYS_RENAME 0x0F (a real rename(2)).
 * No folders: mkdir succeeds (the test creates mm/), list is empty, df says "unknown". */
#include "mm_agent.h"
#include <stdint.h>

#define FD_OF(file) ((int32_t)(intptr_t)(file) - 1) /* fd 0 is valid: store fd + 1 */
#define FILE_OF(fd) ((void *)(intptr_t)((fd) + 1))

#if defined(__XTENSA__)
static int32_t simcall(int32_t nr, int32_t a, int32_t b, int32_t c) {
    register int32_t a2 __asm__("a2") = nr;
    register int32_t a3 __asm__("a3") = a;
    register int32_t a4 __asm__("a4") = b;
    register int32_t a5 __asm__("a5") = c;
    __asm__ volatile(".byte 0x00, 0x51, 0x00" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}
#define HOST_O_WRONLY 0x1
#define HOST_O_CREAT 0x40
#define HOST_O_TRUNC 0x200
#define HOST_O_APPEND 0x400
static int32_t h_open(const char *path, int mode) {
    int32_t flags = mode == MM_FS_READ ? 0
                  : mode == MM_FS_WRITE ? HOST_O_WRONLY | HOST_O_CREAT | HOST_O_TRUNC
                  : HOST_O_WRONLY | HOST_O_CREAT | HOST_O_APPEND;
    return simcall(5, (int32_t)(intptr_t)path, flags, 0644);
}
static int32_t h_read(int32_t fd, void *buf, uint32_t n) { return simcall(3, fd, (int32_t)(intptr_t)buf, (int32_t)n); }
static int32_t h_write(int32_t fd, const void *buf, uint32_t n) { return simcall(4, fd, (int32_t)(intptr_t)buf, (int32_t)n); }
static void h_close(int32_t fd) { simcall(6, fd, 0, 0); }
static int32_t h_size(int32_t fd) { return simcall(19, fd, 0, 2 /* SEEK_END */); }
static int h_remove(const char *path) {
    int32_t fd = h_open(path, MM_FS_WRITE);
    if (fd < 0) return -MM_AGENT_IO;
    h_close(fd);
    return 0;
}
static int h_rename(const char *from, const char *to) {
    static uint8_t buf[256];
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
#elif defined(__riscv)
static uint32_t str_len(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

static int32_t semihost(int32_t op, const void *args) {
    register int32_t a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = args;
    __asm__ volatile(".option push\n\t.option norvc\n\t.balign 16\n\t"
                     "slli x0, x0, 0x1f\n\tebreak\n\tsrai x0, x0, 7\n\t.option pop"
                     : "+r"(a0) : "r"(a1) : "memory");
    return a0;
}
static int32_t h_open(const char *path, int mode) {
    uintptr_t args[3] = {(uintptr_t)path, mode == MM_FS_READ ? 1u /* rb */ : mode == MM_FS_WRITE ? 5u /* wb */ : 9u /* ab */,
                         str_len(path)};
    return semihost(0x01, args);
}
/* SYS_READ and SYS_WRITE return the bytes NOT transferred */
static int32_t h_read(int32_t fd, void *buf, uint32_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    int32_t left = semihost(0x06, args);
    return left < 0 || (uint32_t)left > n ? -1 : (int32_t)(n - (uint32_t)left);
}
static int32_t h_write(int32_t fd, const void *buf, uint32_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    int32_t left = semihost(0x05, args);
    return left < 0 || (uint32_t)left > n ? -1 : (int32_t)(n - (uint32_t)left);
}
static void h_close(int32_t fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    semihost(0x02, args);
}
static int32_t h_size(int32_t fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    return semihost(0x0C, args);
}
static int h_remove(const char *path) {
    uintptr_t args[2] = {(uintptr_t)path, str_len(path)};
    return semihost(0x0E, args) == 0 ? 0 : -MM_AGENT_IO;
}
static int h_rename(const char *from, const char *to) {
    uintptr_t args[4] = {(uintptr_t)from, str_len(from), (uintptr_t)to, str_len(to)};
    return semihost(0x0F, args) == 0 ? 0 : -MM_AGENT_IO;
}
#else
#error "agent_card.c: semihosting is implemented for Xtensa and RISC-V only"
#endif

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

static const mm_agent_fs_t card = {0, card_open, card_read, card_write, card_close, card_stat,
                                   card_remove, card_rename, card_mkdir, card_list, card_df};

const mm_agent_fs_t *agent_card_semihost(void) { return &card; }
