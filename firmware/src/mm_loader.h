/* ESP32 Memory Manager: the portable loader core.
 *
 * Loads a library's <lib>_e (code) and <lib>_d (data) files (docs/format.md) into the
 * fixed addresses the firmware was linked for, after checking everything that can be
 * checked: magic, version, kind, header size, header CRC, name, build id, file size,
 * payload CRC, and that every byte lands inside the library's slot. Nothing is written
 * to memory and nothing is called until all checks of both files passed.
 *
 * Two interfaces are injected: storage (open/size/read/close, mm_storage.h) and memory
 * writing (mm_memory_t below; chip ports in mm_port.h). The core itself uses no libc.
 */
#ifndef MM_LOADER_H
#define MM_LOADER_H
#include <stddef.h>
#include <stdint.h>
#include "mm_common.h"
#include "mm_format.h"
#include "mm_storage.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MM_OK = 0,
    MM_ERR_ARGUMENT = 1,        /* NULL pointer or library name too long */
    MM_ERR_UNKNOWN_LIBRARY = 2, /* no MM_LIBRARY() registration with that name */
    MM_ERR_NOT_SPLIT = 3,       /* the firmware's mm_build_id is all zeros */
    MM_ERR_OPEN = 4,            /* file missing or cannot be opened */
    MM_ERR_READ = 5,            /* storage read error */
    MM_ERR_TRUNCATED = 6,       /* file shorter than its header says */
    MM_ERR_MAGIC = 7,
    MM_ERR_VERSION = 8,
    MM_ERR_KIND = 9,
    MM_ERR_HEADER_SIZE = 10,
    MM_ERR_HEADER_CRC = 11,
    MM_ERR_NAME = 12,      /* header names another library */
    MM_ERR_BUILD_ID = 13,  /* file was made for another firmware build */
    MM_ERR_FILE_SIZE = 14, /* file longer than header + payload (trailing bytes) */
    MM_ERR_PAYLOAD_CRC = 15,
    MM_ERR_TOO_BIG = 16,      /* payload (or bss) larger than the slot */
    MM_ERR_OUT_OF_SLOT = 17,  /* load/bss/ctor address range outside the slot */
    MM_ERR_ALIGN = 18,        /* code address or length not a multiple of 4 */
    MM_ERR_CODE_REGION = 19,  /* this chip cannot execute code at that address */
    MM_ERR_WRITE = 20,        /* memory writer refused */
    MM_ERR_CHANGED = 21,      /* file changed between verification and copy */
    MM_ERR_CTOR_RANGE = 22,   /* a constructor pointer points outside the loaded code */
    MM_ERR_NOT_LOADED = 23,   /* unload of a library that is not loaded */
    MM_ERR_NO_LOADER = 24,    /* mm_require() before any loader was made the default */
    MM_ERR_DIR_TOO_LONG = 25, /* the loader's folder is longer than MM_DIR_MAX - 1 chars */
    MM_ERR_NO_CALL_HOOK = 26, /* the library has constructors, the memory writer no call */
    MM_ERR_FLASH_NONE = 27,   /* a flash-slot library, but no flash attached to the loader */
    MM_ERR_FLASH_LAYOUT = 28, /* flash offset, slot address or partition unusable (§6a) */
    MM_ERR_FLASH_WORN = 29,   /* the image reached its write limit: rewrite refused */
    MM_ERR_FLASH_IO = 30,     /* library partition read, erase or program failed */
    MM_ERR_FLASH_VERIFY = 31, /* the partition does not read back what was programmed */
    MM_ERR_FLASH_MAP = 32,    /* the MMU refused to map the image */
    MM_ERR__COUNT
} mm_err_t;

/* A short English sentence for an error code ("payload CRC mismatch ..."). */
const char *mm_strerror(mm_err_t err);
/* The enum name without the prefix ("PAYLOAD_CRC"), for logs and tests. */
const char *mm_errname(mm_err_t err);

