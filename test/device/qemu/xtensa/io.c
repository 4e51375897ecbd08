/* Output, exit and boot for the lx106 test firmware (semihosting through simcall). */
#include <stdint.h>

static int simcall(int nr, int a, int b, int c) {
    register int a2 __asm__("a2") = nr;
    register int a3 __asm__("a3") = a;
    register int a4 __asm__("a4") = b;
    register int a5 __asm__("a5") = c;
    __asm__ volatile(".byte 0x00, 0x51, 0x00" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}

void fw_write(const char *s, int len) { simcall(4 /* write */, 1, (int)(intptr_t)s, len); }

void fw_exit(int code) {
    simcall(1 /* exit */, code, 0, 0);
    for (;;) {
    }
}

/* No libgcc atexit on this bare target; C++ globals compiled with -fuse-cxa-atexit
 * reference __dso_handle. */
void *__dso_handle = 0;

typedef void (*ctor_fn)(void);
extern ctor_fn __init_array_start[], __init_array_end[];
extern char _bss_start[], _bss_end[];
extern int main(void);

void fw_boot(void) {
    for (char *p = _bss_start; p < _bss_end; p++) *(volatile char *)p = 0;
    /* the firmware's own constructors (MM_SLOT / MM_LIBRARY registration) */
    for (ctor_fn *p = __init_array_start; p < __init_array_end; p++) (*p)();
    fw_exit(main());
}
