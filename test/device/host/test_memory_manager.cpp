// Host run of the C++ API's set-up errors (MemoryManager.cpp over the real loader): a
// folder that does not fit is reported by begin() and every later call, never shortened.
#include <stdio.h>
#include <string.h>
#include "MemoryManager.h"

static int failures;
static void expect_err(const char *what, mm_err_t got, mm_err_t want) {
    if (got == want)
        printf("ok - %s\n", what);
    else
        printf("not ok - %s: got %s, want %s\n", what, mm_errname(got), mm_errname(want)), failures++;
}

int main() {
    MemoryManager fits("/a_folder_of_31_characters_long");
    expect_err("31-character folder accepted", fits.begin() ? MM_OK : fits.lastError(), MM_ERR_NOT_SPLIT);
    MemoryManager too_long("/a_folder_of_32_characters_long_");
    expect_err("32-character folder: begin() fails", too_long.begin() ? MM_OK : too_long.lastError(),
               MM_ERR_DIR_TOO_LONG);
    expect_err("32-character folder: load() fails", too_long.load("Lib") ? MM_OK : too_long.lastError(),
               MM_ERR_DIR_TOO_LONG);
    expect_err("32-character folder: not the default loader",
               mm_default_loader() == too_long.loader() ? MM_ERR_ARGUMENT : MM_OK, MM_OK);
    printf("# %d failed\n", failures);
    return failures ? 1 : 0;
}