/* ---- memory writing (injected; chip ports in mm_port.h) ---------------------------
 * Addresses are the execution / data addresses the firmware was linked for. A port
 * translates them if writes must go through another alias (ESP32-C3/S3). */
typedef struct mm_memory {
    void *ctx;
    /* MM_OK if this chip can execute code in [addr, addr+len), else MM_ERR_CODE_REGION. */
    mm_err_t (*check_code_region)(void *ctx, uintptr_t addr, uint32_t len);
    /* Copy whole aligned 32-bit words into code memory. Returns 0 on success. */
    int (*write_code)(void *ctx, uintptr_t dst, const uint32_t *src, uint32_t nwords);
    /* Copy bytes into data memory (DRAM/PSRAM). Returns 0 on success; NULL = plain stores. */
    int (*write_data)(void *ctx, uintptr_t dst, const void *src, uint32_t n);
    /* Zero bytes of data memory (bss). Returns 0 on success; NULL = plain stores. */
    int (*zero_data)(void *ctx, uintptr_t dst, uint32_t n);
    /* Make freshly written code visible to instruction fetch (isync, fence.i, cache). */
    void (*sync_code)(void *ctx, uintptr_t addr, uint32_t len);
    /* Call a constructor: void (*)(void) at addr. Required when a library has
     * constructors: without it such a library is refused (MM_ERR_NO_CALL_HOOK). */
    void (*call)(void *ctx, uintptr_t fn);
    /* Read a word of loaded data (the constructor table); NULL = plain load. */
    uint32_t (*read_word)(void *ctx, uintptr_t addr);
} mm_memory_t;

/* ---- slots and libraries (normally made by MM_SLOT / MM_LIBRARY) ------------------ */
#ifndef MM_MAX_DTORS
#define MM_MAX_DTORS 8 /* destructors a library can register per load */
#endif

struct mm_library;
typedef struct mm_slot {
    const char *name;
    uintptr_t text_start, text_end; /* _mm_slot_<slot>_text_start/_end */
    uintptr_t data_start, data_end; /* _mm_slot_<slot>_data_start/_end (data + bss) */
    uintptr_t bss_start, bss_end;   /* optional _mm_slot_<slot>_bss_start/_end, else 0 */
    struct mm_library *occupant;    /* runtime: the loaded member, or NULL */
    struct mm_slot *next;
    uintptr_t flash; /* _mm_slot_<slot>_flash (weak): 1 = flash slot, 0 = RAM */
} mm_slot_t;

typedef struct {
    void (*fn)(void *);
    void *arg;
} mm_dtor_t;

typedef struct mm_library {
    const char *name;
    mm_slot_t *slot;
    /* _mm_<lib>_{text,data,bss,ctors}_start/_end: informative (mm_library_info) */
    uintptr_t text_start, text_end, data_start, data_end, bss_start, bss_end, ctors_start, ctors_end;
    struct mm_library *next;
    /* runtime */
    uint32_t code_addr, code_len; /* where the loaded code is (ctor pointer check) */
    uint8_t ndtors;
    mm_dtor_t dtors[MM_MAX_DTORS];
    uintptr_t flash_offset; /* _mm_<lib>_flash_offset (weak): image offset in mmlib */
} mm_library_t;

/* Registration (the macros below call these from a constructor; call them yourself if
 * your startup code does not run C constructors). Registering twice is harmless. */
void mm_register_slot(mm_slot_t *slot);
void mm_register_library(mm_library_t *lib);
mm_library_t *mm_find_library(const char *name);
mm_slot_t *mm_find_slot(const char *name);
mm_library_t *mm_first_library(void); /* iterate with lib->next */

/* MM_SLOT(ai) declares the slot `ai` from the linker symbols _mm_slot_ai_{text,data}_
 * {start,end}. The data range should cover the members' data and bss; if the linker
 * script bounds bss separately (_mm_slot_ai_bss_start/_end, optional, weak here), bss
 * may lie in either range. */
