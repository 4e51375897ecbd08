// Hand-written declarations mirroring the subset of the Arduino-ESP32 core API that
// mm_agent_arduino.cpp uses: the glue is compiled (syntax and types) here, not linked or run.
#pragma once
#include <stdint.h>
#include <stddef.h>
#define FILE_READ   "r"
#define FILE_WRITE  "w"
#define FILE_APPEND "a"
namespace fs {
class File {
  public:
    operator bool() const;
    size_t read(uint8_t *b, size_t n);
    size_t write(const uint8_t *b, size_t n);
    void flush();
    void close();
    size_t size() const;
    bool isDirectory();
    File openNextFile(const char *mode = FILE_READ);
    const char *name() const;
};
class FS {
  public:
    File open(const char *path, const char *mode = FILE_READ, const bool create = false);
    bool exists(const char *path);
    bool remove(const char *path);
    bool rename(const char *a, const char *b);
    bool mkdir(const char *p);
    bool rmdir(const char *p);
};
} // namespace fs
