/* Destructors of a loaded library's static C++ objects.
 *
 * A static object's constructor registers its destructor with __cxa_atexit (or atexit
 * with -fno-use-cxa-atexit). On a device those never run, and for a library that is
 * unloaded they must run at unload, before the code disappears. When the firmware is
 * linked with `-Wl,--wrap=__cxa_atexit` (the build integration adds it; the QEMU tests
 * do), registrations made while a library's constructors run are attached to that
 * library and run by mm_unload()/eviction; all others go to the real __cxa_atexit. */
#include "mm_loader.h"

extern int __real___cxa_atexit(void (*fn)(void *), void *arg, void *dso) __attribute__((weak));

int __wrap___cxa_atexit(void (*fn)(void *), void *arg, void *dso);
int __wrap___cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
    mm_library_t *lib = mm_loading_library();
    if (lib && (uintptr_t)fn >= lib->code_addr && (uintptr_t)fn < lib->code_addr + lib->code_len)
        return mm_register_destructor(fn, arg) == 0 ? 0 : -1;
    return __real___cxa_atexit ? __real___cxa_atexit(fn, arg, dso) : 0;
}
