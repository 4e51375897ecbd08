/* mm-agent: the device agent (firmware/src/mm_agent.c) on a POSIX host, attached to a
 * tty (in tests one end of a socat pty pair). A folder stands in for the card: device
 * path "/mm/Lib_e" is "<card>/mm/Lib_e".
 *
 *   mm-agent --tty <path> --root <card-dir> [--build-id <64 hex>] [--free <bytes>]
 *            [--root-name /mm] [--max-file <bytes>] [--window <bytes>] [--log-every <ms>]
 *            [--busy 1]   (answer uploads/removes with BUSY, as when the app has the card)
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include "mm_agent.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *card;
    int quota; /* --free given; otherwise the real filesystem's size */
    uint64_t total, used;
    int tty;
} g;

/* The card folder stands in for a FAT/SPIFFS/LittleFS card, which has no symbolic links:
 * every device path is opened one component at a time below the card folder with
 * O_NOFOLLOW, so a symlink (or a hard link) put into the card can never make the agent
 * read, create or truncate anything outside it. */
static int fail(void) {
    if (errno == ENOENT || errno == ENOTDIR) return -MM_AGENT_NOT_FOUND;
    if (errno == ENOSPC || errno == EDQUOT) return -MM_AGENT_FULL;
    if (errno == ELOOP || errno == EMLINK) return -MM_AGENT_REFUSED; /* a symlink on the way */
    if (errno == ENAMETOOLONG) return -MM_AGENT_NAME_TOO_LONG;
    return -MM_AGENT_IO;
}

/* Opens the folder that holds the last component of `device_path` and copies that
 * component to `leaf` ("" for the card folder itself). -1 with errno on failure. */
