/* ESP32 Memory Manager: the C++ API.
 *
 *   #include <SD.h>
 *   #include <MemoryManager.h>
 *   MM_LIBRARY_OWN_SLOT(TinyClassifier)   // one per dynamic library (see mm_loader.h)
 *   MemoryManager mm(SD, "/mm");
 *
 *   void setup() {
 *     SD.begin();
 *     if (!mm.begin()) Serial.println(mm.lastErrorText());
 *     if (!mm.load("TinyClassifier")) Serial.println(mm.lastErrorText());
 *   }
 *
 * Storage: an Arduino fs::FS (SD, SD_MMC, SPIFFS, LittleFS), a POSIX/VFS folder
 * (ESP-IDF: MemoryManager mm("/sdcard/mm")), or any mm_storage_t (the QEMU tests use
 * semihosting). Objects created from a library's classes must be destroyed before the
 * library is unloaded or evicted: their code and vtables go away with it. */
#ifndef MEMORY_MANAGER_H
#define MEMORY_MANAGER_H
#include <stddef.h>
#include "mm_loader.h"
#include "mm_port.h"
#include "mm_storage.h"

#if defined(ARDUINO)
#include <FS.h>
#endif

#if defined(__has_include)
#if __has_include(<new>)
#include <new>
#define MM_HAVE_NEW_HEADER 1
#endif
#endif
#ifndef MM_HAVE_NEW_HEADER
/* Freestanding toolchains without libstdc++ (the QEMU tests): placement new only. */
inline void *operator new(size_t, void *p) noexcept { return p; }
#endif

class MemoryManager {
  public:
#if defined(ARDUINO)
    /* Files <dir>/<Lib>_e and <dir>/<Lib>_d on an Arduino filesystem. */
    MemoryManager(fs::FS &fs, const char *dir = "/mm");
#endif
#if !defined(MM_NO_STDIO)
    /* Files in a POSIX/VFS folder, e.g. "/sdcard/mm" (ESP-IDF) or a host directory. */
    explicit MemoryManager(const char *dir);
#endif
    /* Any storage backend (mm_storage.h). */
    MemoryManager(const mm_storage_t &storage, const char *dir);

    /* Checks that the manager was set up (a folder of 32 characters or more is
     * MM_ERR_DIR_TOO_LONG, never shortened) and that the firmware was split (mm_build_id
     * set, else MM_ERR_NOT_SPLIT), then makes this manager the one MM_LAZY wrappers and
     * create() use. False, with lastError() saying why, if not. */
    bool begin();
    /* Verify and load (evicting the slot's current library); true if loaded. */
    bool load(const char *lib);
    /* Run the library's destructors and free its slot. */
    bool unload(const char *lib);
    bool isLoaded(const char *lib) const { return mm_is_loaded(lib) != 0; }
    /* Verify the files without loading. */
    bool verify(const char *lib);
    mm_err_t lastError() const { return loader_.last_error; }
    const char *lastErrorText() const { return mm_strerror(loader_.last_error); }
    const char *lastErrorName() const { return mm_errname(loader_.last_error); }
    /* The file the last error is about ("Lib_e", "Lib_d"), or "". */
    const char *lastErrorFile() const { return loader_.last_file; }

    /* Factory: load `lib` if needed, then construct a T (a class defined in that library)
     * on the heap. nullptr if the library cannot be loaded (nothing of it is called). */
#if defined(MM_HAVE_NEW_HEADER)
    template <class T, class... Args> T *create(const char *lib, Args &&...args) {
        if (!ensure(lib)) return nullptr;
        return new (std::nothrow) T(static_cast<Args &&>(args)...);
    }
#endif
    /* Factory without heap: construct a T in `storage` (at least sizeof(T) bytes, aligned
     * for T). nullptr if the library cannot be loaded. */
    template <class T, class... Args> T *construct(const char *lib, void *storage, Args &&...args) {
        if (!ensure(lib) || !storage) return nullptr;
        return ::new (storage) T(static_cast<Args &&>(args)...);
    }
    /* Load if not loaded (used by the factories and MM_LAZY). */
    bool ensure(const char *lib) { return isLoaded(lib) || load(lib); }

    mm_loader_t *loader() { return &loader_; }

  private:
    void init(const mm_storage_t &storage, const char *dir);
    mm_loader_t loader_;
    mm_err_t init_error_ = MM_OK;
#if defined(ARDUINO)
    fs::FS *fs_ = nullptr;
#endif
};

#endif
