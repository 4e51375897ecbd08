#pragma once
#include "Print.h"

// Arduino's Stream: a Print that can also be read (what the Memory Manager's agent reads
// its frames from).
class Stream : public Print {
  public:
    virtual int available() = 0;
    virtual int read() = 0; // -1 when nothing is there
    size_t readBytes(uint8_t *buf, size_t n);
};
