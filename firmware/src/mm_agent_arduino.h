/* Arduino glue of the file-transfer agent (docs/protocol.md): serves one folder of an
 * fs::FS (SD, SD_MMC, SPIFFS, LittleFS) over a Stream (usually Serial).
 *
 *   #include <SD.h>
 *   #include <mm_agent_arduino.h>
 *   MMAgent mmAgent(SD, "/mm");
 *   void setup() {
 *     Serial.setRxBufferSize(10 * 1024);   // >= window + one frame, before begin()
 *     Serial.begin(921600);
 *     SD.begin();
 *     mmAgent.setSpace([] { return SD.totalBytes(); }, [] { return SD.usedBytes(); });
 *     mmAgent.begin("esp32", "sd");
 *   }
 *   void loop() { mmAgent.poll(); ... }   // Serial.print() logs keep working
 */
#ifndef MM_AGENT_ARDUINO_H
#define MM_AGENT_ARDUINO_H
#if defined(ARDUINO)
#include <Arduino.h>
#include <FS.h>
#include "mm_agent.h"

class MMAgent {
  public:
    typedef uint64_t (*SpaceFn)();
    typedef void (*ConsoleFn)(const uint8_t *bytes, size_t n);

    MMAgent(fs::FS &fs, const char *root = "/mm", Stream &port = Serial);
    /* window: bytes of unacknowledged data the host may send; must fit the RX buffer. */
    void begin(const char *chip = "esp32", const char *filesystems = "sd", uint32_t window = 8192);
    /* Reads what arrived on the port and answers; call from loop(). Never blocks long. */
    void poll();
    /* Total/used bytes of the filesystem (e.g. SD.totalBytes); without them df reports 0. */
    void setSpace(SpaceFn total, SpaceFn used) {
        total_ = total;
        used_ = used;
    }
    /* Bytes typed into the serial console (not agent frames) while the agent is dormant. */
    void onConsoleInput(ConsoleFn fn) { console_ = fn; }
    /* While busy (e.g. the loader reads the files) uploads and removes answer BUSY. */
    void setBusy(bool busy) { mm_agent_set_busy(&agent_, busy ? 1 : 0); }
    /* A host is connected (from its HELLO to its BYE or the idle timeout). When a session
   * ends, files may be new: unload the libraries so the next call loads them again. */
    bool sessionActive() const { return agent_.active != 0; }
    /* Lets `esp32mm flash-slots` see the flash slots' write counts; with the loader's
   * provider (mm_agent_flash.h): setFlashInfo(mm_agent_flash_info, mm.loader()). Before
   * or after begin(). Without it the agent reports no flash slots. */
    void setFlashInfo(mm_agent_flash_info_fn fn, void *ctx) {
        flash_info_ = fn;
        flash_ctx_ = ctx;
        mm_agent_set_flash_info(&agent_, fn, ctx);
    }

    /* used by the C callbacks */
    fs::FS &fs() { return *fs_; }
    fs::File files[2]; /* the upload + one reader: no heap use per file */
    SpaceFn total_ = nullptr, used_ = nullptr;
    ConsoleFn console_ = nullptr;
    Stream *port_;

  private:
    fs::FS *fs_;
    const char *root_;
    mm_agent_fs_t ops_;
    mm_agent_t agent_;
    mm_agent_flash_info_fn flash_info_ = nullptr;
    void *flash_ctx_ = nullptr;
};
#endif
#endif
