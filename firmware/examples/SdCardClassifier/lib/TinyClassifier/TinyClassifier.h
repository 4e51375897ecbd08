// A small "AI" library that is loaded from the SD card at run time.
#pragma once
#include <stdint.h>

// C entry point: label of the strongest of three classes for 4 sensor values.
extern "C" int tiny_classify(const int16_t features[4]);

// C++ API: objects of this class are created with mm.create<Classifier>("TinyClassifier").
class Classifier {
  public:
    explicit Classifier(int threshold);
    virtual ~Classifier();
    virtual int classify(const int16_t features[4]) const;
    virtual const char *label(int cls) const;

  private:
    int threshold_;
};
