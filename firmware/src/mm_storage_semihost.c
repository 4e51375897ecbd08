/* Semihosting storage backend, for running the loader under QEMU (the device tests):
 * the emulator's working directory plays the SD card. Built only with -DMM_SEMIHOSTING.
 *  - Xtensa (qemu-system-xtensa -M sim -semihosting): `simcall`, call number in a2,
 *    arguments in a3..a5 (open 5, read 3, close 6, lseek 19), result in a2.
 *  - RISC-V (qemu-system-riscv32 -semihosting-config enable=on): the ARM semihosting
 *    calls (SYS_OPEN 0x01, SYS_CLOSE 0x02, SYS_READ 0x06, SYS_FLEN 0x0C) through the
 *    `slli x0,x0,0x1f; ebreak; srai x0,x0,7` sequence, a0 = call, a1 = argument block. */
#include "mm_storage.h"
#if defined(MM_SEMIHOSTING)

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
static void *sh_open(void *ctx, const char *path) {
    (void)ctx;
    int32_t fd = simcall(5, (int32_t)(intptr_t)path, 0 /* O_RDONLY */, 0);
    return fd < 0 ? 0 : FILE_OF(fd);
}
static int32_t sh_size(void *ctx, void *file) {
    (void)ctx;
    int32_t here = simcall(19, FD_OF(file), 0, 1 /* SEEK_CUR */);
    int32_t end = simcall(19, FD_OF(file), 0, 2 /* SEEK_END */);
    if (here < 0 || end < 0 || simcall(19, FD_OF(file), here, 0 /* SEEK_SET */) < 0) return -1;
    return end;
}
static int32_t sh_read(void *ctx, void *file, void *buf, uint32_t n) {
    (void)ctx;
    return simcall(3, FD_OF(file), (int32_t)(intptr_t)buf, (int32_t)n);
}
static void sh_close(void *ctx, void *file) {
    (void)ctx;
    simcall(6, FD_OF(file), 0, 0);
}
#elif defined(__riscv)
static int32_t semihost(int32_t op, const void *args) {
    register int32_t a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = args;
    __asm__ volatile(".option push\n\t.option norvc\n\t.balign 16\n\t"
                     "slli x0, x0, 0x1f\n\tebreak\n\tsrai x0, x0, 7\n\t.option pop"
                     : "+r"(a0) : "r"(a1) : "memory");
    return a0;
}
static uint32_t str_len(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}
static void *sh_open(void *ctx, const char *path) {
    (void)ctx;
    uintptr_t args[3] = {(uintptr_t)path, 1 /* "rb" */, str_len(path)};
    int32_t fd = semihost(0x01, args);
    return fd < 0 ? 0 : FILE_OF(fd);
}
static int32_t sh_size(void *ctx, void *file) {
    (void)ctx;
    uintptr_t args[1] = {(uintptr_t)FD_OF(file)};
    return semihost(0x0C, args);
}
static int32_t sh_read(void *ctx, void *file, void *buf, uint32_t n) {
    (void)ctx;
    uintptr_t args[3] = {(uintptr_t)FD_OF(file), (uintptr_t)buf, n};
    int32_t not_read = semihost(0x06, args); /* returns the bytes NOT read */
    return not_read < 0 || (uint32_t)not_read > n ? -1 : (int32_t)(n - (uint32_t)not_read);
}
static void sh_close(void *ctx, void *file) {
    (void)ctx;
    uintptr_t args[1] = {(uintptr_t)FD_OF(file)};
    semihost(0x02, args);
}
#else
#error "mm_storage_semihost.c: semihosting is implemented for Xtensa and RISC-V only"
#endif

static const mm_storage_ops_t semihost_ops = {sh_open, sh_size, sh_read, sh_close};

mm_storage_t mm_storage_semihost(void) {
    mm_storage_t s = {&semihost_ops, 0};
    return s;
}
#endif
