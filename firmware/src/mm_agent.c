/* The serial file-transfer agent: framing, request handling and the upload state machine.
 * docs/protocol.md is the specification; section numbers below refer to it. */
#include "mm_agent.h"
#include "mm_crc32.h"
#include <string.h>

#define HELLO_MAGIC       "ESP32MM"
#define DORMANT_MAX_CHUNK 64 /* a HELLO is ~20 bytes on the wire; longer chunks are console input */
#define FLAG_TRUNCATE     1u
#define FLAG_DELETE       1u
#define FLAG_CRC          1u

/* C99 compile-time check: HELLO's fixed part and the LIST header must fit one frame. */
typedef char mm_agent_max_data_too_small[MM_AGENT_MAX_DATA >= 128 ? 1 : -1];

/* ---- little-endian helpers ---- */
static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (rd16(p + 2) << 16); }
static void wr16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v) {
    wr16(p, v);
    wr16(p + 2, v >> 16);
}
static void wr64(uint8_t *p, uint64_t v) {
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* ---- COBS (§1) ---- */
size_t mm_cobs_encode(const uint8_t *in, size_t n, uint8_t *out) {
    size_t code_at = 0, o = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = in[i];
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    return o;
}

size_t mm_cobs_decode(const uint8_t *in, size_t n, uint8_t *out) {
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t code = in[i++];
        if (code == 0) return (size_t)-1;
        for (uint8_t j = 1; j < code; j++) {
            if (i >= n || in[i] == 0) return (size_t)-1;
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < n) out[o++] = 0;
    }
    return o;
}

/* ---- paths (§5) ---- */
static int bad_component(const char *c, size_t n) {
    if (n == 0) return 1;
    if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)c[i];
        if (ch < 0x20 || ch == 0x7F || ch == '\\' || ch == ':') return 1;
    }
    return 0;
}

/* Maps a device path to "<root>/<rel>" in `out`. Returns 0 for the root itself, 1 for a
 * path inside it, or -MM_AGENT_REFUSED / -MM_AGENT_NAME_TOO_LONG. Nothing outside root is reachable:
 * every component is checked, so no "..", and absolute paths must start with root. */
int mm_agent_resolve(const char *root, const char *path, size_t len, char *out, size_t out_size) {
    size_t root_len = strlen(root);
    while (root_len > 1 && root[root_len - 1] == '/') root_len--;
    if (len > MM_AGENT_MAX_PATH) return -MM_AGENT_NAME_TOO_LONG;
    const char *rel = path;
    size_t rel_len = len;
    if (len > 0 && path[0] == '/') {
        int root_is_slash = root_len == 1 && root[0] == '/';
        if (!root_is_slash) {
            if (len < root_len || memcmp(path, root, root_len) != 0) return -MM_AGENT_REFUSED;
            if (len > root_len && path[root_len] != '/') return -MM_AGENT_REFUSED; /* "/mmx" */
        }
        rel = path + (root_is_slash ? 0 : root_len);
        rel_len = len - (size_t)(rel - path);
        if (rel_len > 0) {
            rel++;
            rel_len--;
        }                   /* the '/' after root */
        if (rel_len == 0) { /* the root itself */
            if (root_len + 1 > out_size) return -MM_AGENT_NAME_TOO_LONG;
            memcpy(out, root, root_len);
            out[root_len] = 0;
            return 0;
        }
    }
    if (rel_len == 0) {
        if (root_len + 1 > out_size) return -MM_AGENT_NAME_TOO_LONG;
        memcpy(out, root, root_len);
        out[root_len] = 0;
        return 0;
    }
    for (size_t s = 0, i = 0; i <= rel_len; i++) {
        if (i == rel_len || rel[i] == '/') {
            if (bad_component(rel + s, i - s)) return -MM_AGENT_REFUSED;
            s = i + 1;
        }
    }
    if (memchr(rel, 0, rel_len)) return -MM_AGENT_REFUSED;
    if (rel_len >= 5 && memcmp(rel + rel_len - 5, ".part", 5) == 0) return -MM_AGENT_REFUSED;
    int root_is_slash = root_len == 1 && root[0] == '/';
    size_t need = (root_is_slash ? 0 : root_len) + 1 + rel_len + 6; /* + ".part" + NUL */
    if (need > out_size) return -MM_AGENT_NAME_TOO_LONG;
    size_t o = 0;
    if (!root_is_slash) {
        memcpy(out, root, root_len);
        o = root_len;
    }
    out[o++] = '/';
    memcpy(out + o, rel, rel_len);
    out[o + rel_len] = 0;
    return 1;
}

