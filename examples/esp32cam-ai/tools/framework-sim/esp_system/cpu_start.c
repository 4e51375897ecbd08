/* What ESP-IDF's cpu_start.c does before app_main, in short: clear .bss, run the C/C++
 * constructors of the firmware (__init_array_start .. __init_array_end: Debian's lx106 gcc
 * fills it from .ctors, in reverse order as crtstuff would), then app_main. The dynamic
 * libraries' constructors are not in this table: the Memory Manager runs them at load. */
#include <stdint.h>

typedef void (*ctor_fn)(void);
extern ctor_fn __init_array_start[], __init_array_end[];
extern uint32_t _bss_start[], _bss_end[];
extern void app_main(void);
extern char _xt_vectors[]; /* vectors.S, at the start of .iram0.vectors */

void call_start_cpu0(void) {
    __asm__ volatile("wsr %0, vecbase\n\trsync" : : "a"(_xt_vectors));
    for (uint32_t *p = _bss_start; p < _bss_end; p++) *p = 0;
    for (ctor_fn *p = __init_array_end; p > __init_array_start;) (*--p)();
    app_main();
    for (;;) {
    }
}
