/* Functions the test firmware offers to its dynamic libraries (they stay resident). */
#ifndef FW_API_H
#define FW_API_H
#ifdef __cplusplus
extern "C" {
#endif
void fw_puts(const char *s);
void fw_putnum(int v);
void fw_log(const char *s);
#ifdef __cplusplus
}
#endif
#endif
