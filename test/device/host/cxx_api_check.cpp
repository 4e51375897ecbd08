// Compile-only check of the C++ API on the host (g++ -fsyntax-only): the templates are
// instantiated so a typo in them shows up here, not first on a user's board.
#include "MemoryManager.h"

struct Thing {
    explicit Thing(int v) : v_(v) {}
    int v_;
};

MM_SLOT(demo)
MM_LIBRARY(Demo, demo)
MM_LIBRARY_OWN_SLOT(Other)
extern "C" int demo_fn(int);
MM_LAZY(Demo, int, demo_fn, (int a), (a), -1)

int use_api() {
    MemoryManager posix("/sdcard/mm");
    MemoryManager mm(mm_storage_posix(), "/mm");
    if (!mm.begin() || !posix.verify("Demo")) return mm.lastError();
    Thing *a = mm.create<Thing>("Demo", 1);
    alignas(Thing) static unsigned char buf[sizeof(Thing)];
    Thing *b = mm.construct<Thing>("Demo", buf, 2);
    int r = (a ? a->v_ : 0) + (b ? b->v_ : 0) + mm_lazy_demo_fn(3);
    delete a;
    mm.unload("Demo");
    return r + (mm.isLoaded("Other") ? 1 : 0) + (int)mm.lastErrorText()[0] + (int)mm.lastErrorFile()[0];
}
