#pragma once
#include "Print.h"

class HardwareSerial : public Print {
public:
    explicit HardwareSerial(int uart) : uart_(uart) {}
    void begin(unsigned long baud);
    size_t write(uint8_t c) override;
    size_t write(const uint8_t *buf, size_t n) override;
    using Print::write;

private:
    int uart_;
};

extern HardwareSerial Serial;
