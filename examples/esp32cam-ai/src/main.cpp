// ESP32-CAM image classifier with the ESP32 Memory Manager.
//
// TinyClassifier (~30 KB of weights) and ImageFilters are not in the firmware image: the
// build links them at a fixed address in the slot "ai" and cuts them out into
// sd/mm/<Lib>_e and <Lib>_d. At run time the MM_LAZY wrappers load a library from the SD
// card on its first call; both share the slot, so each call to the other one swaps it in.
#include <Arduino.h>
#include <SD.h>
#include <MemoryManager.h>
#include <ImageFilters.h>
#include <TinyClassifier.h>

MM_SLOT(ai)
MM_LIBRARY(TinyClassifier, ai)
MM_LIBRARY(ImageFilters, ai)

// mm_lazy_if_extract_features() / mm_lazy_tiny_classify(): load the library if needed, then call;
// the last argument is returned (nothing of the library runs) if it cannot be loaded.
MM_LAZY(ImageFilters, int, if_extract_features, (const uint8_t *f, int w, int h, uint8_t *out), (f, w, h, out), -1)
MM_LAZY(TinyClassifier, int, tiny_classify, (const uint8_t *features), (features), -2)
MM_LAZY(TinyClassifier, const char *, tiny_label, (int cls), (cls), "?")

static const int kWidth = 96, kHeight = 96;
static uint8_t frame[kWidth * kHeight];   // grayscale frame
static uint8_t features[IF_FEATURES];
static int frameNo;

MemoryManager mm(SD, "/mm");

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

void setup() {
    Serial.begin(115200);
    if (!SD.begin()) Serial.println("SD card not found: the AI libraries cannot be loaded");
    if (!mm.begin()) Serial.printf("Memory Manager: %s\n", mm.lastErrorText());
}

void loop() {
    captureFrame();
    int edges = mm_lazy_if_extract_features(frame, kWidth, kHeight, features);   // loads ImageFilters
    if (edges < 0) {
        Serial.printf("ImageFilters: %s %s\n", mm.lastErrorName(), mm.lastErrorFile());
        delay(5000);
        return;
    }
    int cls = mm_lazy_tiny_classify(features);   // evicts ImageFilters, loads TinyClassifier
    if (cls == -2) {
        Serial.printf("TinyClassifier: %s %s\n", mm.lastErrorName(), mm.lastErrorFile());
        delay(5000);
        return;
    }
    Serial.printf("frame %d: edges %d -> %s\n", frameNo, edges, cls < 0 ? "(unsure)" : mm_lazy_tiny_label(cls));
    delay(1000);
}