/* ---- sending ---- */
static size_t frame_to_wire(uint8_t *body, size_t len, uint8_t *wire) {
    wr32(body + len, mm_crc32(0, body, len));
    wire[0] = 0;
    size_t n = 1 + mm_cobs_encode(body, len + 4, wire + 1);
    wire[n++] = 0;
    return n;
}

/* Sends the response in a->body (payload of `len` bytes already at body+4) and keeps it
 * for a repeated request. */
static void respond(mm_agent_t *a, uint8_t type, uint16_t seq, uint8_t status, size_t len) {
    a->body[0] = (uint8_t)(type | MM_FT_RESPONSE);
    a->body[1] = status;
    wr16(a->body + 2, seq);
    a->tx_len = frame_to_wire(a->body, 4 + len, a->tx);
    a->have_last = 1;
    a->last_type = type;
    a->last_seq = seq;
    a->cfg.output(a->cfg.output_ctx, a->tx, a->tx_len);
}

static void send_ack(mm_agent_t *a, uint16_t seq, uint8_t status) {
    uint8_t body[12], wire[24];
    body[0] = MM_FT_DATA | MM_FT_RESPONSE;
    body[1] = status;
    wr16(body + 2, seq);
    wr32(body + 4, a->expect);
    a->cfg.output(a->cfg.output_ctx, wire, frame_to_wire(body, 8, wire));
}

/* ---- upload state ---- */
static void close_upload(mm_agent_t *a, int delete_part) {
    if (a->file) {
        a->cfg.fs->close(a->cfg.fs->ctx, a->file);
        a->file = NULL;
    }
    if (delete_part && a->part_path[0]) a->cfg.fs->remove(a->cfg.fs->ctx, a->part_path);
    a->part_path[0] = 0;
}

void mm_agent_end_session(mm_agent_t *a) {
    close_upload(a, 0);
    a->active = 0;
    a->in_frame = 0;
    a->have_last = 0;
}

void mm_agent_init(mm_agent_t *a, const mm_agent_config_t *cfg) {
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    if (!a->cfg.root) a->cfg.root = "/mm";
    if (!a->cfg.chip) a->cfg.chip = "unknown";
    if (!a->cfg.filesystems) a->cfg.filesystems = "";
    if (!a->cfg.window) a->cfg.window = 8 * MM_AGENT_MAX_DATA;
    if (!a->cfg.max_file) a->cfg.max_file = 16u * 1024 * 1024;
}

void mm_agent_set_busy(mm_agent_t *a, int busy) { a->busy = busy; }

void mm_agent_tick(mm_agent_t *a, uint32_t now_ms) {
    if (a->active && (uint32_t)(now_ms - a->last_frame_ms) > MM_AGENT_IDLE_MS) mm_agent_end_session(a);
}

/* CRC of a whole file (or its first `limit` bytes), reading through the tx buffer: it is
 * rebuilt by the next respond() anyway. */
static int file_crc(mm_agent_t *a, const char *path, uint32_t limit, uint32_t *crc) {
    void *f;
    int r = a->cfg.fs->open(a->cfg.fs->ctx, path, MM_FS_READ, &f);
    if (r < 0) return r;
    uint32_t c = 0, done = 0;
    a->have_last = 0; /* tx is about to be overwritten */
    while (done < limit) {
        uint32_t want = limit - done < sizeof a->tx ? limit - done : (uint32_t)sizeof a->tx;
        int32_t got = a->cfg.fs->read(a->cfg.fs->ctx, f, a->tx, want);
        if (got < 0) {
            a->cfg.fs->close(a->cfg.fs->ctx, f);
            return -MM_AGENT_IO;
        }
        if (got == 0) break;
        c = mm_crc32(c, a->tx, (size_t)got);
        done += (uint32_t)got;
    }
    a->cfg.fs->close(a->cfg.fs->ctx, f);
    *crc = c;
    return done == limit ? 0 : -MM_AGENT_IO;
}

static int free_bytes(mm_agent_t *a, uint64_t *free_out, uint64_t *total_out) {
    uint64_t total = 0, used = 0;
    int r = a->cfg.fs->df(a->cfg.fs->ctx, &total, &used);
    if (r < 0) return r;
    /* total 0: the filesystem cannot tell (no space callback): do not refuse for space */
    *free_out = total == 0 ? UINT64_MAX : used < total ? total - used : 0;
    if (total_out) *total_out = total;
    return 0;
}

