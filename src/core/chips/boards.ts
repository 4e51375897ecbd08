// PlatformIO board ids → chip. The table lists common boards; ids that name the chip
// themselves (`esp32-s3-…`, `…esp32c3…`) are recognised by pattern, and a `board_build.mcu`
// value (`esp32s3`) is accepted as well.
import { parseChipId, type ChipId } from './chips';

export const BOARD_CHIPS: Record<string, ChipId> = {
  // ESP32
  esp32dev: 'esp32',
  esp32cam: 'esp32',
  'esp-wrover-kit': 'esp32',
  'nodemcu-32s': 'esp32',
  lolin32: 'esp32',
  lolin_d32: 'esp32',
  lolin_d32_pro: 'esp32',
  wemos_d1_mini32: 'esp32',
  'ttgo-t1': 'esp32',
  'ttgo-lora32-v1': 'esp32',
  'ttgo-t-beam': 'esp32',
  heltec_wifi_kit_32: 'esp32',
  heltec_wifi_lora_32_V2: 'esp32',
  'm5stack-core-esp32': 'esp32',
  'm5stack-fire': 'esp32',
  'm5stack-atom': 'esp32',
  'm5stick-c': 'esp32',
  featheresp32: 'esp32',
  'esp32-evb': 'esp32',
  'esp32-poe': 'esp32',
  'az-delivery-devkit-v4': 'esp32',
  upesy_wroom: 'esp32',
  pico32: 'esp32',
  // ESP32-S2
  'esp32-s2-saola-1': 'esp32s2',
  'esp32-s2-kaluga-1': 'esp32s2',
  lolin_s2_mini: 'esp32s2',
  lolin_s2_pico: 'esp32s2',
  adafruit_feather_esp32s2: 'esp32s2',
  adafruit_magtag29_esp32s2: 'esp32s2',
  // ESP32-S3
  'esp32-s3-devkitc-1': 'esp32s3',
  'esp32-s3-devkitm-1': 'esp32s3',
  esp32s3box: 'esp32s3',
  seeed_xiao_esp32s3: 'esp32s3',
  adafruit_feather_esp32s3: 'esp32s3',
  um_tinys3: 'esp32s3',
  'm5stack-cores3': 'esp32s3',
  lolin_s3: 'esp32s3',
  freenove_esp32_s3_wroom: 'esp32s3',
  // ESP32-C3
  'esp32-c3-devkitm-1': 'esp32c3',
  'esp32-c3-devkitc-02': 'esp32c3',
  lolin_c3_mini: 'esp32c3',
  seeed_xiao_esp32c3: 'esp32c3',
  adafruit_qtpy_esp32c3: 'esp32c3',
  airm2m_core_esp32c3: 'esp32c3',
  // ESP32-C6
  'esp32-c6-devkitc-1': 'esp32c6',
  'esp32-c6-devkitm-1': 'esp32c6',
  seeed_xiao_esp32c6: 'esp32c6',
  // ESP32-C2 and ESP32-H2
  'esp32-c2-devkitm-1': 'esp32c2',
  'esp32-h2-devkitm-1': 'esp32h2',
};

const BOARD_PATTERNS: [RegExp, ChipId][] = [
  [/esp32[-_]?s2/i, 'esp32s2'],
  [/esp32[-_]?s3/i, 'esp32s3'],
  [/esp32[-_]?c3/i, 'esp32c3'],
  [/esp32[-_]?c6/i, 'esp32c6'],
  [/esp32[-_]?c2/i, 'esp32c2'],
  [/esp32[-_]?h2/i, 'esp32h2'],
];

/** The chip of a PlatformIO board id (or mcu name), or undefined when unknown. */
export function chipOfBoard(board: string): ChipId | undefined {
  const id = board.trim();
  if (BOARD_CHIPS[id]) return BOARD_CHIPS[id];
  const exact = Object.keys(BOARD_CHIPS).find((k) => k.toLowerCase() === id.toLowerCase());
  if (exact) return BOARD_CHIPS[exact];
  const pattern = BOARD_PATTERNS.find(([re]) => re.test(id));
  if (pattern) return pattern[1];
  return parseChipId(id);
}
