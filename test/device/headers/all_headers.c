/* One C translation unit that includes every public header of the device library, as a
 * sketch that loads libraries and accepts uploads does. Library functions named like our
 * own API (load, verify, require, unload) get MM_LAZY wrappers: they must not collide. */
#include "mm_common.h"
#include "mm_format.h"
#include "mm_storage.h"
#include "mm_crc32.h"
#include "mm_loader.h"
#include "mm_port.h"
#include "mm_agent.h"
#include "mm_flash.h"
#include "mm_agent_flash.h"
#include "mm_mmu_chip.h"

int load(int a);
int verify(int a);
int require(const char *what);
void unload(void);
MM_LAZY(Demo, int, load, (int a), (a), -1)
MM_LAZY(Demo, int, verify, (int a), (a), -1)
MM_LAZY(Demo, int, require, (const char *what), (what), -1)
MM_LAZY_VOID(Demo, unload, (void), ())

int all_headers_c(mm_loader_t *ld, mm_agent_t *agent);
int all_headers_c(mm_loader_t *ld, mm_agent_t *agent) {
    mm_err_t e = mm_load(ld, "Demo");
    int status = e == MM_OK ? MM_AGENT_OK : MM_AGENT_IO;
    mm_agent_set_busy(agent, status != MM_AGENT_OK);
    mm_agent_set_flash_info(agent, mm_agent_flash_info, ld);
    mm_flash_image_info_t info;
    if (mm_flash_image_info(ld, "Demo", &info) == MM_OK) status += (int)info.writes;
    mm_lazy_unload();
    return mm_lazy_load(1) + mm_lazy_verify(2) + mm_lazy_require("x") + (int)mm_build_id[0] + (int)mm_crc32(0, "", 0) +
           MM_BUILD_ID_LEN;
}
