/* Arduino fs::FS storage backend: SD, SD_MMC, SPIFFS, LittleFS (Arduino-ESP32's FS.h).
 * NOT TESTED HERE: needs the Arduino-ESP32 core; the QEMU tests use semihosting and the
 * host tests the POSIX backend, which exercise the same loader through the same
 * open/size/read/close interface. */
#if defined(ARDUINO)
#include <FS.h>
#include "MemoryManager.h"

namespace {
void *fs_open(void *ctx, const char *path) {
    fs::FS *fs = static_cast<fs::FS *>(ctx);
    if (!fs->exists(path)) return nullptr;
    fs::File f = fs->open(path, FILE_READ);
    if (!f || f.isDirectory()) return nullptr;
    return new fs::File(f); /* File is a handle; copies share the open file */
}
int32_t fs_size(void *, void *file) { return (int32_t) static_cast<fs::File *>(file)->size(); }
int32_t fs_read(void *, void *file, void *buf, uint32_t n) {
    return (int32_t) static_cast<fs::File *>(file)->read(static_cast<uint8_t *>(buf), n);
}
void fs_close(void *, void *file) {
    fs::File *f = static_cast<fs::File *>(file);
    f->close();
    delete f;
}
const mm_storage_ops_t fs_ops = {fs_open, fs_size, fs_read, fs_close};
} // namespace

MemoryManager::MemoryManager(fs::FS &fs, const char *dir) : fs_(&fs) {
    mm_storage_t s = {&fs_ops, &fs};
    init(s, dir);
}
#endif
