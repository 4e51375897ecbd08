/* Semihosting file calls, for running the device code under QEMU (the device tests): the
 * emulator's working directory plays the SD card (and, for flash slots, the partition).
 * Used by mm_storage_semihost.c and the tests' agent filesystem; only with -DMM_SEMIHOSTING.
 *  - Xtensa (qemu-system-xtensa -M sim -semihosting): `simcall`, call number in a2,
 *    arguments in a3..a5 (read 3, write 4, open 5, close 6, lseek 19), result in a2. open
 *    takes the HOST's open(2) flags (QEMU passes them through). lx106 semihosting has no
 *    rename or unlink: mm_sh_rename and mm_sh_remove return -1 there.
 *  - RISC-V (qemu-system-riscv32 -semihosting-config enable=on): the ARM semihosting calls
 *    SYS_OPEN 0x01, SYS_CLOSE 0x02, SYS_WRITE 0x05, SYS_READ 0x06, SYS_SEEK 0x0A,
 *    SYS_FLEN 0x0C, SYS_REMOVE 0x0E, SYS_RENAME 0x0F through the
 *    `slli x0,x0,0x1f; ebreak; srai x0,x0,7` sequence, a0 = call, a1 = argument block.
 * All calls return a negative number on failure; read and write return the bytes moved. */
#ifndef MM_SEMIHOST_H
#define MM_SEMIHOST_H
#if defined(MM_SEMIHOSTING)
#include <stdint.h>

typedef enum {
    MM_SH_READ,   /* existing file, read only */
    MM_SH_WRITE,  /* created or truncated, write only */
    MM_SH_APPEND, /* created if missing, writes go to the end */
    MM_SH_UPDATE  /* existing file, read and write anywhere (a flash partition image) */
} mm_sh_mode_t;

#if defined(__XTENSA__)
static inline int32_t mm_sh_call(int32_t nr, int32_t a, int32_t b, int32_t c) {
    register int32_t a2 __asm__("a2") = nr;
    register int32_t a3 __asm__("a3") = a;
    register int32_t a4 __asm__("a4") = b;
    register int32_t a5 __asm__("a5") = c;
    __asm__ volatile(".byte 0x00, 0x51, 0x00" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}
#define MM_SH_HOST_O_WRONLY 0x1
#define MM_SH_HOST_O_RDWR   0x2
#define MM_SH_HOST_O_CREAT  0x40
#define MM_SH_HOST_O_TRUNC  0x200
#define MM_SH_HOST_O_APPEND 0x400
static inline int32_t mm_sh_open(const char *path, mm_sh_mode_t mode) {
    int32_t flags = mode == MM_SH_READ     ? 0
                    : mode == MM_SH_WRITE  ? MM_SH_HOST_O_WRONLY | MM_SH_HOST_O_CREAT | MM_SH_HOST_O_TRUNC
                    : mode == MM_SH_APPEND ? MM_SH_HOST_O_WRONLY | MM_SH_HOST_O_CREAT | MM_SH_HOST_O_APPEND
                                           : MM_SH_HOST_O_RDWR;
    return mm_sh_call(5, (int32_t)(intptr_t)path, flags, 0644);
}
static inline int32_t mm_sh_read(int32_t fd, void *buf, uint32_t n) {
    return mm_sh_call(3, fd, (int32_t)(intptr_t)buf, (int32_t)n);
}
static inline int32_t mm_sh_write(int32_t fd, const void *buf, uint32_t n) {
    return mm_sh_call(4, fd, (int32_t)(intptr_t)buf, (int32_t)n);
}
static inline void mm_sh_close(int32_t fd) { mm_sh_call(6, fd, 0, 0); }
/* Moves to byte `pos` from the start; the new position or negative. */
static inline int32_t mm_sh_seek(int32_t fd, uint32_t pos) {
    return mm_sh_call(19, fd, (int32_t)pos, 0 /* SEEK_SET */);
}
/* The file's length; the position is left where it was. */
static inline int32_t mm_sh_size(int32_t fd) {
    int32_t here = mm_sh_call(19, fd, 0, 1 /* SEEK_CUR */);
    int32_t end = mm_sh_call(19, fd, 0, 2 /* SEEK_END */);
    if (here < 0 || end < 0 || mm_sh_call(19, fd, here, 0 /* SEEK_SET */) < 0) return -1;
    return end;
}
#define MM_SH_HAS_RENAME 0 /* nor remove */
static inline int32_t mm_sh_remove(const char *path) {
    (void)path;
    return -1;
}
static inline int32_t mm_sh_rename(const char *from, const char *to) {
    (void)from;
    (void)to;
    return -1;
}

#elif defined(__riscv)
static inline int32_t mm_sh_call(int32_t op, const void *args) {
    register int32_t a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = args;
    __asm__ volatile(".option push\n\t.option norvc\n\t.balign 16\n\t"
                     "slli x0, x0, 0x1f\n\tebreak\n\tsrai x0, x0, 7\n\t.option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return a0;
}
#define MM_SH_HAS_RENAME 1 /* and remove */
static inline uint32_t mm_sh_strlen(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}
static inline int32_t mm_sh_open(const char *path, mm_sh_mode_t mode) {
    /* fopen modes by index: 1 "rb", 3 "r+b", 5 "wb", 9 "ab" */
    uintptr_t how = mode == MM_SH_READ ? 1u : mode == MM_SH_WRITE ? 5u : mode == MM_SH_APPEND ? 9u : 3u;
    uintptr_t args[3] = {(uintptr_t)path, how, mm_sh_strlen(path)};
    return mm_sh_call(0x01, args);
}
/* SYS_READ and SYS_WRITE return the bytes NOT transferred */
static inline int32_t mm_sh_moved(int32_t left, uint32_t n) {
    return left < 0 || (uint32_t)left > n ? -1 : (int32_t)(n - (uint32_t)left);
}
static inline int32_t mm_sh_read(int32_t fd, void *buf, uint32_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    return mm_sh_moved(mm_sh_call(0x06, args), n);
}
static inline int32_t mm_sh_write(int32_t fd, const void *buf, uint32_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    return mm_sh_moved(mm_sh_call(0x05, args), n);
}
static inline void mm_sh_close(int32_t fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    mm_sh_call(0x02, args);
}
static inline int32_t mm_sh_seek(int32_t fd, uint32_t pos) {
    uintptr_t args[2] = {(uintptr_t)fd, pos};
    return mm_sh_call(0x0A, args) == 0 ? (int32_t)pos : -1;
}
static inline int32_t mm_sh_size(int32_t fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    return mm_sh_call(0x0C, args);
}
static inline int32_t mm_sh_remove(const char *path) {
    uintptr_t args[2] = {(uintptr_t)path, mm_sh_strlen(path)};
    return mm_sh_call(0x0E, args) == 0 ? 0 : -1;
}
static inline int32_t mm_sh_rename(const char *from, const char *to) {
    uintptr_t args[4] = {(uintptr_t)from, mm_sh_strlen(from), (uintptr_t)to, mm_sh_strlen(to)};
    return mm_sh_call(0x0F, args) == 0 ? 0 : -1;
}
#else
#error "mm_semihost.h: semihosting is implemented for Xtensa and RISC-V only"
#endif

#endif /* MM_SEMIHOSTING */
#endif
