// ESP32 Memory Manager example: TinyClassifier is not in the firmware image; it is
// loaded from /mm on the SD card the first time it is needed.
#include <Arduino.h>
#include <SD.h>
#include <MemoryManager.h>
#include <TinyClassifier.h>

// One line per dynamic library: its slot (here its own) and linker symbols.
MM_LIBRARY_OWN_SLOT(TinyClassifier)
// mm_lazy_tiny_classify(): loads TinyClassifier on first call, then calls tiny_classify();
// returns -1 (without calling into the library) if the files are missing or damaged.
MM_LAZY(TinyClassifier, int, tiny_classify, (const int16_t f[4]), (f), -1)

MemoryManager mm(SD, "/mm");

void setup() {
    Serial.begin(115200);
    if (!SD.begin()) {
        Serial.println("SD card not found");
        return;
    }
    if (!mm.begin()) {
        // The firmware was not split (esp32mm split writes the build id into it).
        Serial.printf("Memory Manager: %s\n", mm.lastErrorText());
        return;
    }

    const int16_t sample[4] = {2, 7, 1, 0};
    int cls = mm_lazy_tiny_classify(sample);
    if (cls < 0) {
        // e.g. "BUILD_ID TinyClassifier_e: file was built for another firmware ..."
        Serial.printf("cannot load TinyClassifier: %s %s: %s\n", mm.lastErrorName(), mm.lastErrorFile(),
                      mm.lastErrorText());
        return;
    }
    Serial.printf("class %d\n", cls);

    // Objects of the library's classes: created after load, destroyed before unload.
    Classifier *c = mm.create<Classifier>("TinyClassifier", 10);
    if (c) {
        Serial.printf("label: %s\n", c->label(c->classify(sample)));
        delete c;
    }
    mm.unload("TinyClassifier");  // frees the IRAM/DRAM slot for another library
}

void loop() {}
