/* Semihosting storage backend, for running the loader under QEMU (the device tests):
 * the emulator's working directory plays the SD card. Built only with -DMM_SEMIHOSTING;
 * the calls themselves are in mm_semihost.h. */
#include "mm_storage.h"
#if defined(MM_SEMIHOSTING)
#include "mm_semihost.h"

#define FD_OF(file) ((int32_t)(intptr_t)(file)-1) /* fd 0 is valid: store fd + 1 */
#define FILE_OF(fd) ((void *)(intptr_t)((fd) + 1))

static void *sh_open(void *ctx, const char *path) {
    (void)ctx;
    int32_t fd = mm_sh_open(path, MM_SH_READ);
    return fd < 0 ? 0 : FILE_OF(fd);
}
static int32_t sh_size(void *ctx, void *file) {
    (void)ctx;
    return mm_sh_size(FD_OF(file));
}
static int32_t sh_read(void *ctx, void *file, void *buf, uint32_t n) {
    (void)ctx;
    return mm_sh_read(FD_OF(file), buf, n);
}
static void sh_close(void *ctx, void *file) {
    (void)ctx;
    mm_sh_close(FD_OF(file));
}

static const mm_storage_ops_t semihost_ops = {sh_open, sh_size, sh_read, sh_close};

mm_storage_t mm_storage_semihost(void) {
    mm_storage_t s = {&semihost_ops, 0};
    return s;
}
#endif
