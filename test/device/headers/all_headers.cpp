// One C++ translation unit that includes every public header of the device library (the
// Arduino ones against declaration stubs of the Arduino core), as an Arduino sketch that
// loads libraries, makes objects with a factory and runs the upload agent does.
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
#include "MemoryManager.h"
#if defined(ARDUINO)
#include "mm_agent_arduino.h"
#endif

extern "C" int load(int a);
extern "C" int require(const char *what);
MM_LAZY(Demo, int, load, (int a), (a), -1)
MM_LAZY(Demo, int, require, (const char *what), (what), -1)

struct Widget {
    explicit Widget(int v) : v_(v) {}
    int v_;
};

int all_headers_cpp(MemoryManager &mm) {
    if (!mm.begin()) return mm.lastError();
    alignas(Widget) static unsigned char buf[sizeof(Widget)];
    Widget *w = mm.construct<Widget>("Demo", buf, 2);
    int status = mm.load("Demo") ? MM_AGENT_OK : MM_AGENT_REFUSED;
    return (w ? w->v_ : 0) + status + mm_lazy_load(1) + mm_lazy_require("x") + (mm.lastError() == MM_OK);
}

#if defined(ARDUINO)
int all_headers_arduino(MMAgent &agent) {
    agent.setFlashInfo(mm_agent_flash_info, nullptr);
    agent.poll();
    return MM_AGENT_OK;
}
#endif
