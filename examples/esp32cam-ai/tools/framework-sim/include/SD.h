#pragma once
#include "FS.h"

namespace fs {
class SDFS : public FS {
  public:
    explicit SDFS(FSImpl *impl) : FS(impl) {}
    // The ESP32-CAM wires the card to the SDMMC pins; in 1-bit SPI mode CS is GPIO 13.
    bool begin(uint8_t ssPin = 13);
    bool cardPresent() const { return ready_; }

  private:
    bool ready_ = false;
};
} // namespace fs

extern fs::SDFS SD;
