// Arduino-ESP32's main.cpp: app_main runs setup() once, then loop() forever.
#include "Arduino.h"

extern "C" void app_main(void) {
    initArduino();
    setup();
    for (;;) loop();
}
