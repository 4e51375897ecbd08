#include "FS.h"

namespace fs {
File FS::open(const char *path, const char *mode) { return File(impl_ ? impl_->open(path, mode) : nullptr); }
bool FS::exists(const char *path) { return impl_ && impl_->exists(path); }
bool FS::remove(const char *path) { return impl_ && impl_->remove(path); }
bool FS::rename(const char *from, const char *to) { return impl_ && impl_->rename(from, to); }
bool FS::mkdir(const char *path) { return impl_ && impl_->mkdir(path); }
bool FS::rmdir(const char *path) { return impl_ && impl_->rmdir(path); }
} // namespace fs
