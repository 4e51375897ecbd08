// TinyClassifier: a small fully-connected network (256 -> 96 -> 32 -> 4, int8 weights)
// that labels a 16x16 feature map from ImageFilters. A dynamic library (slot "ai"): its
// code and ~30 KB of weights are loaded from the SD card when first called.
#pragma once
#include <stdint.h>

#define TC_INPUTS  256
#define TC_HIDDEN1 96
#define TC_HIDDEN2 32
#define TC_CLASSES 4

class Classifier {
  public:
    explicit Classifier(int minScore = 0);
    // Index of the best class, or -1 if its score is below minScore.
    virtual int classify(const uint8_t features[TC_INPUTS]) const;
    virtual const char *label(int cls) const;
    int lastScore() const { return lastScore_; }

  protected:
    int minScore_;
    mutable int lastScore_;
};

extern "C" {
// The plain-C entry points main.cpp wraps with MM_LAZY.
int tiny_classify(const uint8_t features[TC_INPUTS]);
const char *tiny_label(int cls);
}
