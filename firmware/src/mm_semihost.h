/* ESP32 Memory Manager: QEMU semihosting calls, shared by the semihosting storage
 * (mm_storage_semihost.c) and the semihosting flash back end (mm_flash_semihost.c).
 * Private to the library; only with -DMM_SEMIHOSTING. Paths are relative to the
 * emulator's working directory.
 *  - Xtensa (qemu-system-xtensa -M sim -semihosting): `simcall`, call number in a2,
 *    arguments in a3..a5 (read 3, write 4, open 5, close 6, lseek 19), result in a2;
 *    open's flags are the host's (O_RDONLY 0, O_RDWR 2).
 *  - RISC-V (qemu-system-riscv32 -semihosting-config enable=on): the ARM semihosting
 *    calls (SYS_OPEN 0x01, SYS_CLOSE 0x02, SYS_WRITE 0x05, SYS_READ 0x06, SYS_SEEK 0x0A,
 *    SYS_FLEN 0x0C) through the `slli x0,x0,0x1f; ebreak; srai x0,x0,7` sequence,
 *    a0 = call, a1 = argument block. */
#ifndef MM_SEMIHOST_H
#define MM_SEMIHOST_H
#include <stdint.h>

#if defined(__XTENSA__)
static inline int32_t mm__simcall(int32_t nr, int32_t a, int32_t b, int32_t c) {
    register int32_t a2 __asm__("a2") = nr;
    register int32_t a3 __asm__("a3") = a;
    register int32_t a4 __asm__("a4") = b;
    register int32_t a5 __asm__("a5") = c;
    __asm__ volatile(".byte 0x00, 0x51, 0x00" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}
/* fd >= 0, or < 0 */
static inline int32_t mm__sh_open(const char *path, int writable) {
    return mm__simcall(5, (int32_t)(intptr_t)path, writable ? 2 /* O_RDWR */ : 0 /* O_RDONLY */, 0);
}
static inline void mm__sh_close(int32_t fd) { mm__simcall(6, fd, 0, 0); }
/* bytes transferred, < 0 on error */
static inline int32_t mm__sh_read(int32_t fd, void *buf, uint32_t n) {
    return mm__simcall(3, fd, (int32_t)(intptr_t)buf, (int32_t)n);
}
static inline int32_t mm__sh_write(int32_t fd, const void *buf, uint32_t n) {
    return mm__simcall(4, fd, (int32_t)(intptr_t)buf, (int32_t)n);
}
/* 0 on success */
static inline int32_t mm__sh_seek(int32_t fd, uint32_t pos) {
    return mm__simcall(19, fd, (int32_t)pos, 0 /* SEEK_SET */) == (int32_t)pos ? 0 : -1;
}
/* the file's size; the position is kept */
static inline int32_t mm__sh_size(int32_t fd) {
    int32_t here = mm__simcall(19, fd, 0, 1 /* SEEK_CUR */);
    int32_t end = mm__simcall(19, fd, 0, 2 /* SEEK_END */);
    if (here < 0 || end < 0 || mm__simcall(19, fd, here, 0 /* SEEK_SET */) < 0) return -1;
    return end;
}
#elif defined(__riscv)
static inline int32_t mm__semihost(int32_t op, const void *args) {
    register int32_t a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = args;
    __asm__ volatile(".option push\n\t.option norvc\n\t.balign 16\n\t"
                     "slli x0, x0, 0x1f\n\tebreak\n\tsrai x0, x0, 7\n\t.option pop"
                     : "+r"(a0) : "r"(a1) : "memory");
    return a0;
}
static inline int32_t mm__sh_open(const char *path, int writable) {
    uint32_t n = 0;
    while (path[n]) n++;
    uintptr_t args[3] = {(uintptr_t)path, writable ? 3u /* "r+b" */ : 1u /* "rb" */, n};
    return mm__semihost(0x01, args);
}
static inline void mm__sh_close(int32_t fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    mm__semihost(0x02, args);
}
/* SYS_READ / SYS_WRITE return the bytes NOT transferred */
static inline int32_t mm__sh_read(int32_t fd, void *buf, uint32_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    int32_t left = mm__semihost(0x06, args);
    return left < 0 || (uint32_t)left > n ? -1 : (int32_t)(n - (uint32_t)left);
}
static inline int32_t mm__sh_write(int32_t fd, const void *buf, uint32_t n) {
    uintptr_t args[3] = {(uintptr_t)fd, (uintptr_t)buf, n};
    int32_t left = mm__semihost(0x05, args);
    return left < 0 || (uint32_t)left > n ? -1 : (int32_t)(n - (uint32_t)left);
}
static inline int32_t mm__sh_seek(int32_t fd, uint32_t pos) {
    uintptr_t args[2] = {(uintptr_t)fd, pos};
    return mm__semihost(0x0A, args) == 0 ? 0 : -1;
}
static inline int32_t mm__sh_size(int32_t fd) {
    uintptr_t args[1] = {(uintptr_t)fd};
    return mm__semihost(0x0C, args);
}
#else
#error "mm_semihost.h: semihosting is implemented for Xtensa and RISC-V only"
#endif
#endif
