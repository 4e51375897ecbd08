#pragma once
#include "Stream.h"

class HardwareSerial : public Stream {
  public:
    explicit HardwareSerial(int uart) : uart_(uart) {}
    void begin(unsigned long baud);
    // Arduino-ESP32 sizes the UART driver's ring buffer; the simulation reads the
    // 128-byte hardware FIFO directly, so it only reports the size asked for.
    size_t setRxBufferSize(size_t n) { return n; }
    int available() override;
    int read() override;
    size_t write(uint8_t c) override;
    size_t write(const uint8_t *buf, size_t n) override;
    using Print::write;

  private:
    int uart_;
};

extern HardwareSerial Serial;
