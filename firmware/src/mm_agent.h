/* The serial file-transfer agent (docs/protocol.md). Portable C99, no heap: all buffers
 * live in mm_agent_t. The filesystem and the byte output are injected, so the same code
 * runs on the ESP32 (Arduino fs::FS glue, mm_agent_arduino.cpp) and on the host (POSIX
 * backend in firmware/host-agent/) where the tests drive it through a pseudo-terminal. */
#ifndef MM_AGENT_H
#define MM_AGENT_H
#include <stddef.h>
#include <stdint.h>
#include "mm_common.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MM_PROTO_VERSION 1
/* Largest DATA payload; the receive buffer is sized from it (about 2.1x this in RAM). */
#ifndef MM_AGENT_MAX_DATA
#define MM_AGENT_MAX_DATA 1024
#endif
/* Longest device path accepted (relative to the served folder, or absolute under it). */
#ifndef MM_AGENT_MAX_PATH
#define MM_AGENT_MAX_PATH 64
#endif
/* Longest full filesystem path the agent builds (root + '/' + path + ".part"). */
#define MM_AGENT_FULL_PATH (MM_AGENT_MAX_PATH + 96)
#define MM_AGENT_IDLE_MS   10000u

/* Status codes, protocol.md §6 (MM_AGENT_ prefix: the loader's results are MM_OK/MM_ERR_*,
 * mm_common.h). Filesystem callbacks return 0 or a negative status. */
typedef enum {
    MM_AGENT_OK = 0,
    MM_AGENT_BUSY = 1,
    MM_AGENT_FULL = 2,
    MM_AGENT_REFUSED = 3,
    MM_AGENT_NOT_FOUND = 4,
    MM_AGENT_TOO_LARGE = 5,
    MM_AGENT_BAD_CRC = 6,
    MM_AGENT_BAD_SIZE = 7,
    MM_AGENT_IO = 8,
    MM_AGENT_PROTOCOL = 9,
    MM_AGENT_VERSION = 10,
    MM_AGENT_NAME_TOO_LONG = 11,
    MM_AGENT_OUT_OF_ORDER = 12
} mm_agent_status_t;

enum {
    MM_FT_HELLO = 1,
    MM_FT_OPEN,
    MM_FT_DATA,
    MM_FT_CLOSE,
    MM_FT_ABORT,
    MM_FT_LIST,
    MM_FT_STAT,
    MM_FT_REMOVE,
    MM_FT_DF,
    MM_FT_BYE,
    MM_FT_FLASH_SLOTS,
    MM_FT_RESPONSE = 0x80
};

enum { MM_FS_READ = 0, MM_FS_WRITE = 1 /* create or empty */, MM_FS_APPEND = 2 };

typedef struct {
    uint8_t is_dir;
    uint32_t size;
    char name[MM_AGENT_MAX_PATH + 1];
} mm_fs_entry_t;

/* The injected filesystem. Paths are full filesystem paths built by the agent (always
 * inside the served folder); `ctx` is passed back unchanged. */
typedef struct {
    void *ctx;
    int (*open)(void *ctx, const char *path, int mode, void **file);
    int32_t (*read)(void *ctx, void *file, void *buf, uint32_t n);        /* bytes, 0 = end, <0 error */
    int32_t (*write)(void *ctx, void *file, const void *buf, uint32_t n); /* bytes written, <0 error */
    int (*close)(void *ctx, void *file);                                  /* flush + close */
    /* 0 and fills *out (name unused), MM_AGENT_NOT_FOUND, or another negative status */
    int (*stat)(void *ctx, const char *path, mm_fs_entry_t *out);
    int (*remove)(void *ctx, const char *path);
    /* Replace `to` with `from`; atomically where the filesystem can. */
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*mkdir)(void *ctx, const char *path);
    /* The index-th entry of directory `path`: 1 found, 0 no more, <0 error. */
    int (*list)(void *ctx, const char *path, uint32_t index, mm_fs_entry_t *out);
    int (*df)(void *ctx, uint64_t *total, uint64_t *used);
} mm_agent_fs_t;

typedef struct {
    const mm_agent_fs_t *fs;
    /* The folder served, as the filesystem names it and as reported to the host. */
    const char *root;
    const char *chip;        /* e.g. "esp32s3" */
    const char *filesystems; /* e.g. "sd" */
    uint8_t build_id[MM_BUILD_ID_LEN];
    uint32_t window; /* bytes of unacknowledged DATA the host may send */
    uint32_t max_file;
    /* Writes one complete frame; called once per frame so other writers cannot split it. */
    void (*output)(void *ctx, const uint8_t *bytes, size_t n);
    void *output_ctx;
    /* Bytes received while dormant that are not part of a frame (the app's console input). */
    void (*passthrough)(void *ctx, const uint8_t *bytes, size_t n);
    void *passthrough_ctx;
} mm_agent_config_t;

