/* Device-test firmware: the Memory Manager runtime loading real split libraries under
 * QEMU. The emulator's working directory plays the SD card (semihosting): it holds
 * `scenario` (one word, chosen by the test), the split files in mm/, and damaged copies
 * in bad/. Every line printed is checked by test/tools/device/qemu.test.ts. */
#include "MemoryManager.h"
#include "adder.h"
#include "fw_api.h"
#include "mm_agent.h"
#include "multiplier.h"
#include "shapes.h"

extern "C" void fw_write(const char *s, int len);
extern "C" void fw_exit(int code);
extern "C" const mm_agent_fs_t *agent_card_semihost(void); /* agent_card.c */

MM_SLOT(math)
MM_LIBRARY(Adder, math)
MM_LIBRARY(Multiplier, math)
MM_LIBRARY_OWN_SLOT(Shapes)

/* Load on first call: mm_lazy_adder_calc() loads Adder (evicting Multiplier) if needed. */
MM_LAZY(Adder, int, adder_calc, (int a, int b), (a, b), -1)
MM_LAZY(Multiplier, int, multiplier_calc, (int a, int b), (a, b), -1)

/* ---- output (no printf: the lx106 target has no stdio, and no division either) ------ */
static int str_len(const char *s) {
    int n = 0;
    while (((volatile const char *)s)[n]) n++;
    return n;
}
extern "C" void fw_puts(const char *s) { fw_write(s, str_len(s)); }
extern "C" void fw_putnum(int v) {
    static const int p10[] = {1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
    char b[13];
    int i = 0, started = 0;
    unsigned u = (unsigned)v;
    if (v < 0) b[i++] = '-', u = 0u - u;
    for (int k = 0; k < 10; k++) {
        int d = 0;
        while (u >= (unsigned)p10[k]) u -= (unsigned)p10[k], d++;
        if (d || started || k == 9) b[i++] = (char)('0' + d), started = 1;
    }
    fw_write(b, i);
}
extern "C" void fw_log(const char *s) {
    fw_puts("[fw_log] ");
    fw_puts(s);
    fw_puts("\n");
}
static void show(const char *what, int v) {
    fw_puts(what);
    fw_puts(" = ");
    fw_putnum(v);
    fw_puts("\n");
}
static bool show_load(MemoryManager &m, const char *lib) {
    bool ok = m.load(lib);
    fw_puts("load ");
    fw_puts(lib);
    fw_puts(": ");
    if (ok) {
        fw_puts("OK\n");
    } else {
        fw_puts(m.lastErrorName());
        fw_puts(" ");
        fw_puts(m.lastErrorFile());
        fw_puts(" (");
        fw_puts(m.lastErrorText());
        fw_puts(")\n");
    }
    return ok;
}
static void show_loaded(MemoryManager &m) {
    fw_puts("loaded:");
    if (m.isLoaded("Adder")) fw_puts(" Adder");
    if (m.isLoaded("Multiplier")) fw_puts(" Multiplier");
    if (m.isLoaded("Shapes")) fw_puts(" Shapes");
    fw_puts("\n");
}

static mm_storage_t storage = mm_storage_semihost();
static MemoryManager mm(storage, "mm");

/* ---- scenarios ---------------------------------------------------------------------- */
static int basic() {
    if (!show_load(mm, "Adder")) return 1;
    show("adder_calc(2,5)", adder_calc(2, 5));
    show("adder_calc(2,5)", adder_calc(2, 5));
    show_loaded(mm);
    return 0;
}

/* Two libraries of one slot, swapped back and forth through the MM_LAZY wrappers. */
static int swap() {
    show("Adder 2,5", mm_lazy_adder_calc(2, 5));
    show("Adder 2,5", mm_lazy_adder_calc(2, 5));
    show("Multiplier 3,4", mm_lazy_multiplier_calc(3, 4));
    show_loaded(mm);
    show("Adder 2,5", mm_lazy_adder_calc(2, 5));
    show_loaded(mm);
    show("Multiplier 3,4", mm_lazy_multiplier_calc(3, 4));
    show("Multiplier 3,4", mm_lazy_multiplier_calc(3, 4));
    show("Adder 2,5", mm_lazy_adder_calc(2, 5));
    show_loaded(mm);
    return 0;
}

/* C++: objects of the library's classes made by the factory, virtual calls through the
 * library's vtables, its static constructor, its destructor at unload. */
static int cpp() {
    alignas(Square) static unsigned char mem[sizeof(Square)];
    Square *sq = mm.construct<Square>("Shapes", mem, 5);
    if (!sq) {
        fw_puts("construct failed: ");
        fw_puts(mm.lastErrorName());
        fw_puts("\n");
        return 1;
    }
    const Shape *shape = sq;
    fw_puts("shape->name() = ");
    fw_puts(shape->name());
    fw_puts("\n");
    show("shape->area()", shape->area());
    show("shape->scaled_area()", shape->scaled_area());
    show("shapes_registry_size()", shapes_registry_size());
    show("shapes_total_area()", shapes_total_area());
    fw_puts("unload Shapes: ");
    fw_puts(mm.unload("Shapes") ? "OK\n" : mm.lastErrorName());
    show_loaded(mm);
    show_load(mm, "Shapes");
    show("shapes_registry_size()", shapes_registry_size());
    return 0;
}

/* Calls a library function that was never loaded: the slot holds no code, the CPU
 * faults (exit 99 from the exception vector). Reaching the line after it is a failure. */
static int noload() {
    fw_puts("calling adder_calc without loading\n");
    show("adder_calc(2,5)", adder_calc(2, 5));
    return 3;
}

static int after_unload() {
    if (!show_load(mm, "Adder")) return 1;
    show("adder_calc(2,5)", adder_calc(2, 5));
    fw_puts(mm.unload("Adder") ? "unload Adder: OK\n" : "unload Adder: FAILED\n");
    fw_puts("calling adder_calc after unload\n");
    show("adder_calc(2,5)", adder_calc(2, 5));
    return 3;
}

/* A damaged Multiplier in bad/ is refused; Adder, loaded in the same slot before, keeps
 * working; the good Multiplier then loads. */
static int refuse() {
    if (!show_load(mm, "Adder")) return 1;
    show("adder_calc(2,5)", adder_calc(2, 5));
    MemoryManager bad(storage, "bad");
    show_load(bad, "Multiplier");
    show_loaded(mm);
    show("adder_calc(2,5)", adder_calc(2, 5));
    if (!show_load(mm, "Multiplier")) return 1;
    show("multiplier_calc(3,4)", multiplier_calc(3, 4));
    fw_puts("still running\n");
    return 0;
}

/* The device agent (firmware/src/mm_agent.c) serving mm/ on the card receives what the
 * host sends over the serial port: here the file `frames` holds those bytes, fed to the
 * agent in serial-sized chunks; the agent's response frames go to the file `replies`. */
static mm_agent_t agent;
static void *replies;
static void reply_out(void *ctx, const uint8_t *bytes, size_t n) {
    const mm_agent_fs_t *fs = (const mm_agent_fs_t *)ctx;
    fs->write(fs->ctx, replies, bytes, (uint32_t)n);
}
static bool receive_frames() {
    const mm_agent_fs_t *fs = agent_card_semihost();
    void *in;
    if (fs->open(fs->ctx, "frames", MM_FS_READ, &in) < 0 || fs->open(fs->ctx, "replies", MM_FS_WRITE, &replies) < 0) {
        fw_puts("agent: cannot open frames/replies\n");
        return false;
    }
    mm_agent_config_t cfg = {};
    cfg.fs = fs;
    cfg.root = "mm";
    cfg.chip = "qemu";
    cfg.filesystems = "semihost";
    for (int i = 0; i < MM_BUILD_ID_LEN; i++) cfg.build_id[i] = mm_build_id[i];
    cfg.output = reply_out;
    cfg.output_ctx = (void *)fs;
    mm_agent_init(&agent, &cfg);
    static uint8_t chunk[100]; /* what one poll() might find in a UART buffer */
    int32_t got, total = 0;
    uint32_t now_ms = 0;
    while ((got = fs->read(fs->ctx, in, chunk, sizeof chunk)) > 0) {
        mm_agent_feed(&agent, chunk, (size_t)got, now_ms += 1);
        total += got;
    }
    fs->close(fs->ctx, in);
    fs->close(fs->ctx, replies);
    show("agent: bytes received", total);
    return got == 0;
}

/* Adder runs; a new version of its files arrives over the agent's protocol while it
 * runs; the running copy is untouched until it is unloaded and loaded again. When the
 * upload is refused (the test damages it), the reload brings back the old version. */
static int upload() {
    if (!show_load(mm, "Adder")) return 1;
    show("adder_calc(2,5)", adder_calc(2, 5));
    show("adder_calc(2,5)", adder_calc(2, 5));
    if (!receive_frames()) return 1;
    show("adder_calc(2,5)", adder_calc(2, 5));
    fw_puts(mm.unload("Adder") ? "unload Adder: OK\n" : "unload Adder: FAILED\n");
    if (!show_load(mm, "Adder")) return 1;
    show("adder_calc(2,5)", adder_calc(2, 5));
    return 0;
}

static bool read_scenario(char *buf, int cap) {
    void *f = storage.ops->open(storage.ctx, "scenario");
    if (!f) return false;
    int32_t n = storage.ops->read(storage.ctx, f, buf, (uint32_t)cap - 1);
    storage.ops->close(storage.ctx, f);
    if (n < 0) return false;
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
    return true;
}
static bool eq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

extern "C" int main(void) {
    fw_puts("fw start (");
    fw_puts(mm_port_name());
    fw_puts(")\n");
    if (!mm.begin()) {
        fw_puts("begin: ");
        fw_puts(mm.lastErrorText());
        fw_puts("\n");
        return 2;
    }
    char scenario[32];
    if (!read_scenario(scenario, sizeof scenario)) {
        fw_puts("no scenario file\n");
        return 2;
    }
    fw_puts("scenario ");
    fw_puts(scenario);
    fw_puts("\n");
    int rc = eq(scenario, "basic")          ? basic()
             : eq(scenario, "swap")         ? swap()
             : eq(scenario, "cpp")          ? cpp()
             : eq(scenario, "noload")       ? noload()
             : eq(scenario, "after_unload") ? after_unload()
             : eq(scenario, "refuse")       ? refuse()
             : eq(scenario, "upload")       ? upload()
                                            : 2;
    fw_puts("exit ");
    fw_putnum(rc);
    fw_puts("\n");
    return rc;
}
