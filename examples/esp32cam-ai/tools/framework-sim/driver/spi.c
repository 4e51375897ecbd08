/* SD card in SPI mode on the ESP32's SPI2 (HSPI), register level: 80 idle clocks, then
 * CMD0 (GO_IDLE_STATE) until the card answers R1 = 0x01. */
#include <stdint.h>

void gpio_hw_set_direction(int pin, int output);
void gpio_hw_set_level(int pin, int level);

#define SPI2_REG(off) (*(volatile uint32_t *)(0x3FF64000u + (off)))
#define SPI_CMD       0x00
#define SPI_USER      0x1C
#define SPI_MOSI_DLEN 0x28
#define SPI_MISO_DLEN 0x2C
#define SPI_W0        0x80
#define SPI_USR       (1u << 18)

static uint8_t spi_transfer(uint8_t out) {
    SPI2_REG(SPI_MOSI_DLEN) = 7;
    SPI2_REG(SPI_MISO_DLEN) = 7;
    SPI2_REG(SPI_W0) = out;
    SPI2_REG(SPI_CMD) = SPI_USR;
    for (int guard = 0; (SPI2_REG(SPI_CMD) & SPI_USR) && guard < 100000; guard++) {
    }
    return (uint8_t)(SPI2_REG(SPI_W0) & 0xFF);
}

int sdspi_hw_card_init(int ss_pin) {
    static const uint8_t cmd0[6] = {0x40, 0, 0, 0, 0, 0x95};
    gpio_hw_set_direction(ss_pin, 1);
    gpio_hw_set_level(ss_pin, 1);
    SPI2_REG(SPI_USER) = (1u << 27) | (1u << 28);    /* MOSI and MISO phases */
    for (int i = 0; i < 10; i++) spi_transfer(0xFF); /* >= 74 clocks with CS high */
    gpio_hw_set_level(ss_pin, 0);
    for (int i = 0; i < 6; i++) spi_transfer(cmd0[i]);
    for (int tries = 0; tries < 8; tries++) {
        uint8_t r1 = spi_transfer(0xFF);
        if (r1 == 0x01) {
            gpio_hw_set_level(ss_pin, 1);
            return 0;
        }
    }
    gpio_hw_set_level(ss_pin, 1);
    return -1;
}
