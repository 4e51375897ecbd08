/* Arduino fs::FS + Stream glue of the file-transfer agent; the logic is in mm_agent.c.
 * NOT COMPILED HERE: it needs the Arduino-ESP32 core. The host build (firmware/host-agent)
 * runs the same C core against a POSIX folder in the tests. */
#if defined(ARDUINO)
#include "mm_agent_arduino.h"
#include <string.h>

namespace {
MMAgent *self(void *ctx) { return static_cast<MMAgent *>(ctx); }

int a_open(void *ctx, const char *path, int mode, void **file) {
    MMAgent *a = self(ctx);
    int slot = mode == MM_FS_READ ? 1 : 0;
    if (a->files[slot]) a->files[slot].close();
    const char *m = mode == MM_FS_READ ? FILE_READ : mode == MM_FS_WRITE ? FILE_WRITE : FILE_APPEND;
    if (mode == MM_FS_READ && !a->fs().exists(path)) return -MM_AGENT_NOT_FOUND;
    a->files[slot] = a->fs().open(path, m);
    if (!a->files[slot] || a->files[slot].isDirectory()) {
        a->files[slot].close();
        return -MM_AGENT_IO;
    }
    *file = &a->files[slot];
    return 0;
}
int32_t a_read(void *, void *file, void *buf, uint32_t n) {
    return (int32_t) static_cast<fs::File *>(file)->read(static_cast<uint8_t *>(buf), n);
}
int32_t a_write(void *, void *file, const void *buf, uint32_t n) {
    /* A short write on SD/LittleFS almost always means the card is full. */
    return (int32_t) static_cast<fs::File *>(file)->write(static_cast<const uint8_t *>(buf), n);
}
int a_close(void *, void *file) {
    fs::File *f = static_cast<fs::File *>(file);
    f->flush();
    f->close();
    return 0;
}
int a_stat(void *ctx, const char *path, mm_fs_entry_t *out) {
    MMAgent *a = self(ctx);
    if (!a->fs().exists(path)) return -MM_AGENT_NOT_FOUND;
    fs::File f = a->fs().open(path, FILE_READ);
    if (!f) return -MM_AGENT_IO;
    out->is_dir = f.isDirectory() ? 1 : 0;
    out->size = out->is_dir ? 0 : (uint32_t)f.size();
    out->name[0] = 0;
    f.close();
    return 0;
}
int a_remove(void *ctx, const char *path) {
    MMAgent *a = self(ctx);
    fs::File f = a->fs().open(path, FILE_READ);
    bool dir = f && f.isDirectory();
    f.close();
    return (dir ? a->fs().rmdir(path) : a->fs().remove(path)) ? 0 : -MM_AGENT_IO;
}
/* FAT cannot rename over an existing file: remove the old one first (protocol §4). */
int a_rename(void *ctx, const char *from, const char *to) {
    MMAgent *a = self(ctx);
    if (a->fs().rename(from, to)) return 0;
    if (a->fs().exists(to) && a->fs().remove(to) && a->fs().rename(from, to)) return 0;
    return -MM_AGENT_IO;
}
int a_mkdir(void *ctx, const char *path) {
    MMAgent *a = self(ctx);
    return a->fs().exists(path) || a->fs().mkdir(path) ? 0 : -MM_AGENT_IO;
}
int a_list(void *ctx, const char *path, uint32_t index, mm_fs_entry_t *out) {
    MMAgent *a = self(ctx);
    fs::File dir = a->fs().open(path, FILE_READ);
    if (!dir || !dir.isDirectory()) return -MM_AGENT_NOT_FOUND;
    int found = 0;
    for (uint32_t i = 0;; i++) {
        fs::File e = dir.openNextFile();
        if (!e) break;
        if (i == index) {
            const char *name = e.name();
            const char *slash = strrchr(name, '/'); /* core 1.x returns the full path */
            if (slash) name = slash + 1;
            strncpy(out->name, name, sizeof out->name - 1);
            out->name[sizeof out->name - 1] = 0;
            out->is_dir = e.isDirectory() ? 1 : 0;
            out->size = out->is_dir ? 0 : (uint32_t)e.size();
            found = 1;
        }
        e.close();
        if (found) break;
    }
    dir.close();
    return found;
}
int a_df(void *ctx, uint64_t *total, uint64_t *used) {
    MMAgent *a = self(ctx);
    *total = a->total_ ? a->total_() : 0; /* 0 = unknown: the agent skips the free-space check */
    *used = a->used_ ? a->used_() : 0;
    return 0;
}
void a_output(void *ctx, const uint8_t *bytes, size_t n) { self(ctx)->port_->write(bytes, n); }
void a_console(void *ctx, const uint8_t *bytes, size_t n) {
    if (self(ctx)->console_) self(ctx)->console_(bytes, n);
}
} // namespace

MMAgent::MMAgent(fs::FS &fs, const char *root, Stream &port) : port_(&port), fs_(&fs), root_(root) {}

void MMAgent::begin(const char *chip, const char *filesystems, uint32_t window) {
    ops_ = {this, a_open, a_read, a_write, a_close, a_stat, a_remove, a_rename, a_mkdir, a_list, a_df};
    mm_agent_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fs = &ops_;
    cfg.root = root_;
    cfg.chip = chip;
    cfg.filesystems = filesystems;
    for (int i = 0; i < MM_BUILD_ID_LEN; i++) cfg.build_id[i] = mm_build_id[i];
    cfg.window = window;
    cfg.output = a_output;
    cfg.output_ctx = this;
    cfg.passthrough = a_console;
    cfg.passthrough_ctx = this;
    mm_agent_init(&agent_, &cfg);
    mm_agent_set_flash_info(&agent_, flash_info_, flash_ctx_); /* init cleared it */
}

void MMAgent::poll() {
    uint8_t buf[256];
    /* Bounded: at most 8 reads per call so loop() keeps running during an upload. */
    for (int i = 0; i < 8 && port_->available() > 0; i++) {
        size_t n =
            port_->readBytes(buf, sizeof buf < (size_t)port_->available() ? sizeof buf : (size_t)port_->available());
        mm_agent_feed(&agent_, buf, n, millis());
    }
    mm_agent_tick(&agent_, millis());
}
#endif
