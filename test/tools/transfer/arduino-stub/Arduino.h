// Hand-written declarations mirroring the subset of the Arduino-ESP32 core API that
// mm_agent_arduino.cpp uses: the glue is compiled (syntax and types) here, not linked or run.
#pragma once
#include <stdint.h>
#include <stddef.h>
unsigned long millis();
class Stream {
  public:
    int available();
    size_t readBytes(uint8_t *b, size_t n);
    size_t write(const uint8_t *b, size_t n);
};
extern Stream Serial;
