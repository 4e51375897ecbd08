/* ESP32 Memory Manager: the C++ API (MemoryManager.h) over the C loader core. */
#include "MemoryManager.h"

void MemoryManager::init(const mm_storage_t &storage, const char *dir) {
    init_error_ = mm_loader_init(&loader_, &storage, dir, nullptr, nullptr);
}

MemoryManager::MemoryManager(const mm_storage_t &storage, const char *dir) { init(storage, dir); }

#if !defined(MM_NO_STDIO)
MemoryManager::MemoryManager(const char *dir) {
    mm_storage_t s = mm_storage_posix();
    init(s, dir);
}
#endif

bool MemoryManager::begin() {
    if (init_error_ != MM_OK) {
        loader_.last_error = init_error_;
        return false;
    }
    bool split = false;
    for (int i = 0; i < MM_BUILD_ID_LEN; i++) split |= loader_.build_id[i] != 0;
    loader_.last_error = split ? MM_OK : MM_ERR_NOT_SPLIT;
    mm_set_default_loader(&loader_);
    return split;
}

bool MemoryManager::load(const char *lib) { return mm_load(&loader_, lib) == MM_OK; }
bool MemoryManager::unload(const char *lib) { return mm_unload(&loader_, lib) == MM_OK; }
bool MemoryManager::verify(const char *lib) { return mm_verify(&loader_, lib) == MM_OK; }
