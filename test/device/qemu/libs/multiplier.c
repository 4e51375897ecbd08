/* Dynamic library "Multiplier" (slot "math", overlay with Adder). */
#include "multiplier.h"
#include "fw_api.h"

int multiplier_offset = 1000;                   /* .data */
static int calls;                               /* .bss */
static const int table[4] = {0, 100, 200, 300}; /* .rodata */

int multiplier_calc(int a, int b) {
    if (calls < 3) calls++;
    fw_log("Multiplier: multiplying");
    return a * b + multiplier_offset + table[calls];
}
