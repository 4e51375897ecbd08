// operator new/delete over the DRAM heap that starts at _heap_start (ESP-IDF's heap_caps
// in miniature: a bump allocator that gives back the most recent block).
#include <stddef.h>
#include <stdint.h>

extern "C" char _heap_start[];
static const uintptr_t kHeapEnd = 0x3FFE0000u; // end of the ESP32's app DRAM
static uintptr_t heapTop;
static uintptr_t lastBlock;

void *operator new(size_t n) {
    if (!heapTop) heapTop = reinterpret_cast<uintptr_t>(_heap_start);
    uintptr_t block = (heapTop + 7u) & ~static_cast<uintptr_t>(7u);
    if (block + n + 8u > kHeapEnd)
        for (;;) {
        } // out of memory: no exceptions, stop here (Arduino aborts)
    lastBlock = block;
    heapTop = block + n;
    return reinterpret_cast<void *>(block);
}

void operator delete(void *p) noexcept {
    if (p && reinterpret_cast<uintptr_t>(p) == lastBlock) heapTop = lastBlock;
}

void operator delete(void *p, size_t) noexcept { operator delete(p); }
