// SD card over SPI. The simulation has the card handshake (driver/spi.c) but no FAT
// driver: files are never found and cannot be written, so the Memory Manager reports "not
// found" and the upload agent an I/O error - this ELF is for the split, the memory map
// and the tests, not for running.
#include "SD.h"
#include "esp32-hal.h"

namespace {
class NoFatImpl : public fs::FSImpl {
  public:
    fs::FileImpl *open(const char *, const char *) override { return nullptr; }
    bool exists(const char *) override { return false; }
    bool remove(const char *) override { return false; }
    bool rename(const char *, const char *) override { return false; }
    bool mkdir(const char *) override { return false; }
    bool rmdir(const char *) override { return false; }
};
NoFatImpl noFat;
} // namespace

fs::SDFS SD(&noFat);

bool fs::SDFS::begin(uint8_t ssPin) {
    ready_ = sdspi_hw_card_init(ssPin) == 0;
    return ready_;
}
