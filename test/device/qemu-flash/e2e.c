/* Flash slots end to end under QEMU (Xtensa lx106 and RISC-V rv32): the libraries are real
 * archives placed by the generated fragment (`esp32mm fragment`, a flash slot "model" with
 * BigModel and Small; an IRAM slot "ram": RamModel and RamOther), the firmware is split by
 * `esp32mm split`, the split files are the emulator's "SD card" (semihosting, folder mm/),
 * and the mmlib partition is the semihosting file mmlib.bin (0xFF-filled by the test; the
 * loader writes the images into it itself).
 *
 * What stands for what (firmware/README.md "Flash slots"): the instruction window is RAM of
 * the emulator's memory map, declared by the base linker script (fw_flash_window_start/end)
 * and handed to the semihost back end (firmware/src/mm_flash_semihost.c), which "maps" a
 * page by copying it from the partition file into that RAM and "unmaps" by zeroing it. On
 * a chip the cache MMU does this without any copy.
 *
 * The file `scenario` says what to do, one command a line:
 *   load <lib>          print the result and what the load cost (card bytes read, sectors
 *                       erased, programs, bytes programmed, pages mapped/unmapped)
 *   call <lib> <n>      call the library's entry function with n, print the result (hex)
 *   unload <lib>
 *   stale <lib>         call the library's entry function without it being loaded: must
 *                       fault (Xtensa: the vectors exit 99; RISC-V: "TRAP mcause=..")
 * Every line printed is checked by test/tools/device/flash-e2e.test.ts or read by
 * bench/flash-slots.ts. No stdio (the lx106 target has none) and no division. */
#include <stdint.h>
#include "mm_agent.h"
#include "mm_agent_flash.h"
#include "mm_flash.h"
#include "mm_loader.h"
#include "mm_semihost.h"
#include "mm_storage.h"

void fw_write(const char *s, int len); /* io.c of the architecture */
void fw_exit(int code);
/* RISC-V: supervisor mode with the window paged in (riscv/supervisor.c); none on Xtensa */
void fw_platform_init(void) __attribute__((weak));

MM_SLOT(model)
MM_LIBRARY(BigModel, model)
MM_LIBRARY(Small, model)
MM_SLOT(ram)
MM_LIBRARY(RamModel, ram)
MM_LIBRARY(RamOther, ram)

unsigned big_entry(unsigned i);
unsigned small_entry(unsigned i);
unsigned ram_entry(unsigned i);
unsigned ram_other_entry(unsigned i);

/* the window RAM, from the base linker script */
extern char fw_flash_window_start[], fw_flash_window_end[];

