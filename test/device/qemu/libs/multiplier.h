#ifndef MULTIPLIER_H
#define MULTIPLIER_H
#ifdef __cplusplus
extern "C" {
#endif
/* a * b + multiplier_offset + 100 * <number of calls since load> */
int multiplier_calc(int a, int b);
#ifdef __cplusplus
}
#endif
#endif
