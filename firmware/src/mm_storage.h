/* ESP32 Memory Manager: the storage interface the loader reads files through.
 *
 * Backends:
 *   mm_storage_posix()      fopen/fread: ESP-IDF VFS (SD "/sdcard", SPIFFS, LittleFS), hosts
 *   mm_storage_semihost()   QEMU semihosting (Xtensa simcall, RISC-V ebreak); tests only
 *   Arduino fs::FS          MemoryManager(SD, "/mm") (mm_storage_arduino.cpp)
 */
#ifndef MM_STORAGE_H
#define MM_STORAGE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_storage_ops {
    /* Open `path` for reading; NULL if it does not exist or cannot be opened. */
    void *(*open)(void *ctx, const char *path);
    /* Size of the open file in bytes, < 0 on error. */
    int32_t (*size)(void *ctx, void *file);
    /* Read up to n bytes; returns bytes read (0 at end), < 0 on error. */
    int32_t (*read)(void *ctx, void *file, void *buf, uint32_t n);
    void (*close)(void *ctx, void *file);
} mm_storage_ops_t;

typedef struct mm_storage {
    const mm_storage_ops_t *ops;
    void *ctx;
} mm_storage_t;

/* stdio backend (ESP-IDF VFS paths such as "/sdcard/mm", or a host directory). */
mm_storage_t mm_storage_posix(void);

#if defined(MM_SEMIHOSTING)
/* Semihosting backend: paths are relative to the emulator's working directory. */
mm_storage_t mm_storage_semihost(void);
#endif

#ifdef __cplusplus
}
#endif
#endif