/* Reads "len:u8 bytes" at p (inside a payload of n bytes) and resolves it into `out`. */
static int payload_path(mm_agent_t *a, const uint8_t *p, size_t n, char *out) {
    if (n < 1 || (size_t)p[0] + 1 > n) return -MM_AGENT_PROTOCOL;
    return mm_agent_resolve(a->cfg.root, (const char *)p + 1, p[0], out, MM_AGENT_FULL_PATH);
}

static void make_parents(mm_agent_t *a, const char *full) {
    size_t root_len = strlen(a->cfg.root);
    a->cfg.fs->mkdir(a->cfg.fs->ctx, a->cfg.root);
    for (size_t i = root_len + 1; full[i]; i++) {
        if (full[i] != '/') continue;
        memcpy(a->scratch, full, i);
        a->scratch[i] = 0;
        a->cfg.fs->mkdir(a->cfg.fs->ctx, a->scratch);
    }
}

/* ---- handlers; each returns a status and leaves its payload at body+4, *len bytes ---- */
static int on_hello(mm_agent_t *a, const uint8_t *p, size_t n, size_t *len) {
    uint8_t *o = a->body + 4;
    if (n < 8 || memcmp(p, HELLO_MAGIC, 7) != 0) return MM_AGENT_PROTOCOL;
    o[0] = MM_PROTO_VERSION;
    *len = 1;
    if (p[7] != MM_PROTO_VERSION) return MM_AGENT_VERSION;
    uint64_t total = 0, free_ = 0;
    free_bytes(a, &free_, &total);
    if (total == 0) free_ = 0; /* unknown */
    o[1] = MM_AGENT_MAX_PATH;
    wr16(o + 2, MM_AGENT_MAX_DATA);
    wr32(o + 4, a->cfg.window);
    wr32(o + 8, a->cfg.max_file);
    wr64(o + 12, total);
    wr64(o + 20, free_);
    memcpy(o + 28, a->cfg.build_id, 32);
    size_t k = 60;
    const char *strs[3] = {a->cfg.chip, a->cfg.filesystems, a->cfg.root};
    for (int i = 0; i < 3; i++) {
        size_t sl = strlen(strs[i]);
        size_t room = MM_AGENT_MAX_DATA - k - (size_t)(3 - i); /* keep a length byte for the rest */
        if (sl > 200) sl = 200;
        if (sl > room) sl = room;
        o[k++] = (uint8_t)sl;
        memcpy(o + k, strs[i], sl);
        k += sl;
    }
    *len = k;
    return MM_AGENT_OK;
}

static int on_open(mm_agent_t *a, const uint8_t *p, size_t n, size_t *len) {
    if (n < 10) return MM_AGENT_PROTOCOL;
    uint32_t size = rd32(p), flags = p[8];
    close_upload(a, 0); /* a previous transfer in this session stays resumable */
    if (a->busy) return MM_AGENT_BUSY;
    int r = payload_path(a, p + 9, n - 9, a->final_path);
    if (r < 0) return -r;
    if (r == 0) return MM_AGENT_REFUSED; /* the served folder itself */
    if (size > a->cfg.max_file) return MM_AGENT_TOO_LARGE;
    mm_fs_entry_t st;
    if (a->cfg.fs->stat(a->cfg.fs->ctx, a->final_path, &st) == 0 && st.is_dir) return MM_AGENT_REFUSED;
    strcpy(a->part_path, a->final_path);
    strcat(a->part_path, ".part");
    make_parents(a, a->final_path);
    uint32_t part_len = 0, part_crc = 0;
    if (!(flags & FLAG_TRUNCATE) && a->cfg.fs->stat(a->cfg.fs->ctx, a->part_path, &st) == 0 && !st.is_dir &&
        st.size <= size && st.size > 0) {
        if (file_crc(a, a->part_path, st.size, &part_crc) == 0) part_len = st.size;
    }
    uint64_t free_;
    if (free_bytes(a, &free_, NULL) == 0 && (uint64_t)(size - part_len) > free_) {
        a->part_path[0] = 0;
        return MM_AGENT_FULL;
    }
    r = a->cfg.fs->open(a->cfg.fs->ctx, a->part_path, part_len ? MM_FS_APPEND : MM_FS_WRITE, &a->file);
    if (r < 0) {
        a->file = NULL;
        a->part_path[0] = 0;
        return -r;
    }
    a->size = size;
    a->expect = part_len;
    a->crc = part_crc;
    wr32(a->body + 4, part_len);
    wr32(a->body + 8, part_crc);
    *len = 8;
    return MM_AGENT_OK;
}

