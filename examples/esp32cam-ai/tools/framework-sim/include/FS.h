/* fs::FS / fs::File with the interface of Arduino-ESP32's FS.h that the Memory Manager uses
 * (the loader reads; the upload agent writes, lists, renames and removes). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define FILE_READ   "r"
#define FILE_WRITE  "w"
#define FILE_APPEND "a"

namespace fs {

class FileImpl {
  public:
    virtual size_t read(uint8_t *buf, size_t n) = 0;
    virtual size_t write(const uint8_t *buf, size_t n) = 0;
    virtual void flush() = 0;
    virtual size_t size() const = 0;
    virtual const char *name() const = 0;
    virtual bool isDirectory() const = 0;
    virtual FileImpl *openNextFile() = 0;
    virtual void close() = 0;
};

class File {
  public:
    File(FileImpl *impl = nullptr) : impl_(impl) {}
    explicit operator bool() const { return impl_ != nullptr; }
    size_t read(uint8_t *buf, size_t n) { return impl_ ? impl_->read(buf, n) : 0; }
    size_t write(const uint8_t *buf, size_t n) { return impl_ ? impl_->write(buf, n) : 0; }
    void flush() {
        if (impl_) impl_->flush();
    }
    size_t size() const { return impl_ ? impl_->size() : 0; }
    const char *name() const { return impl_ ? impl_->name() : ""; }
    bool isDirectory() const { return impl_ && impl_->isDirectory(); }
    File openNextFile() { return File(impl_ ? impl_->openNextFile() : nullptr); }
    void close() {
        if (impl_) impl_->close();
        impl_ = nullptr;
    }

  private:
    FileImpl *impl_;
};

class FSImpl {
  public:
    virtual FileImpl *open(const char *path, const char *mode) = 0;
    virtual bool exists(const char *path) = 0;
    virtual bool remove(const char *path) = 0;
    virtual bool rename(const char *from, const char *to) = 0;
    virtual bool mkdir(const char *path) = 0;
    virtual bool rmdir(const char *path) = 0;
};

class FS {
  public:
    explicit FS(FSImpl *impl) : impl_(impl) {}
    File open(const char *path, const char *mode = FILE_READ);
    bool exists(const char *path);
    bool remove(const char *path);
    bool rename(const char *from, const char *to);
    bool mkdir(const char *path);
    bool rmdir(const char *path);

  protected:
    FSImpl *impl_;
};

} // namespace fs

using fs::File;
using fs::FS;
