// ESP-IDF's `sdkconfig` (PlatformIO: `sdkconfig.<env>` beside platformio.ini): Kconfig
// lines `CONFIG_NAME=value`, `CONFIG_NAME="text"`, and `# CONFIG_NAME is not set`.

export type Sdkconfig = Map<string, string>;

export function parseSdkconfig(text: string): Sdkconfig {
  const out: Sdkconfig = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    const value = m[2].length >= 2 && m[2].startsWith('"') && m[2].endsWith('"') ? m[2].slice(1, -1) : m[2];
    out.set(m[1], value);
  }
  return out;
}

/** `CONFIG_IDF_TARGET` (`esp32`, `esp32c3`, …), the chip the build was configured for. */
export function sdkconfigTarget(config: Sdkconfig): string | undefined {
  return config.get('CONFIG_IDF_TARGET') || undefined;
}

/** Whether the build enables external PSRAM (`CONFIG_SPIRAM`; ESP-IDF 4.x on ESP32: `CONFIG_ESP32_SPIRAM_SUPPORT`). */
export function sdkconfigUsesPsram(config: Sdkconfig): boolean {
  return config.get('CONFIG_SPIRAM') === 'y' || config.get('CONFIG_ESP32_SPIRAM_SUPPORT') === 'y';
}