static int open_parent(const char *device_path, char leaf[NAME_MAX + 1]) {
    int dir = open(g.card, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *p = device_path;
    leaf[0] = 0;
    while (dir >= 0) {
        while (*p == '/') p++;
        size_t n = strcspn(p, "/");
        if (n == 0) break;
        if (n > NAME_MAX) {
            close(dir);
            errno = ENAMETOOLONG;
            return -1;
        }
        const char *rest = p + n;
        while (*rest == '/') rest++;
        if (*rest == 0) {
            memcpy(leaf, p, n);
            leaf[n] = 0;
            break;
        }
        char part[NAME_MAX + 1];
        memcpy(part, p, n);
        part[n] = 0;
        int next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        struct stat st;
        /* Linux says ENOTDIR for a symlink opened with O_DIRECTORY | O_NOFOLLOW: tell them apart. */
        if (next < 0 && saved == ENOTDIR && fstatat(dir, part, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            saved = ELOOP;
        close(dir);
        errno = saved;
        dir = next;
        p = rest;
    }
    return dir;
}

static const char *leaf_or_self(const char *leaf) { return leaf[0] ? leaf : "."; }

/* What a card can hold: folders and regular files with one name. A symlink, FIFO, device
 * or a file hard-linked from elsewhere (its contents are not the card's) is refused. */
static int kind_allowed(const struct stat *st) {
    return S_ISDIR(st->st_mode) || (S_ISREG(st->st_mode) && st->st_nlink == 1);
}

static int p_open(void *ctx, const char *path, int mode, void **file) {
    (void)ctx;
    char leaf[NAME_MAX + 1];
    int dir = open_parent(path, leaf);
    if (dir < 0) return fail();
    if (!leaf[0]) {
        close(dir);
        return -MM_AGENT_REFUSED;
    }
    /* "Create or empty" makes a new file instead of truncating: a hard link in the card to a
   * file elsewhere keeps its contents. O_NONBLOCK: a FIFO must not hang the agent. */
    if (mode == MM_FS_WRITE && unlinkat(dir, leaf, 0) < 0 && errno != ENOENT) {
        int r = fail();
        close(dir);
        return r;
    }
    int flags = mode == MM_FS_READ ? O_RDONLY : mode == MM_FS_WRITE ? O_WRONLY | O_CREAT | O_EXCL : O_WRONLY | O_APPEND;
    int fd = openat(dir, leaf, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    int saved = errno;
    close(dir);
    errno = saved;
    if (fd < 0) return fail();
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !kind_allowed(&st)) {
        close(fd);
        return -MM_AGENT_REFUSED;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    *file = (void *)(intptr_t)(fd + 1);
    return 0;
}

static int32_t p_read(void *ctx, void *file, void *buf, uint32_t n) {
    (void)ctx;
    ssize_t r = read((int)(intptr_t)file - 1, buf, n);
    return r < 0 ? -MM_AGENT_IO : (int32_t)r;
}

/* Unbuffered write(2): whatever was acknowledged is in the file even if we are killed. */
static int32_t p_write(void *ctx, void *file, const void *buf, uint32_t n) {
    (void)ctx;
    uint32_t allowed = n;
    if (g.quota) allowed = g.used >= g.total ? 0 : (g.total - g.used < n ? (uint32_t)(g.total - g.used) : n);
    if (allowed == 0 && n > 0) return -MM_AGENT_FULL;
    ssize_t r = write((int)(intptr_t)file - 1, buf, allowed);
    if (r < 0) return fail();
    g.used += (uint64_t)r;
    return (int32_t)r;
}

static int p_close(void *ctx, void *file) {
    (void)ctx;
    int fd = (int)(intptr_t)file - 1;
    int r = fsync(fd);
    return close(fd) < 0 || (r < 0 && errno != EINVAL) ? -MM_AGENT_IO : 0;
}

static int p_stat(void *ctx, const char *path, mm_fs_entry_t *out) {
    (void)ctx;
    char leaf[NAME_MAX + 1];
    int dir = open_parent(path, leaf);
    if (dir < 0) return fail();
    struct stat st;
    int r = fstatat(dir, leaf_or_self(leaf), &st, AT_SYMLINK_NOFOLLOW);
    int saved = errno;
    close(dir);
    errno = saved;
    if (r < 0) return fail();
    if (!kind_allowed(&st)) return -MM_AGENT_REFUSED;
    out->is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
    out->size = (uint32_t)st.st_size;
    out->name[0] = 0;
    return 0;
}

static int p_remove(void *ctx, const char *path) {
    (void)ctx;
    char leaf[NAME_MAX + 1];
    int dir = open_parent(path, leaf);
    if (dir < 0) return fail();
    int r = leaf[0] ? unlinkat(dir, leaf, 0) : (errno = EPERM, -1);
    if (r < 0 && (errno == EISDIR || errno == EPERM) && leaf[0]) r = unlinkat(dir, leaf, AT_REMOVEDIR);
    int saved = errno;
    close(dir);
    errno = saved;
    return r < 0 ? fail() : 0;
}

static int p_rename(void *ctx, const char *from, const char *to) {
    (void)ctx;
    char from_leaf[NAME_MAX + 1], to_leaf[NAME_MAX + 1];
    int from_dir = open_parent(from, from_leaf);
    if (from_dir < 0) return fail();
    int to_dir = open_parent(to, to_leaf);
    if (to_dir < 0) {
        int r = fail();
        close(from_dir);
        return r;
    }
    /* renameat replaces a symlink at `to` itself, never the file it points to */
    int r = from_leaf[0] && to_leaf[0] ? renameat(from_dir, from_leaf, to_dir, to_leaf) : (errno = EPERM, -1);
    int saved = errno;
    close(from_dir);
    close(to_dir);
    errno = saved;
    return r < 0 ? fail() : 0;
}

static int p_mkdir(void *ctx, const char *path) {
    (void)ctx;
    char leaf[NAME_MAX + 1];
    int dir = open_parent(path, leaf);
    if (dir < 0) return fail();
    int r = leaf[0] ? mkdirat(dir, leaf, 0755) : 0;
    int saved = errno;
    close(dir);
    errno = saved;
    return r < 0 && errno != EEXIST ? fail() : 0;
}

/* The index-th entry that is a regular file or a folder: others (symlinks, FIFOs, an entry
 * removed meanwhile) are skipped rather than ending the listing. */
static int p_list(void *ctx, const char *path, uint32_t index, mm_fs_entry_t *out) {
    (void)ctx;
    char leaf[NAME_MAX + 1];
    int parent = open_parent(path, leaf);
    if (parent < 0) return fail();
    int fd = openat(parent, leaf_or_self(leaf), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(parent);
    errno = saved;
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        int r = fail();
        if (fd >= 0) close(fd);
        return r;
    }
    struct dirent *e;
    uint32_t i = 0;
    int found = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !kind_allowed(&st)) continue;
        if (i++ != index) continue;
        size_t nl = strnlen(e->d_name, sizeof out->name - 1); /* longer names are shown cut */
        memcpy(out->name, e->d_name, nl);
        out->name[nl] = 0;
        out->is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
        out->size = (uint32_t)st.st_size;
        found = 1;
        break;
    }
    closedir(d);
    return found;
}

static uint64_t walked;
static int add_size(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)p;
    (void)f;
    if (flag == FTW_F) walked += (uint64_t)st->st_size;
    return 0;
}

/* With --free the card is as large as what it held at start plus that many bytes. */
static int p_df(void *ctx, uint64_t *total, uint64_t *used) {
    (void)ctx;
    if (g.quota) {
        walked = 0;
        nftw(g.card, add_size, 16, FTW_PHYS);
        g.used = walked;
        *total = g.total;
        *used = g.used;
        return 0;
    }
    struct statvfs v;
    if (statvfs(g.card, &v) < 0) return -MM_AGENT_IO;
    *total = (uint64_t)v.f_blocks * v.f_frsize;
    *used = *total - (uint64_t)v.f_bavail * v.f_frsize;
    return 0;
}

static const mm_agent_fs_t posix_fs = {NULL,     p_open,   p_read,  p_write, p_close, p_stat,
                                       p_remove, p_rename, p_mkdir, p_list,  p_df};

static void tty_write(void *ctx, const uint8_t *b, size_t n) {
    (void)ctx;
    while (n > 0) {
        ssize_t w = write(g.tty, b, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                struct pollfd p = {g.tty, POLLOUT, 0};
                poll(&p, 1, 100);
                continue;
            }
            return; /* the other end is gone; the host will retry */
        }
        b += w;
        n -= (size_t)w;
    }
}