static void on_data(mm_agent_t *a, uint16_t seq, const uint8_t *p, size_t n) {
    if (!a->file || n < 4) {
        send_ack(a, seq, MM_AGENT_PROTOCOL);
        return;
    }
    uint32_t off = rd32(p), count = (uint32_t)(n - 4);
    if (off < a->expect) {
        send_ack(a, seq, MM_AGENT_OK);
        return;
    }                      /* a retransmission */
    if (off > a->expect) { /* a frame before it was lost: NAK; the host ignores stale NAKs */
        send_ack(a, seq, MM_AGENT_OUT_OF_ORDER);
        return;
    }
    if (count > MM_AGENT_MAX_DATA) {
        send_ack(a, seq, MM_AGENT_PROTOCOL);
        return;
    } /* more than HELLO announced */
    if (count > a->size - a->expect) {
        send_ack(a, seq, MM_AGENT_BAD_SIZE);
        return;
    }
    int32_t w = a->cfg.fs->write(a->cfg.fs->ctx, a->file, p + 4, count);
    if (w != (int32_t)count) {
        uint64_t free_ = 1;
        free_bytes(a, &free_, NULL);
        /* The card filled up (or failed): drop the .part so it does not hold the space. */
        close_upload(a, 1);
        send_ack(a, seq, w < 0 && w != -MM_AGENT_FULL && free_ > 0 ? MM_AGENT_IO : MM_AGENT_FULL);
        return;
    }
    a->crc = mm_crc32(a->crc, p + 4, count);
    a->expect += count;
    send_ack(a, seq, MM_AGENT_OK);
}

static int on_close(mm_agent_t *a, const uint8_t *p, size_t n) {
    if (n < 8) return MM_AGENT_PROTOCOL;
    if (!a->file) return MM_AGENT_PROTOCOL;
    uint32_t size = rd32(p), crc = rd32(p + 4);
    int r = a->cfg.fs->close(a->cfg.fs->ctx, a->file);
    a->file = NULL;
    if (r < 0) {
        close_upload(a, 1);
        return MM_AGENT_IO;
    }
    if (size != a->size || a->expect != size) {
        close_upload(a, 1);
        return MM_AGENT_BAD_SIZE;
    }
    if (crc != a->crc) {
        close_upload(a, 1);
        return MM_AGENT_BAD_CRC;
    }
    r = a->cfg.fs->rename(a->cfg.fs->ctx, a->part_path, a->final_path);
    a->part_path[0] = 0;
    return r < 0 ? -r : MM_AGENT_OK;
}

static int on_list(mm_agent_t *a, const uint8_t *p, size_t n, size_t *len) {
    if (n < 3) return MM_AGENT_PROTOCOL;
    uint32_t index = rd16(p);
    int r = payload_path(a, p + 2, n - 2, a->scratch);
    if (r < 0) return -r;
    mm_fs_entry_t e;
    r = a->cfg.fs->stat(a->cfg.fs->ctx, a->scratch, &e);
    if (r < 0) return -r;
    if (!e.is_dir) return MM_AGENT_NOT_FOUND;
    uint8_t *o = a->body + 4;
    size_t k = 3, count = 0;
    int more = 0;
    for (;;) {
        r = a->cfg.fs->list(a->cfg.fs->ctx, a->scratch, index + (uint32_t)count, &e);
        if (r < 0) return -r;
        if (r == 0) break;
        size_t nl = strlen(e.name);
        if (nl > 255) nl = 255;
        if (k + 6 + nl > MM_AGENT_MAX_DATA) {
            more = 1;
            break;
        }
        o[k] = e.is_dir ? 2 : 1;
        wr32(o + k + 1, e.size);
        o[k + 5] = (uint8_t)nl;
        memcpy(o + k + 6, e.name, nl);
        k += 6 + nl;
        count++;
    }
    wr16(o, (uint32_t)count);
    o[2] = (uint8_t)more;
    *len = k;
    return MM_AGENT_OK;
}

