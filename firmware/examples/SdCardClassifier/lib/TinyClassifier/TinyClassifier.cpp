#include "TinyClassifier.h"

namespace {
// rodata + data: loaded from TinyClassifier_d
const int16_t kWeights[3][4] = {{3, -1, 0, 2}, {-2, 4, 1, 0}, {0, 0, 5, -3}};
const char *const kLabels[3] = {"idle", "walking", "running"};
int calls; // bss: zeroed at load

// A global with a constructor: runs when the library is loaded, not at boot.
struct Bias {
    int value[3];
    Bias() : value{1, 0, -1} {}
};
Bias bias;

int score(int cls, const int16_t f[4]) {
    int s = bias.value[cls];
    for (int i = 0; i < 4; i++) s += kWeights[cls][i] * f[i];
    return s;
}
} // namespace

extern "C" int tiny_classify(const int16_t features[4]) {
    calls++;
    int best = 0;
    for (int c = 1; c < 3; c++)
        if (score(c, features) > score(best, features)) best = c;
    return best;
}

Classifier::Classifier(int threshold) : threshold_(threshold) {}
Classifier::~Classifier() {}
int Classifier::classify(const int16_t features[4]) const {
    int c = tiny_classify(features);
    return score(c, features) >= threshold_ ? c : 0;
}
const char *Classifier::label(int cls) const { return cls >= 0 && cls < 3 ? kLabels[cls] : "?"; }