static void console_input(void *ctx, const uint8_t *b, size_t n) {
    (void)ctx;
    fprintf(stderr, "mm-agent: console input (%zu bytes): %.*s\n", n, (int)n, (const char *)b);
}

static uint32_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u);
}

static volatile sig_atomic_t stop;
static void on_signal(int s) {
    (void)s;
    stop = 1;
}

static int parse_hex(const char *s, uint8_t out[32]) {
    if (strlen(s) != 64) return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* --flash-slot: the test's fixed table of flash-slot images, served by a provider the way
 * an application's glue serves mm_flash_image_info (the tools test compares the CLI's
 * output with it). */
static mm_agent_flash_image_t flash_table[16];
static uint32_t flash_count;

static int parse_flash_slot(const char *v) {
    mm_agent_flash_image_t *e = &flash_table[flash_count];
    const char *colon = strchr(v, ':');
    if (flash_count >= 16 || !colon || (size_t)(colon - v) > MM_AGENT_MAX_LIBRARY_NAME) return -1;
    uint32_t f[5];
    char *end = (char *)colon;
    for (int k = 0; k < 5; k++) {
        if (*end != ':') return -1;
        f[k] = (uint32_t)strtoul(end + 1, &end, 0); /* 0x... offsets or decimal */
    }
    if (*end) return -1;
    memcpy(e->name, v, (size_t)(colon - v));
    e->index = flash_count;
    e->offset = f[0];
    e->size = f[1];
    e->writes = f[2];
    e->limit = f[3];
    e->flags = (uint8_t)f[4];
    flash_count++;
    return 0;
}

