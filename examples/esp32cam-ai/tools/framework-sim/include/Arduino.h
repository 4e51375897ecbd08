/* Arduino.h for the framework simulation (see ../README.md). */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "esp32-hal.h"
#ifdef __cplusplus
#include "HardwareSerial.h"
void setup(void);
void loop(void);
#endif
