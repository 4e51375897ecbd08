#include "FS.h"

namespace fs {
File FS::open(const char *path, const char *mode) { return File(impl_ ? impl_->open(path, mode) : nullptr); }
bool FS::exists(const char *path) { return impl_ && impl_->exists(path); }
}  // namespace fs
