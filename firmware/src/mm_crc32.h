/* CRC-32 (IEEE 802.3, zlib-compatible); same as src/core/util/crc32.ts. */
#ifndef MM_CRC32_H
#define MM_CRC32_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/* Continue a CRC: pass 0 for the first chunk, then the previous result. */
uint32_t mm_crc32(uint32_t previous, const void *data, size_t len);
#ifdef __cplusplus
}
#endif
#endif