static int on_stat(mm_agent_t *a, const uint8_t *p, size_t n, size_t *len) {
    if (n < 2) return MM_AGENT_PROTOCOL;
    int r = payload_path(a, p + 1, n - 1, a->scratch);
    if (r < 0) return -r;
    mm_fs_entry_t e;
    r = a->cfg.fs->stat(a->cfg.fs->ctx, a->scratch, &e);
    if (r < 0) return -r;
    uint32_t crc = 0;
    if ((p[0] & FLAG_CRC) && !e.is_dir) {
        r = file_crc(a, a->scratch, e.size, &crc);
        if (r < 0) return -r;
    }
    uint8_t *o = a->body + 4;
    o[0] = e.is_dir ? 2 : 1;
    wr32(o + 1, e.size);
    wr32(o + 5, crc);
    *len = 9;
    return MM_AGENT_OK;
}

/* `path` lies inside folder `dir` (not merely starts with the same characters). */
static int path_inside(const char *path, const char *dir) {
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int on_remove(mm_agent_t *a, const uint8_t *p, size_t n) {
    if (a->busy) return MM_AGENT_BUSY;
    int r = payload_path(a, p, n, a->scratch);
    if (r < 0) return -r;
    if (r == 0) return MM_AGENT_REFUSED;
    mm_fs_entry_t e;
    r = a->cfg.fs->stat(a->cfg.fs->ctx, a->scratch, &e);
    if (r < 0) return -r;
    /* Removing the file being uploaded or a folder holding it closes the upload (FAT cannot
   * remove an open file); "Lib" is neither for "Lib_e", so no prefix match. */
    if (a->file && (strcmp(a->final_path, a->scratch) == 0 || path_inside(a->part_path, a->scratch)))
        close_upload(a, 0);
    r = a->cfg.fs->remove(a->cfg.fs->ctx, a->scratch);
    return r < 0 ? -r : MM_AGENT_OK;
}

static int on_df(mm_agent_t *a, size_t *len) {
    uint64_t total = 0, used = 0;
    int r = a->cfg.fs->df(a->cfg.fs->ctx, &total, &used);
    if (r < 0) return -r;
    wr64(a->body + 4, total);
    wr64(a->body + 12, used);
    *len = 16;
    return MM_AGENT_OK;
}

void mm_agent_set_flash_info(mm_agent_t *a, mm_agent_flash_info_fn fn, void *ctx) {
    a->flash_info = fn;
    a->flash_info_ctx = ctx;
}

/* FLASH_SLOTS start:u8 -> count:u8 more:u8 entries, as many as fit one frame. */
static int on_flash_slots(mm_agent_t *a, const uint8_t *p, size_t n, size_t *len) {
    if (n < 1) return MM_AGENT_PROTOCOL;
    uint8_t *o = a->body + 4;
    size_t k = 2;
    uint32_t count = 0, i = p[0];
    o[1] = 0;
    for (; a->flash_info && count < 255 && i < 256; i++) {
        mm_agent_flash_image_t e;
        memset(&e, 0, sizeof e);
        int r = a->flash_info(a->flash_info_ctx, i, &e);
        if (r < 0) return -r;
        if (r == 0) break;
        size_t nl = 0;
        while (nl < MM_AGENT_MAX_LIBRARY_NAME && e.name[nl]) nl++;
        size_t need = 19 + nl; /* index:u8, offset, size, writes, limit: u32, flags:u8, name */
        if (k + need > MM_AGENT_MAX_DATA) {
            o[1] = 1;
            break;
        }
        o[k] = (uint8_t)e.index;
        wr32(o + k + 1, e.offset);
        wr32(o + k + 5, e.size);
        wr32(o + k + 9, e.writes);
        wr32(o + k + 13, e.limit);
        o[k + 17] = e.flags;
        o[k + 18] = (uint8_t)nl;
        memcpy(o + k + 19, e.name, nl);
        k += need;
        count++;
    }
    o[0] = (uint8_t)count;
    *len = k;
    return MM_AGENT_OK;
}

/* ---- dispatch ---- */
static void on_frame(mm_agent_t *a, const uint8_t *f, size_t n, uint32_t now_ms) {
    uint8_t type = f[0];
    uint16_t seq = (uint16_t)rd16(f + 2);
    const uint8_t *p = f + 4;
    size_t pn = n - 4, len = 0;
    int status;
    if (type & MM_FT_RESPONSE) return; /* our own echo or line noise */
    if (type == MM_FT_HELLO) {
        mm_agent_end_session(a); /* a new host: close any .part (kept for resume) */
        status = on_hello(a, p, pn, &len);
        if (status == MM_AGENT_PROTOCOL) return; /* not our magic: stay as we were */
        a->active = status == MM_AGENT_OK;
        a->last_frame_ms = now_ms;
        respond(a, type, seq, (uint8_t)status, len);
        return;
    }
    if (!a->active) return;
    a->last_frame_ms = now_ms;
    if (type == MM_FT_DATA) {
        on_data(a, seq, p, pn);
        return;
    }
    if (a->have_last && a->last_type == type && a->last_seq == seq) {
        a->cfg.output(a->cfg.output_ctx, a->tx, a->tx_len); /* the response was lost: resend it */
        return;
    }
    switch (type) {
    case MM_FT_OPEN:
        status = on_open(a, p, pn, &len);
        break;
    case MM_FT_CLOSE:
        status = on_close(a, p, pn);
        break;
    case MM_FT_ABORT:
        close_upload(a, pn > 0 && (p[0] & FLAG_DELETE));
        status = MM_AGENT_OK;
        break;
    case MM_FT_LIST:
        status = on_list(a, p, pn, &len);
        break;
    case MM_FT_STAT:
        status = on_stat(a, p, pn, &len);
        break;
    case MM_FT_REMOVE:
        status = on_remove(a, p, pn);
        break;
    case MM_FT_DF:
        status = on_df(a, &len);
        break;
    case MM_FT_FLASH_SLOTS:
        status = on_flash_slots(a, p, pn, &len);
        break;
    case MM_FT_BYE:
        status = MM_AGENT_OK;
        break;
    default:
        status = MM_AGENT_PROTOCOL;
        break;
    }
    if (status != MM_AGENT_OK) len = 0;
    respond(a, type, seq, (uint8_t)status, len);
    if (type == MM_FT_BYE) mm_agent_end_session(a);
}

/* A chunk between two 0x00 delimiters. Returns 1 if it was a valid frame. */
static int on_chunk(mm_agent_t *a, uint32_t now_ms) {
    size_t n = mm_cobs_decode(a->rx, a->rx_len, a->rx);
    if (n == (size_t)-1 || n < 8) return 0;
    if (mm_crc32(0, a->rx, n - 4) != rd32(a->rx + n - 4)) return 0;
    on_frame(a, a->rx, n - 4, now_ms);
    return 1;
}

static void pass(mm_agent_t *a, const uint8_t *b, size_t n) {
    if (n && a->cfg.passthrough) a->cfg.passthrough(a->cfg.passthrough_ctx, b, n);
}

/* A short chunk received while dormant: a HELLO wakes the agent, anything else was the
 * application's console input and is passed through unchanged. */
static void dormant_chunk(mm_agent_t *a, uint32_t now_ms) {
    memcpy(a->scratch, a->rx, a->rx_len); /* rx is decoded in place */
    size_t n = a->rx_len;
    if (!on_chunk(a, now_ms)) pass(a, (const uint8_t *)a->scratch, n);
}

void mm_agent_feed(mm_agent_t *a, const uint8_t *bytes, size_t n, uint32_t now_ms) {
    size_t run = 0; /* start of console bytes not yet passed through (dormant only) */
    for (size_t i = 0; i < n; i++) {
        uint8_t b = bytes[i];
        if (a->active) {
            if (b == 0) {
                if (a->rx_len && !a->rx_overflow) on_chunk(a, now_ms);
                a->rx_len = 0;
                a->rx_overflow = 0;
            } else if (a->rx_len < sizeof a->rx) {
                a->rx[a->rx_len++] = b;
            } else {
                a->rx_overflow = 1; /* longer than any frame: noise, dropped at the next 0x00 */
            }
            run = i + 1;
            continue;
        }
        if (!a->in_frame) { /* dormant, between frames: console bytes until a 0x00 */
            if (b != 0) continue;
            pass(a, bytes + run, i - run);
            a->in_frame = 1;
            a->rx_len = 0;
            run = i + 1;
            continue;
        }
        run = i + 1;
        if (b != 0) {
            a->rx[a->rx_len++] = b;
            if (a->rx_len > DORMANT_MAX_CHUNK) { /* too long for a HELLO: console input */
                pass(a, a->rx, a->rx_len);
                a->rx_len = 0;
                a->in_frame = 0;
            }
            continue;
        }
        if (a->rx_len) dormant_chunk(a, now_ms);
        a->rx_len = 0;
    }
    if (!a->active && !a->in_frame) pass(a, bytes + run, n - run);
}
