// Declarations only: the part of Arduino-ESP32's FS.h (libraries/FS/src/FS.h) that
// firmware/src/mm_storage_arduino.cpp uses, with the same signatures, so the backend can
// be compile-checked on a machine without the Arduino core. Nothing here is linked or run.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define FILE_READ "r"

namespace fs {
class File {
  public:
    size_t read(uint8_t *buf, size_t size);
    size_t size() const;
    void close();
    operator bool() const;
    bool isDirectory(void);
};

class FS {
  public:
    File open(const char *path, const char *mode = FILE_READ, const bool create = false);
    bool exists(const char *path);
};
} // namespace fs

using fs::File;
using fs::FS;