/* ---- output ------------------------------------------------------------------------- */
static int str_len(const char *s) {
    int n = 0;
    while (((volatile const char *)s)[n]) n++;
    return n;
}
static int str_eq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}
static void puts_(const char *s) { fw_write(s, str_len(s)); }
static void putdec(uint32_t u) {
    static const uint32_t p10[] = {1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
    char b[10];
    int i = 0, started = 0;
    for (int k = 0; k < 10; k++) {
        int d = 0;
        while (u >= p10[k]) u -= p10[k], d++;
        if (d || started || k == 9) b[i++] = (char)('0' + d), started = 1;
    }
    fw_write(b, i);
}
static void puthex(uint32_t u) {
    char b[10] = {'0', 'x'};
    for (int k = 0; k < 8; k++) b[2 + k] = "0123456789abcdef"[(u >> (28 - 4 * k)) & 15];
    fw_write(b, 10);
}

/* ---- the card, counting the bytes the loader reads from it ---------------------------- */
static mm_storage_t card;
static uint32_t card_bytes;
static void *card_open(void *ctx, const char *path) {
    (void)ctx;
    return card.ops->open(card.ctx, path);
}
static int32_t card_size(void *ctx, void *f) {
    (void)ctx;
    return card.ops->size(card.ctx, f);
}
static int32_t card_read(void *ctx, void *f, void *buf, uint32_t n) {
    (void)ctx;
    int32_t got = card.ops->read(card.ctx, f, buf, n);
    if (got > 0) card_bytes += (uint32_t)got;
    return got;
}
static void card_close(void *ctx, void *f) {
    (void)ctx;
    card.ops->close(card.ctx, f);
}
static const mm_storage_ops_t counting_ops = {card_open, card_size, card_read, card_close};

static mm_flash_semihost_t sh;
static mm_loader_t ld;

typedef unsigned (*entry_fn)(unsigned);
static entry_fn entry_of(const char *lib) {
    return str_eq(lib, "BigModel")   ? big_entry
           : str_eq(lib, "Small")    ? small_entry
           : str_eq(lib, "RamModel") ? ram_entry
           : str_eq(lib, "RamOther") ? ram_other_entry
                                     : 0;
}

static void load(const char *lib) {
    card_bytes = 0, sh.erases = sh.programs = sh.program_bytes = sh.pages_mapped = sh.pages_unmapped = 0;
    mm_err_t e = mm_load(&ld, lib);
    puts_("load "), puts_(lib), puts_(": "), puts_(mm_errname(e));
    puts_(" card="), putdec(card_bytes), puts_(" erases="), putdec(sh.erases), puts_(" programs="), putdec(sh.programs);
    puts_(" programmed="), putdec(sh.program_bytes), puts_(" mapped="), putdec(sh.pages_mapped);
    puts_(" unmapped="), putdec(sh.pages_unmapped), puts_("\n");
}

/* ---- the agent: the file `frames` (encoded by the test with the client's encoder) is fed
 * to the device agent, whose FLASH_SLOTS answers come from mm_agent_flash_info over this
 * loader; its answers go to the file `replies`. The agent serves no card here (FLASH_SLOTS
 * needs none): HELLO's free-space query says "unknown". */
static mm_agent_t agent;
static int32_t replies_fd = -1;
static void agent_output(void *ctx, const uint8_t *b, size_t n) { (void)ctx, mm_sh_write(replies_fd, b, (uint32_t)n); }
static int no_space(void *ctx, uint64_t *total, uint64_t *used) {
    (void)ctx, *total = *used = 0;
    return 0;
}
static uint8_t frames[512];

static void agent_session(void) {
    static const mm_agent_fs_t fs = {.df = no_space};
    mm_agent_config_t cfg = {.fs = &fs, .chip = "qemu", .output = agent_output};
    int32_t in = mm_sh_open("frames", MM_SH_READ);
    int32_t n = in < 0 ? -1 : mm_sh_read(in, frames, sizeof frames);
    replies_fd = mm_sh_open("replies", MM_SH_WRITE);
    if (n <= 0 || replies_fd < 0) {
        puts_("agent: no frames file\n");
        fw_exit(2);
    }
    mm_sh_close(in);
    mm_agent_init(&agent, &cfg);
    mm_agent_set_flash_info(&agent, mm_agent_flash_info, &ld);
    mm_agent_feed(&agent, frames, (size_t)n, 0);
    mm_sh_close(replies_fd);
    puts_("agent: fed "), putdec((uint32_t)n), puts_(" bytes\n");
}

/* ---- the scenario -------------------------------------------------------------------- */
static char scenario[2048];

static uint32_t parse_dec(const char *s) {
    uint32_t v = 0;
    while (*s >= '0' && *s <= '9') v = v * 10 + (uint32_t)(*s++ - '0');
    return v;
}

static void run_line(char *line) {
    char *word[3] = {line, 0, 0};
    for (int w = 1; w < 3; w++) {
        char *p = word[w - 1];
        while (*p && *p != ' ') p++;
        if (!*p) break;
        *p = 0, word[w] = p + 1;
    }
    const char *cmd = word[0], *lib = word[1] ? word[1] : "";
    entry_fn fn = entry_of(lib);
    if (str_eq(cmd, "load")) {
        load(lib);
    } else if (str_eq(cmd, "unload")) {
        puts_("unload "), puts_(lib), puts_(": "), puts_(mm_errname(mm_unload(&ld, lib))), puts_("\n");
    } else if (str_eq(cmd, "call") && fn && word[2]) {
        uint32_t n = parse_dec(word[2]);
        uint32_t r = fn(n);
        puts_(lib), puts_("("), putdec(n), puts_(") = "), puthex(r), puts_("\n");
    } else if (str_eq(cmd, "agent")) {
        agent_session();
    } else if (str_eq(cmd, "stale") && fn) {
        puts_("calling "), puts_(lib), puts_(" at "), puthex((uint32_t)(uintptr_t)fn), puts_(" unloaded\n");
        fn(0);
        puts_("stale call returned\n");
    } else {
        puts_("bad scenario line: "), puts_(line), puts_("\n");
        fw_exit(2);
    }
}

int main(void) {
    if (fw_platform_init) fw_platform_init();
    card = mm_storage_semihost();
    mm_storage_t counting = {&counting_ops, 0};
    puts_("init: "), puts_(mm_errname(mm_loader_init(&ld, &counting, "mm", 0, 0))), puts_("\n");
    mm_err_t e =
        mm_flash_semihost_init(&sh, "mmlib.bin", (uintptr_t)fw_flash_window_start, (uintptr_t)fw_flash_window_end);
    puts_("flash: "), puts_(mm_errname(e)), puts_(" window "), puthex((uint32_t)(uintptr_t)fw_flash_window_start);
    puts_("-"), puthex((uint32_t)(uintptr_t)fw_flash_window_end), puts_("\n");
    puts_("attach: "), puts_(mm_errname(mm_loader_attach_flash(&ld, &sh.flash))), puts_("\n");

    int32_t fd = mm_sh_open("scenario", MM_SH_READ);
    int32_t n = fd < 0 ? -1 : mm_sh_read(fd, scenario, sizeof scenario - 1);
    if (n < 0) {
        puts_("no scenario file\n");
        return 2;
    }
    scenario[n] = 0;
    for (char *p = scenario, *line = scenario;; p++) {
        if (*p == '\n' || !*p) {
            int end = !*p;
            *p = 0;
            if (*line) run_line(line);
            if (end) break;
            line = p + 1;
        }
    }
    puts_("done\n");
    return 0;
}
