/* Dynamic library "Adder" (slot "math", overlay with Multiplier). Uses initialised data,
 * bss, rodata (a string) and a firmware function, so a wrong data copy, an unzeroed bss
 * or a broken call back into the firmware all change the printed result. */
#include "adder.h"
#include "fw_api.h"

int adder_scale = 10;             /* .data */
static int calls;                 /* .bss */
static const char msg[] = "Adder: adding"; /* .rodata */

int adder_calc(int a, int b) {
    calls++;
    fw_log(msg);
    int r = (a + b) * adder_scale + calls;
    adder_scale++; /* a fresh load must bring back 10 */
    return r;
}
