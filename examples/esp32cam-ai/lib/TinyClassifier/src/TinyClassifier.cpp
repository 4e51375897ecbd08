// TinyClassifier: int8 weights in .rodata, computed at compile time (a fixed pseudo-random
// model: the point of the example is where the bytes live, not what the net learned).
// A global with a dynamic constructor (the weight statistics) gives the library a
// constructor-table entry that the Memory Manager runs after loading it.
#include "TinyClassifier.h"

namespace {

template <int N> struct Weights { int8_t v[N]; };

template <int N> constexpr Weights<N> pseudoRandomWeights(uint32_t seed) {
    Weights<N> w{};
    uint32_t s = seed;
    for (int i = 0; i < N; ++i) {
        s = s * 1664525u + 1013904223u; // LCG (Numerical Recipes)
        w.v[i] = static_cast<int8_t>(static_cast<int>((s >> 24) & 0x7f) - 64);
    }
    return w;
}

constexpr Weights<TC_INPUTS *TC_HIDDEN1> kW1 = pseudoRandomWeights<TC_INPUTS * TC_HIDDEN1>(0x5eed0001u);
constexpr Weights<TC_HIDDEN1 *TC_HIDDEN2> kW2 = pseudoRandomWeights<TC_HIDDEN1 * TC_HIDDEN2>(0x5eed0002u);
constexpr Weights<TC_HIDDEN2 *TC_CLASSES> kW3 = pseudoRandomWeights<TC_HIDDEN2 * TC_CLASSES>(0x5eed0003u);

const char *const kLabels[TC_CLASSES] = {"empty", "person", "cat", "parcel"};

// Per-neuron bias that centres each hidden unit: sum of its weights, scaled. Computed at
// start-up (dynamic initialisation -> a .ctors / .init_array entry in this library).
struct Bias {
    int16_t hidden1[TC_HIDDEN1];
    Bias() {
        for (int j = 0; j < TC_HIDDEN1; ++j) {
            int32_t sum = 0;
            for (int i = 0; i < TC_INPUTS; ++i) sum += kW1.v[j * TC_INPUTS + i];
            hidden1[j] = static_cast<int16_t>(-(sum << 3));
        }
    }
};
Bias bias;

int32_t relu(int32_t x) { return x > 0 ? x : 0; }

Classifier defaultClassifier(8);

} // namespace

Classifier::Classifier(int minScore) : minScore_(minScore), lastScore_(0) {}

int Classifier::classify(const uint8_t in[TC_INPUTS]) const {
    int32_t h1[TC_HIDDEN1], h2[TC_HIDDEN2];
    for (int j = 0; j < TC_HIDDEN1; ++j) {
        int32_t acc = bias.hidden1[j];
        for (int i = 0; i < TC_INPUTS; ++i) acc += kW1.v[j * TC_INPUTS + i] * in[i];
        h1[j] = relu(acc) >> 8;
    }
    for (int j = 0; j < TC_HIDDEN2; ++j) {
        int32_t acc = 0;
        for (int i = 0; i < TC_HIDDEN1; ++i) acc += kW2.v[j * TC_HIDDEN1 + i] * h1[i];
        h2[j] = relu(acc) >> 6;
    }
    int best = 0;
    int32_t bestScore = INT32_MIN;
    for (int c = 0; c < TC_CLASSES; ++c) {
        int32_t acc = 0;
        for (int i = 0; i < TC_HIDDEN2; ++i) acc += kW3.v[c * TC_HIDDEN2 + i] * h2[i];
        if (acc > bestScore) {
            bestScore = acc;
            best = c;
        }
    }
    lastScore_ = static_cast<int>(bestScore >> 4);
    return lastScore_ >= minScore_ ? best : -1;
}

const char *Classifier::label(int cls) const { return (cls >= 0 && cls < TC_CLASSES) ? kLabels[cls] : "unknown"; }

extern "C" int tiny_classify(const uint8_t features[TC_INPUTS]) { return defaultClassifier.classify(features); }
extern "C" const char *tiny_label(int cls) { return defaultClassifier.label(cls); }
