#ifndef ADDER_H
#define ADDER_H
#ifdef __cplusplus
extern "C" {
#endif
/* (a + b) * adder_scale + <calls since load>, then adder_scale++ (data 10 at load, bss calls). */
int adder_calc(int a, int b);
#ifdef __cplusplus
}
#endif
#endif