#define MM_SLOT(slot)                                                               \
    MM__EXTERN_C char _mm_slot_##slot##_text_start[], _mm_slot_##slot##_text_end[]; \
    MM__EXTERN_C char _mm_slot_##slot##_data_start[], _mm_slot_##slot##_data_end[]; \
    MM__EXTERN_C char _mm_slot_##slot##_bss_start[] MM__WEAK;                       \
    MM__EXTERN_C char _mm_slot_##slot##_bss_end[] MM__WEAK;                         \
    MM__EXTERN_C char _mm_slot_##slot##_flash[] MM__WEAK;                           \
    MM__EXTERN_C mm_slot_t mm_slot_##slot;                                          \
    mm_slot_t mm_slot_##slot = {#slot,                                              \
                                (uintptr_t)_mm_slot_##slot##_text_start,            \
                                (uintptr_t)_mm_slot_##slot##_text_end,              \
                                (uintptr_t)_mm_slot_##slot##_data_start,            \
                                (uintptr_t)_mm_slot_##slot##_data_end,              \
                                (uintptr_t)_mm_slot_##slot##_bss_start,             \
                                (uintptr_t)_mm_slot_##slot##_bss_end,               \
                                0,                                                  \
                                0,                                                  \
                                (uintptr_t)_mm_slot_##slot##_flash};                \
    static MM__CTOR void mm__register_slot_##slot(void) { mm_register_slot(&mm_slot_##slot); }

/* MM_LIBRARY(TinyClassifier, ai) declares a library living in slot `ai` (declared with
 * MM_SLOT in this or another file of the firmware). */
#define MM_SLOT_EXTERN(slot) MM__EXTERN_C mm_slot_t mm_slot_##slot
#define MM_LIBRARY(lib, slot)                                              \
    MM_SLOT_EXTERN(slot);                                                  \
    MM__EXTERN_C char _mm_##lib##_text_start[], _mm_##lib##_text_end[];    \
    MM__EXTERN_C char _mm_##lib##_data_start[], _mm_##lib##_data_end[];    \
    MM__EXTERN_C char _mm_##lib##_bss_start[], _mm_##lib##_bss_end[];      \
    MM__EXTERN_C char _mm_##lib##_ctors_start[], _mm_##lib##_ctors_end[];  \
    MM__EXTERN_C char _mm_##lib##_flash_offset[] MM__WEAK;                 \
    MM__EXTERN_C mm_library_t mm_library_##lib;                            \
    mm_library_t mm_library_##lib = {#lib,                                 \
                                     &mm_slot_##slot,                      \
                                     (uintptr_t)_mm_##lib##_text_start,    \
                                     (uintptr_t)_mm_##lib##_text_end,      \
                                     (uintptr_t)_mm_##lib##_data_start,    \
                                     (uintptr_t)_mm_##lib##_data_end,      \
                                     (uintptr_t)_mm_##lib##_bss_start,     \
                                     (uintptr_t)_mm_##lib##_bss_end,       \
                                     (uintptr_t)_mm_##lib##_ctors_start,   \
                                     (uintptr_t)_mm_##lib##_ctors_end,     \
                                     0,                                    \
                                     0,                                    \
                                     0,                                    \
                                     0,                                    \
                                     {{0, 0}},                             \
                                     (uintptr_t)_mm_##lib##_flash_offset}; \
    static MM__CTOR void mm__register_lib_##lib(void) { mm_register_library(&mm_library_##lib); }

/* The common case, one library per slot named after it (custom_mm_slots not given). */
#define MM_LIBRARY_OWN_SLOT(lib) MM_SLOT(lib) MM_LIBRARY(lib, lib)

/* ---- the loader -------------------------------------------------------------------- */
#define MM_PATH_MAX 96
/* Room for the folder, NUL included: a folder of up to 31 characters ("/mm", "/sdcard/mm"). */
#define MM_DIR_MAX  (MM_PATH_MAX - 2 * MM_NAME_MAX)

