/* The firmware's build id. All zeros as compiled; `esp32mm split` writes the SHA-256 build
 * id (docs/format.md) into these 32 bytes of the stripped ELF before firmware.bin is made.
 * `volatile` stops the compiler from folding reads to the zeros it sees here; `used`
 * keeps the symbol even if nothing referenced it (the splitter looks it up by name). */
#include "mm_loader.h"

__attribute__((used)) const volatile uint8_t mm_build_id[MM_BUILD_ID_LEN] = {0};
