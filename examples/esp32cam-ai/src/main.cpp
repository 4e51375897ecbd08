// ESP32-CAM image classifier with the ESP32 Memory Manager.
//
// TinyClassifier (~30 KB of weights) and ImageFilters are not in the firmware image: the
// build links them at a fixed address in the slot "ai" and cuts them out into
// sd/mm/<Lib>_e and <Lib>_d. At run time the mm_lazy_ wrappers load a library from the SD
// card on its first call; both share the slot, so each call to the other one swaps it in.
// "Upload Libraries to SD Card" in VS Code sends new files to the agent (mmAgent) while
// this runs; when the upload ends the libraries are unloaded, so the next call loads them.
//
// mm_libraries.h is written by "Install Build Integration" (esp32mm init) from
// platformio.ini and the libraries' headers: the MM_SLOT/MM_LIBRARY registrations, `mm`,
// `mmAgent` and the mm_lazy_<function> wrappers.
#include <Arduino.h>
#define MM_LIBRARIES_REGISTER
#include "mm_libraries.h"

static const int kWidth = 96, kHeight = 96;
static const unsigned long kFrameMs = 1000, kRetryMs = 5000;
static const int kMinScore = 8;         // below it a frame is "(unsure)"
static uint8_t frame[kWidth * kHeight]; // grayscale frame
static uint8_t features[IF_FEATURES];
static int frameNo;
static unsigned long nextFrameAt;
static bool uploading;
// A Classifier made by TinyClassifier's own constructor, in memory of the firmware (no
// heap): it exists only while TinyClassifier is loaded (its code and vtable are there).
alignas(Classifier) static uint8_t classifierStorage[sizeof(Classifier)];
static Classifier *classifier;

// Stand-in for esp_camera_fb_get(): a gradient with a bright square that moves.
static void captureFrame() {
    int sx = (frameNo * 7) & 63, sy = (frameNo * 3) & 63;
    for (int y = 0; y < kHeight; y++)
        for (int x = 0; x < kWidth; x++) {
            bool square = x >= sx && x < sx + 24 && y >= sy && y < sy + 24;
            frame[y * kWidth + x] = square ? 230 : static_cast<uint8_t>((x + y) & 0x7f);
        }
    frameNo++;
}

// Objects of a library's classes go before the library does.
static void dropClassifier() {
    if (classifier) classifier->~Classifier();
    classifier = nullptr;
}

// After an upload the files on the card may be new: the next call loads them.
static void unloadLibraries() {
    dropClassifier();
    mm.unload("TinyClassifier");
    mm.unload("ImageFilters");
}

// One frame: ImageFilters, then TinyClassifier (evicting ImageFilters). The delay until
// the next frame; loop() keeps serving the agent meanwhile.
static unsigned long classifyFrame() {
    captureFrame();
    dropClassifier(); // ImageFilters evicts TinyClassifier
    int edges = mm_lazy_if_extract_features(frame, kWidth, kHeight, features);
    if (edges < 0) {
        Serial.printf("ImageFilters: %s %s: %s\n", mm.lastErrorName(), mm.lastErrorFile(), mm.lastErrorText());
        return kRetryMs;
    }
    // The factory loads TinyClassifier if needed, then runs its constructor in our storage
    // (mm.create<Classifier>(…) does the same on the heap).
    classifier = mm.construct<Classifier>("TinyClassifier", classifierStorage, kMinScore);
    if (!classifier) {
        Serial.printf("TinyClassifier: %s %s: %s\n", mm.lastErrorName(), mm.lastErrorFile(), mm.lastErrorText());
        return kRetryMs;
    }
    int cls = classifier->classify(features);
    Serial.printf("frame %d: edges %d -> %s (score %d)\n", frameNo, edges,
                  cls < 0 ? "(unsure)" : classifier->label(cls), classifier->lastScore());
    return kFrameMs;
}

void setup() {
    Serial.setRxBufferSize(10 * 1024); // the agent's window + one frame, before begin()
    Serial.begin(115200);              // monitor_speed: the upload uses it too
    if (!SD.begin()) Serial.println("SD card not found: the AI libraries cannot be loaded");
    if (!mm.begin()) Serial.printf("Memory Manager: %s\n", mm.lastErrorText());
    mmAgent.begin("esp32", "sd");
}

void loop() {
    mmAgent.poll();
    bool session = mmAgent.sessionActive();
    if (uploading && !session) unloadLibraries();
    uploading = session;
    if (uploading || static_cast<long>(millis() - nextFrameAt) < 0) return;
    nextFrameAt = millis() + classifyFrame();
}
