/* The <lib>_e / <lib>_d file header, version 1. docs/format.md is the reference; the
 * TypeScript writer is src/core/split/format.ts. All fields little-endian. */
#ifndef MM_FORMAT_H
#define MM_FORMAT_H
#include <stdint.h>
#include "mm_common.h"

#define MM_MAGIC0              'M'
#define MM_MAGIC1              'M'
#define MM_MAGIC2              'L'
#define MM_MAGIC3              'B'
#define MM_FORMAT_VERSION      1
#define MM_KIND_CODE           'E'
#define MM_KIND_DATA           'D'
#define MM_FLAG_CTORS_REVERSED 0x01 /* table is .ctors: call last to first */
#define MM_HEADER_SIZE         128
#define MM_NAME_MAX            32

typedef struct {
    uint8_t magic[4];                  /* 0   "MMLB" */
    uint16_t version;                  /* 4   MM_FORMAT_VERSION */
    uint8_t kind;                      /* 6   'E' or 'D' */
    uint8_t flags;                     /* 7   MM_FLAG_* */
    uint32_t header_size;              /* 8   MM_HEADER_SIZE */
    uint32_t load_addr;                /* 12  where the payload goes */
    uint32_t payload_len;              /* 16 */
    uint32_t payload_crc32;            /* 20  CRC-32 of the payload */
    uint32_t bss_addr;                 /* 24  D only */
    uint32_t bss_len;                  /* 28  D only */
    uint32_t ctor_addr;                /* 32  D only, 0 if none */
    uint32_t ctor_count;               /* 36  D only */
    uint32_t reserved0[2];             /* 40 */
    char name[MM_NAME_MAX];            /* 48  NUL-padded */
    uint8_t build_id[MM_BUILD_ID_LEN]; /* 80 */
    uint32_t reserved1[3];             /* 112 */
    uint32_t header_crc32;             /* 124 CRC-32 of bytes 0..123 */
} mm_file_header_t;

#ifdef __cplusplus
static_assert(sizeof(mm_file_header_t) == MM_HEADER_SIZE, "header layout");
#else
_Static_assert(sizeof(mm_file_header_t) == MM_HEADER_SIZE, "header layout");
#endif

#endif
