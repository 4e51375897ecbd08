#include "HardwareSerial.h"
#include "esp32-hal.h"

HardwareSerial Serial(CONFIG_ESP_CONSOLE_UART_NUM);

void HardwareSerial::begin(unsigned long baud) { uart_hw_init(uart_, static_cast<uint32_t>(baud)); }

size_t HardwareSerial::write(uint8_t c) {
    uart_hw_write(uart_, &c, 1);
    return 1;
}

size_t HardwareSerial::write(const uint8_t *buf, size_t n) {
    uart_hw_write(uart_, buf, n);
    return n;
}

int HardwareSerial::available() { return static_cast<int>(uart_hw_rx_count(uart_)); }

int HardwareSerial::read() { return uart_hw_rx_count(uart_) ? uart_hw_read(uart_) : -1; }
