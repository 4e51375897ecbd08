/* The part of ESP-IDF's generated sdkconfig.h this example reads. */
#pragma once
#define CONFIG_IDF_TARGET                 "esp32"
#define CONFIG_IDF_TARGET_ESP32           1
#define CONFIG_ESP32_DEFAULT_CPU_FREQ_MHZ 240
#define CONFIG_ESP_CONSOLE_UART_NUM       0
