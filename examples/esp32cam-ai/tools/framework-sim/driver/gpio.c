/* ESP32 GPIO matrix, register level: output enable, set/clear, input. */
#include <stdint.h>

#define GPIO_REG(off)     (*(volatile uint32_t *)(0x3FF44000u + (off)))
#define GPIO_OUT_W1TS     0x08
#define GPIO_OUT_W1TC     0x0C
#define GPIO_OUT1_W1TS    0x14
#define GPIO_OUT1_W1TC    0x18
#define GPIO_ENABLE_W1TS  0x24
#define GPIO_ENABLE_W1TC  0x28
#define GPIO_ENABLE1_W1TS 0x30
#define GPIO_ENABLE1_W1TC 0x34
#define GPIO_IN           0x3C
#define GPIO_IN1          0x40

void gpio_hw_set_direction(int pin, int output) {
    if (pin < 32)
        GPIO_REG(output ? GPIO_ENABLE_W1TS : GPIO_ENABLE_W1TC) = 1u << pin;
    else
        GPIO_REG(output ? GPIO_ENABLE1_W1TS : GPIO_ENABLE1_W1TC) = 1u << (pin - 32);
}

void gpio_hw_set_level(int pin, int level) {
    if (pin < 32)
        GPIO_REG(level ? GPIO_OUT_W1TS : GPIO_OUT_W1TC) = 1u << pin;
    else
        GPIO_REG(level ? GPIO_OUT1_W1TS : GPIO_OUT1_W1TC) = 1u << (pin - 32);
}

int gpio_hw_get_level(int pin) {
    return pin < 32 ? (int)((GPIO_REG(GPIO_IN) >> pin) & 1u) : (int)((GPIO_REG(GPIO_IN1) >> (pin - 32)) & 1u);
}
