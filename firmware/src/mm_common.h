/* ESP32 Memory Manager: the definitions the loader (mm_loader.h), the upload agent
 * (mm_agent.h) and the C++ classes share, in one place so that one translation unit can
 * include them all.
 *
 * Names: everything of this library starts with mm_ / MM_. Loader results are mm_err_t
 * (MM_OK, MM_ERR_*), the agent's protocol statuses MM_AGENT_*. MM_LAZY wrappers are
 * named mm_lazy_<fn>, a prefix no API function uses, so a library function may have any
 * name (load, verify, require, ...). */
#ifndef MM_COMMON_H
#define MM_COMMON_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Length of the firmware build id in the file header, the agent's HELLO and mm_build_id. */
#define MM_BUILD_ID_LEN 32

/* The firmware's build id; zeros until `esp32mm split` patches the stripped ELF.
 * Defined in mm_build_id.c; volatile so no read of it is folded at compile time. */
extern const volatile uint8_t mm_build_id[MM_BUILD_ID_LEN];

#ifdef __cplusplus
}
#endif

#if defined(__GNUC__)
#define MM__CTOR __attribute__((constructor))
#define MM__WEAK __attribute__((weak))
#else
#define MM__CTOR
#define MM__WEAK
#endif
#ifdef __cplusplus
#define MM__EXTERN_C extern "C"
#else
#define MM__EXTERN_C extern
#endif

#endif
