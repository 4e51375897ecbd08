/* UART0..2 of the ESP32, register level (ESP32 TRM, chapter UART). */
#include <stddef.h>
#include <stdint.h>

#define UART_BASE(n)        ((n) == 0 ? 0x3FF40000u : (n) == 1 ? 0x3FF50000u : 0x3FF6E000u)
#define UART_FIFO(n)        (*(volatile uint32_t *)(UART_BASE(n) + 0x00))
#define UART_CLKDIV(n)      (*(volatile uint32_t *)(UART_BASE(n) + 0x14))
#define UART_STATUS(n)      (*(volatile uint32_t *)(UART_BASE(n) + 0x1C))
#define UART_CONF0(n)       (*(volatile uint32_t *)(UART_BASE(n) + 0x20))
#define UART_TXFIFO_CNT(st) (((st) >> 16) & 0xFF)
#define UART_RXFIFO_CNT(st) ((st)&0xFF)
#define UART_APB_HZ         80000000u

/* APB / baud as 20.4 fixed point, by shift-and-subtract */
static uint32_t clkdiv_for(uint32_t baud) {
    uint32_t num = UART_APB_HZ << 4, q = 0, rem = 0;
    for (int b = 31; b >= 0; b--) {
        rem = (rem << 1) | ((num >> b) & 1u);
        if (rem >= baud) {
            rem -= baud;
            q |= 1u << b;
        }
    }
    return ((q >> 4) & 0xFFFFFu) | ((q & 0xFu) << 20);
}

void uart_hw_init(int uart, uint32_t baud) {
    UART_CLKDIV(uart) = clkdiv_for(baud);
    UART_CONF0(uart) = (3u << 2) /* 8 data bits */ | (1u << 4) /* 1 stop bit */;
}

void uart_hw_write(int uart, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < len; i++) {
        while (UART_TXFIFO_CNT(UART_STATUS(uart)) >= 126) {
        }
        UART_FIFO(uart) = data[i];
    }
}

size_t uart_hw_rx_count(int uart) { return UART_RXFIFO_CNT(UART_STATUS(uart)); }

uint8_t uart_hw_read(int uart) { return (uint8_t)UART_FIFO(uart); }
