/* The agent's flash-info provider over the loader's flash slots: the glue between the
 * agent's FLASH_SLOTS request (mm_agent.h) and mm_flash_image_info (mm_flash.h), so that
 * neither depends on the other. An application with flash slots registers it:
 *
 *   mm_agent_set_flash_info(&agent, mm_agent_flash_info, &loader);
 */
#ifndef MM_AGENT_FLASH_H
#define MM_AGENT_FLASH_H
#include "mm_agent.h"
#ifdef __cplusplus
extern "C" {
#endif

/* The i-th image (in header-sector order) of the flash-slot libraries registered with the
 * loader `loader` (an mm_loader_t *): 1 and *out filled, 0 when there is no such image (or
 * no partition is attached), -MM_AGENT_IO when the partition cannot be read. */
int mm_agent_flash_info(void *loader, uint32_t i, mm_agent_flash_image_t *out);

#ifdef __cplusplus
}
#endif
#endif
