#pragma once
#include <stdint.h>
#include <stddef.h>
#include "sdkconfig.h"
#ifdef __cplusplus
extern "C" {
#endif
unsigned long millis(void);
unsigned long micros(void);
void delay(uint32_t ms);
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
int digitalRead(uint8_t pin);
void initArduino(void);
/* driver/ */
void uart_hw_init(int uart, uint32_t baud);
void uart_hw_write(int uart, const uint8_t *data, size_t len);
size_t uart_hw_rx_count(int uart);
uint8_t uart_hw_read(int uart);
void gpio_hw_set_direction(int pin, int output);
void gpio_hw_set_level(int pin, int level);
int gpio_hw_get_level(int pin);
int sdspi_hw_card_init(int ss_pin);
#ifdef __cplusplus
}
#endif
#define LOW    0
#define HIGH   1
#define INPUT  0x01
#define OUTPUT 0x03
