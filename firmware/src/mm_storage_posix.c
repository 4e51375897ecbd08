/* stdio storage backend: ESP-IDF VFS paths ("/sdcard/mm", "/spiffs/mm", "/littlefs/mm")
 * and host directories (the host unit tests use it). */
#include "mm_storage.h"
#if !defined(MM_NO_STDIO)
#include <stdio.h>

static void *posix_open(void *ctx, const char *path) {
    (void)ctx;
    return fopen(path, "rb");
}
static int32_t posix_size(void *ctx, void *file) {
    (void)ctx;
    FILE *f = (FILE *)file;
    long here = ftell(f);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0) return -1;
    long end = ftell(f);
    if (fseek(f, here, SEEK_SET) != 0 || end < 0 || end > 0x7FFFFFFFL) return -1;
    return (int32_t)end;
}
static int32_t posix_read(void *ctx, void *file, void *buf, uint32_t n) {
    (void)ctx;
    size_t r = fread(buf, 1, n, (FILE *)file);
    if (r == 0 && ferror((FILE *)file)) return -1;
    return (int32_t)r;
}
static void posix_close(void *ctx, void *file) {
    (void)ctx;
    fclose((FILE *)file);
}

static const mm_storage_ops_t posix_ops = {posix_open, posix_size, posix_read, posix_close};

mm_storage_t mm_storage_posix(void) {
    mm_storage_t s = {&posix_ops, 0};
    return s;
}
#endif
