/* The agent's flash-info provider over mm_flash_image_info (mm_agent_flash.h). */
#include "mm_agent_flash.h"
#include "mm_flash.h"

static void copy_name(char *to, const char *from) {
    uint32_t n = 0;
    for (; n < MM_AGENT_MAX_LIBRARY_NAME && from[n]; n++) to[n] = from[n];
    to[n] = 0; /* loader names are shorter (MM_NAME_MAX) */
}

int mm_agent_flash_info(void *loader, uint32_t i, mm_agent_flash_image_t *out) {
    /* The image index is the library's rank among the flash-slot libraries by offset, so
   * the i-th image is the library whose info says index i. At most 15: a linear search. */
    for (const mm_library_t *l = mm_first_library(); l; l = l->next) {
        if (!l->slot || !l->slot->flash) continue;
        mm_flash_image_info_t info;
        mm_err_t e = mm_flash_image_info((mm_loader_t *)loader, l->name, &info);
        if (e == MM_ERR_FLASH_NONE) return 0;
        if (e != MM_OK) return -MM_AGENT_IO;
        if (info.index != i) continue;
        out->index = info.index;
        out->offset = info.offset;
        out->size = info.length;
        out->writes = info.writes;
        out->limit = info.write_limit;
        out->flags = (uint8_t)((info.valid ? MM_AGENT_FLASH_VALID : 0u) | (info.mapped ? MM_AGENT_FLASH_MAPPED : 0u) |
                               (info.current ? MM_AGENT_FLASH_CURRENT : 0u));
        copy_name(out->name, l->name);
        return 1;
    }
    return 0;
}
