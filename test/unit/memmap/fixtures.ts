// Every linked firmware the memory-map tests run on, with the chip each one must be seen as.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Fixture {
  name: string;
  elf: string;
  map: string;
  chip: string;
  arch: 'xtensa' | 'riscv';
  /**
   * The chip the tests must name (`chip` option), for builds whose layout tells no single
   * chip: the RISC-V QEMU virt fixture has no ESP32 addresses at all, and a C6 layout is an H2
   * layout too; our fixtures' maps name no chip in their paths. Detection refuses to guess.
   */
  chipOption?: string;
}

const root = resolve(__dirname, '../../..');
const fw = (arch: 'xtensa' | 'riscv', stem: string, chip: string, chipOption?: string): Fixture => ({
  name: `${arch}/${stem}`,
  elf: `test/fixtures/firmware/out/${arch}/${stem}.elf`,
  map: `test/fixtures/firmware/out/${arch}/${stem}.map`,
  chip,
  arch,
  chipOption,
});
const chip = (id: string, arch: 'xtensa' | 'riscv', chipOption?: string): Fixture => ({
  name: `mapfiles/${id}`,
  elf: `test/fixtures/mapfiles/out/${id}/fw.elf`,
  map: `test/fixtures/mapfiles/out/${id}/fw.map`,
  chip: id,
  arch,
  chipOption,
});

export const FIXTURES: Fixture[] = [
  // The QEMU fixtures: ESP32 addresses (lx106) and a RISC-V virt layout (no ESP32 windows:
  // analysed as a C3 because the tests say so; sections outside the table shown through their regions).
  fw('xtensa', 'fw', 'esp32'),
  fw('xtensa', 'fw_nomm', 'esp32'),
  fw('riscv', 'fw', 'esp32c3', 'esp32c3'),
  fw('riscv', 'fw_nomm', 'esp32c3', 'esp32c3'),
  chip('esp32', 'xtensa'),
  chip('esp32s2', 'xtensa'),
  chip('esp32s3', 'xtensa'),
  chip('esp32c3', 'riscv'),
  chip('esp32c6', 'riscv', 'esp32c6'),
  // The example PlatformIO project (ESP32-CAM + an AI library), built by its own script.
  {
    name: 'example/esp32cam-ai',
    elf: 'examples/esp32cam-ai/.pio/build/esp32cam/firmware.elf',
    map: 'examples/esp32cam-ai/.pio/build/esp32cam/firmware.map',
    chip: 'esp32',
    arch: 'xtensa',
  },
];

export const bytes = (path: string) => new Uint8Array(readFileSync(resolve(root, path)));
export const text = (path: string) => readFileSync(resolve(root, path), 'utf8');
export const abs = (path: string) => resolve(root, path);