static int table_flash_info(void *ctx, uint32_t i, mm_agent_flash_image_t *out) {
    (void)ctx;
    if (i >= flash_count) return 0;
    *out = flash_table[i];
    return 1;
}

static void usage(void) {
    fprintf(stderr, "usage: mm-agent --tty <path> --root <card-dir> [--build-id <64 hex digits>] "
                    "[--free <bytes>] [--root-name /mm] [--max-file <bytes>] [--window <bytes>] "
                    "[--log-every <ms>] [--busy 1] [--flash-slot <lib>:<offset>:<size>:<writes>:<limit>:<flags>]...\n");
    exit(2);
}

static mm_agent_t agent; /* ~6 KB: static, like on the device */

int main(int argc, char **argv) {
    const char *tty = NULL;
    mm_agent_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.root = "/mm";
    cfg.chip = "host";
    cfg.filesystems = "posix";
    unsigned log_every = 0;
    uint64_t free_arg = 0;
    int busy = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(argv[i], "--tty"))
            tty = v;
        else if (!strcmp(argv[i], "--root"))
            g.card = v;
        else if (!strcmp(argv[i], "--root-name"))
            cfg.root = v;
        else if (!strcmp(argv[i], "--free")) {
            g.quota = 1;
            free_arg = strtoull(v, NULL, 10);
        } else if (!strcmp(argv[i], "--max-file"))
            cfg.max_file = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(argv[i], "--window"))
            cfg.window = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(argv[i], "--log-every"))
            log_every = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(argv[i], "--busy"))
            busy = !strcmp(v, "1"); /* the app holds the card */
        else if (!strcmp(argv[i], "--flash-slot")) {
            if (parse_flash_slot(v) < 0) {
                fprintf(stderr,
                        "mm-agent: --flash-slot needs <lib>:<offset>:<size>:<writes>:<limit>:<flags> (at most 16)\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--build-id")) {
            if (parse_hex(v, cfg.build_id) < 0) {
                fprintf(stderr, "mm-agent: --build-id needs 64 hex digits\n");
                return 2;
            }
        } else
            usage();
        i++;
    }
    if (!tty || !g.card) usage();
    if (g.quota) {
        uint64_t t, u;
        p_df(NULL, &t, &u); /* walks the card: g.used */
        g.total = g.used + free_arg;
    }
    g.tty = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (g.tty < 0) {
        fprintf(stderr, "mm-agent: cannot open %s: %s\n", tty, strerror(errno));
        return 1;
    }
    struct termios t;
    if (tcgetattr(g.tty, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(g.tty, TCSANOW, &t);
    }
    cfg.fs = &posix_fs;
    cfg.output = tty_write;
    cfg.passthrough = console_input;
    mm_agent_init(&agent, &cfg);
    mm_agent_set_busy(&agent, busy);
    if (flash_count) mm_agent_set_flash_info(&agent, table_flash_info, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    fprintf(stderr, "mm-agent: serving %s%s on %s\n", g.card, cfg.root, tty);
    uint32_t next_log = now_ms() + log_every, log_n = 0;
    uint8_t buf[4096];
    while (!stop) {
        struct pollfd p = {g.tty, POLLIN, 0};
        int r = poll(&p, 1, 20);
        uint32_t now = now_ms();
        if (r > 0 && (p.revents & POLLIN)) {
            ssize_t n = read(g.tty, buf, sizeof buf);
            if (n > 0) mm_agent_feed(&agent, buf, (size_t)n, now);
        } else if (r > 0 && (p.revents & (POLLHUP | POLLERR))) {
            usleep(20000); /* no peer on the pty right now */
        }
        if (log_every && (int32_t)(now - next_log) >= 0) {
            /* The application's own log output, interleaved with agent frames (protocol §7). */
            char line[64];
            int len = snprintf(line, sizeof line, "[app] heartbeat %u\r\n", (unsigned)log_n++);
            tty_write(NULL, (const uint8_t *)line, (size_t)len);
            next_log = now + log_every;
        }
        mm_agent_tick(&agent, now);
    }
    mm_agent_end_session(&agent);
    close(g.tty);
    return 0;
}