struct mm_flash;
struct mm_flash_impl;
typedef struct mm_loader {
    mm_storage_t storage; /* ops NULL: init failed (last_error says why) */
    mm_memory_t memory;
    const struct mm_flash *flash;           /* mm_loader_attach_flash() (mm_flash.h), or NULL */
    const struct mm_flash_impl *flash_impl; /* set with it: keeps mm_flash.c out of RAM-only builds */
    char dir[MM_DIR_MAX];                   /* "/mm"; "" = storage root */
    const volatile uint8_t *build_id;       /* normally mm_build_id */
    mm_err_t last_error;
    char last_file[MM_NAME_MAX + 2]; /* file the last error is about ("Lib_e") */
} mm_loader_t;

/* Set up a loader. memory may be NULL: the chip port's writer (mm_port_memory()) is used.
 * build_id may be NULL: the firmware's mm_build_id is used. A folder of MM_DIR_MAX
 * characters or more is MM_ERR_DIR_TOO_LONG (never shortened); after a failed init every
 * call on the loader returns that error. */
mm_err_t mm_loader_init(mm_loader_t *ld, const mm_storage_t *storage, const char *dir, const mm_memory_t *memory,
                        const volatile uint8_t *build_id);

/* Verify both files, evict the slot's current occupant, copy, zero bss, run
 * constructors. Already loaded: MM_OK without reading anything. Every check that can
 * refuse a library (headers, CRCs, ranges, every constructor pointer, the call hook) is
 * made before the occupant is evicted, so a refused library leaves it loaded. Only a
 * storage or memory failure during the copy itself comes later; then the slot is empty
 * and its code filled with illegal instructions. A flash slot (mm_flash.h) writes the
 * library partition only if it does not hold this image yet, then maps it; the flash
 * checks (offset, window, write limit) come before the eviction too. */
mm_err_t mm_load(mm_loader_t *ld, const char *name);
/* Run the library's registered destructors (last first), fill its code with zeros
 * (a flash slot: unmap it), so a stale call faults instead of running stale code, and
 * free the slot. */
mm_err_t mm_unload(mm_loader_t *ld, const char *name);
int mm_is_loaded(const char *name);
/* Verify only (no memory is touched): the checks mm_load makes before copying. */
mm_err_t mm_verify(mm_loader_t *ld, const char *name);

/* ---- load on first call ----------------------------------------------------------- */
/* The loader mm_require() uses (MemoryManager::begin() sets itself). */
void mm_set_default_loader(mm_loader_t *ld);
mm_loader_t *mm_default_loader(void);
/* Make sure `name` is loaded (loads it, evicting its slot's occupant, if needed). */
mm_err_t mm_require(const char *name);

/* MM_LAZY(Lib, int, lib_fn, (int a, int b), (a, b), -1) defines
 * `int mm_lazy_lib_fn(int a, int b)`: it loads Lib if needed, then calls lib_fn; if the
 * load fails it returns the fallback (-1) without calling into the library. The mm_lazy_
 * prefix is used by no API function, so lib_fn may be called load, verify, require... */
#define MM_LAZY(lib, ret, fn, params, args, fallback)   \
    static inline ret mm_lazy_##fn params {             \
        if (mm_require(#lib) != MM_OK) return fallback; \
        return fn args;                                 \
    }
#define MM_LAZY_VOID(lib, fn, params, args)    \
    static inline void mm_lazy_##fn params {   \
        if (mm_require(#lib) != MM_OK) return; \
        fn args;                               \
    }

/* ---- destructors -------------------------------------------------------------------- */
/* Called while a library's constructors run (directly, or through __cxa_atexit when the
 * firmware is linked with -Wl,--wrap=__cxa_atexit): the function runs when that library
 * is unloaded or evicted. Returns 0 if attached, -1 if no library is loading or full. */
int mm_register_destructor(void (*fn)(void *), void *arg);
/* The library whose constructors are running, or NULL. */
mm_library_t *mm_loading_library(void);

#ifdef __cplusplus
}
#endif
#endif
