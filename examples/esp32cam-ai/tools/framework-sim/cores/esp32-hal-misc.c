/* Time from the Xtensa cycle counter (CCOUNT), pins through the GPIO driver. */
#include "esp32-hal.h"

static uint32_t last_ccount, high_ticks_us;
static uint32_t ccount_fraction;

static uint32_t read_ccount(void) {
    uint32_t c;
    __asm__ volatile("rsr %0, ccount" : "=a"(c));
    return c;
}

/* microseconds since boot: accumulate whole microseconds from cycle deltas, by
 * subtraction (lx106 libgcc has no division) */
unsigned long micros(void) {
    uint32_t now = read_ccount();
    ccount_fraction += now - last_ccount;
    last_ccount = now;
    while (ccount_fraction >= CONFIG_ESP32_DEFAULT_CPU_FREQ_MHZ) {
        ccount_fraction -= CONFIG_ESP32_DEFAULT_CPU_FREQ_MHZ;
        high_ticks_us++;
    }
    return high_ticks_us;
}

unsigned long millis(void) { return micros() >> 10; /* ~ms; Arduino uses esp_timer */ }

void delay(uint32_t ms) {
    unsigned long start = micros();
    while (micros() - start < (unsigned long)ms * 1000u) {
    }
}

void pinMode(uint8_t pin, uint8_t mode) { gpio_hw_set_direction(pin, mode == OUTPUT); }
void digitalWrite(uint8_t pin, uint8_t val) { gpio_hw_set_level(pin, val); }
int digitalRead(uint8_t pin) { return gpio_hw_get_level(pin); }

void initArduino(void) { last_ccount = read_ccount(); }
