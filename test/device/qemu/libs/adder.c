/* Dynamic library "Adder" (slot "math", overlay with Multiplier). Uses initialised data,
 * bss, rodata (a string) and a firmware function, so a wrong data copy, an unzeroed bss
 * or a broken call back into the firmware all change the printed result. */
#include "adder.h"
#include "fw_api.h"

/* The device tests build a second version with -DADDER_V2 (new data, new code) and
 * upload it to the running firmware. */
#ifdef ADDER_V2
#define ADDER_SCALE 20
#define ADDER_BONUS 500
#else
#define ADDER_SCALE 10
#define ADDER_BONUS 0
#endif

int adder_scale = ADDER_SCALE;             /* .data */
static int calls;                          /* .bss */
static const char msg[] = "Adder: adding"; /* .rodata */

int adder_calc(int a, int b) {
    calls++;
    fw_log(msg);
    int r = (a + b) * adder_scale + calls + ADDER_BONUS;
    adder_scale++; /* a fresh load must bring back 10 */
    return r;
}