/* One flash-slot image as the FLASH_SLOTS request reports it (protocol.md §2). */
#define MM_AGENT_FLASH_VALID      1u /* the header is valid */
#define MM_AGENT_FLASH_MAPPED     2u /* the library is loaded (its pages are mapped) */
#define MM_AGENT_FLASH_CURRENT    4u /* the valid header is this firmware's build */
#define MM_AGENT_MAX_LIBRARY_NAME 32
typedef struct {
    uint32_t index;  /* header sector */
    uint32_t offset; /* partition offset of the image */
    uint32_t size;   /* bytes the valid header describes; 0 if not valid */
    uint32_t writes, limit;
    uint8_t flags; /* MM_AGENT_FLASH_* */
    char name[MM_AGENT_MAX_LIBRARY_NAME + 1];
} mm_agent_flash_image_t;
/* The application's flash-slot provider: fills the i-th image (0-based) and returns 1,
 * 0 when there are no more, or a negative status. Registered with mm_agent_set_flash_info
 * so the agent itself never depends on the flash-slot code. */
typedef int (*mm_agent_flash_info_fn)(void *ctx, uint32_t i, mm_agent_flash_image_t *out);

#define MM_AGENT_BODY_MAX (8 + MM_AGENT_MAX_DATA + 4)
#define MM_AGENT_WIRE_MAX (MM_AGENT_BODY_MAX + MM_AGENT_BODY_MAX / 254 + 4)

typedef struct {
    mm_agent_config_t cfg;
    int active; /* a session is open (a valid HELLO was received) */
    int busy;   /* set by the application */
    uint32_t last_frame_ms;
    /* receive state */
    uint8_t rx[MM_AGENT_WIRE_MAX];
    size_t rx_len;
    int rx_overflow;
    int in_frame; /* dormant: a 0x00 was seen, collecting a possible HELLO */
    /* last response, resent for a repeated request */
    uint8_t last_type;
    uint16_t last_seq;
    int have_last;
    uint8_t tx[MM_AGENT_WIRE_MAX];
    size_t tx_len;
    uint8_t body[MM_AGENT_BODY_MAX];
    /* the upload in progress */
    void *file;
    uint32_t expect; /* next byte offset */
    uint32_t size;
    uint32_t crc; /* CRC of bytes [0, expect) */
    char part_path[MM_AGENT_FULL_PATH];
    char final_path[MM_AGENT_FULL_PATH];
    char scratch[MM_AGENT_FULL_PATH];
    mm_agent_flash_info_fn flash_info; /* NULL: the firmware has no flash slots */
    void *flash_info_ctx;
} mm_agent_t;

void mm_agent_init(mm_agent_t *a, const mm_agent_config_t *cfg);
/* Feed received bytes. `now_ms` is any monotonic millisecond clock. */
void mm_agent_feed(mm_agent_t *a, const uint8_t *bytes, size_t n, uint32_t now_ms);
/* Call now and then (e.g. each loop()): ends a session idle for MM_AGENT_IDLE_MS. */
void mm_agent_tick(mm_agent_t *a, uint32_t now_ms);
/* While busy, the agent answers OPEN/REMOVE with MM_AGENT_BUSY (e.g. the loader is reading). */
void mm_agent_set_busy(mm_agent_t *a, int busy);
/* Lets FLASH_SLOTS report the flash slots' images (e.g. through mm_flash_image_info).
 * Call after mm_agent_init. Without it the agent answers that there are none. */
void mm_agent_set_flash_info(mm_agent_t *a, mm_agent_flash_info_fn fn, void *ctx);
/* Closes an open .part (kept for resume) and goes dormant. */
void mm_agent_end_session(mm_agent_t *a);

/* Exposed for tests: path check and mapping to a full path (protocol.md §5). */
int mm_agent_resolve(const char *root, const char *path, size_t path_len, char *out, size_t out_size);
size_t mm_cobs_encode(const uint8_t *in, size_t n, uint8_t *out);
/* Decodes in place-safe (out may equal in); returns decoded length or (size_t)-1. */
size_t mm_cobs_decode(const uint8_t *in, size_t n, uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif
