// ESP32 Memory Manager example: TinyClassifier is not in the firmware image; it is
// loaded from /mm on the SD card the first time it is needed. "Upload Libraries to SD
// Card" in VS Code sends new files to the agent (mmAgent) while this runs; the next
// classification after the upload loads them.
//
// mm_libraries.h is written by "Install Build Integration" (esp32mm init) from
// platformio.ini and TinyClassifier.h: the library's registration, `mm`, `mmAgent` and
// mm_lazy_tiny_classify(), which loads TinyClassifier on its first call and returns -1
// (without calling into the library) if the files are missing or damaged.
#include <Arduino.h>
#define MM_LIBRARIES_REGISTER
#include "mm_libraries.h"

static const int16_t kSample[4] = {2, 7, 1, 0};
static const unsigned long kEveryMs = 10000;
static unsigned long nextAt;
static bool uploading;

static void classify() {
    int cls = mm_lazy_tiny_classify(kSample);
    if (cls < 0) {
        // e.g. "BUILD_ID TinyClassifier_e: file was built for another firmware ..."
        Serial.printf("cannot load TinyClassifier: %s %s: %s\n", mm.lastErrorName(), mm.lastErrorFile(),
                      mm.lastErrorText());
        return;
    }
    Serial.printf("class %d\n", cls);

    // Objects of the library's classes: made by its constructor after the load (the factory
    // loads it if needed), destroyed before the unload. construct() uses our storage;
    // mm.create<Classifier>(…) the heap.
    alignas(Classifier) static uint8_t storage[sizeof(Classifier)];
    Classifier *c = mm.construct<Classifier>("TinyClassifier", storage, 10);
    if (c) {
        Serial.printf("label: %s\n", c->label(c->classify(kSample)));
        c->~Classifier();
    }
    mm.unload("TinyClassifier"); // frees the IRAM/DRAM slot for another library
}

void setup() {
    Serial.setRxBufferSize(10 * 1024); // the agent's window + one frame, before begin()
    Serial.begin(115200);
    if (!SD.begin()) Serial.println("SD card not found");
    // False until the firmware was split (esp32mm split writes the build id into it).
    if (!mm.begin()) Serial.printf("Memory Manager: %s\n", mm.lastErrorText());
    mmAgent.begin("esp32", "sd");
}

void loop() {
    mmAgent.poll();
    bool session = mmAgent.sessionActive();
    if (uploading && !session) nextAt = millis(); // new files: classify with them now
    uploading = session;
    if (uploading || static_cast<long>(millis() - nextAt) < 0) return;
    classify();
    nextAt = millis() + kEveryMs;
}
