// Flash-slot load costs (docs/design.md §6a): a 256 KB library in an IRAM slot against the
// same size in a flash slot, for the first load, an unchanged reload and a switch between
// two libraries of one slot. Measured, per emulator, from ONE run of the QEMU firmware
// (test/device/qemu-flash/e2e.c on qemu-system-xtensa and qemu-system-riscv32, built
// through esp32mm fragment and split): the firmware prints, per load, the bytes the loader read from the card (a
// counting wrapper around the semihosting storage) and the counters of the flash test back
// end (firmware/src/mm_flash_semihost.c: sectors erased, programs and bytes programmed on
// the partition file, MMU pages mapped and unmapped in the RAM window that stands for the
// cache mapping). Counts, not times: the emulator's timing says nothing about a board.
// Run: npm run bench:flash
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FLASH_ARCHES,
  type FlashArch,
  buildFlashFirmware,
  erasedPartition,
  generateLibrary,
  parseLoad,
  runFlashFirmware,
  type LoadCost,
} from '../test/helpers/flashFirmware';
import { readelfSections } from '../test/helpers/tools';

// ≈ 256 KB of code at 24 steps a function (the sizes are measured and printed)
const FUNCTIONS: Record<FlashArch['name'], number> = { xtensa: 462, riscv: 545 };

// flash slot "model": BigModel, Small; IRAM slot "ram": RamModel, RamOther; all four the same size
for (const arch of FLASH_ARCHES) {
  const n = FUNCTIONS[arch.name];
  const libs = [
    generateLibrary('BigModel', 'big_entry', n, 101),
    generateLibrary('Small', 'small_entry', n, 102),
    generateLibrary('RamModel', 'ram_entry', n, 103),
    generateLibrary('RamOther', 'ram_other_entry', n, 104),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'esp32mm-bench-flash-'));
  try {
    const fw = buildFlashFirmware(arch, join(dir, 'build'), libs);
    const full = readelfSections(fw.elf.replace(/\.elf$/, '.full.elf'));
    const size = (lib: string) => full.find((s) => s.name === `.mm.${lib}.text`)!.size;
    const cwd = join(dir, 'run');
    mkdirSync(cwd);
    cpSync(fw.mm, join(cwd, 'mm'), { recursive: true });
    writeFileSync(join(cwd, 'mmlib.bin'), erasedPartition());

    // the scenario: [label, slot kind] for each load line, in order
    const steps: [string, string | undefined][] = [
      ['load RamModel', 'iram first load'],
      ['unload RamModel', undefined],
      ['load RamModel', 'iram unchanged reload'],
      ['load RamOther', undefined],
      ['load RamModel', 'iram switch'],
      ['load BigModel', 'flash first load'],
      ['unload BigModel', undefined],
      ['load BigModel', 'flash unchanged reload'],
      ['load Small', undefined],
      ['load BigModel', 'flash switch'],
    ];
    const scenario = steps.flatMap(([cmd]) => [cmd, ...(cmd.startsWith('load ') ? [`call ${cmd.slice(5)} 1`] : [])]);
    const r = runFlashFirmware(arch, fw, cwd, scenario);
    if (r.status !== 0 || !r.lines.includes('done')) throw new Error(`the firmware did not finish (exit ${r.status}):\n${r.out}`);
    for (const lib of libs) {
      const want = `${lib.name}(1) = 0x${lib.predict(1).toString(16).padStart(8, '0')}`;
      if (!r.lines.includes(want)) throw new Error(`wrong result: expected "${want}" in\n${r.out}`);
    }
    const loadLines = r.lines.filter((l) => l.startsWith('load ')).map(parseLoad);
    const labels = steps.filter(([c]) => c.startsWith('load ')).map(([, label]) => label);
    const cost = new Map<string, LoadCost>();
    labels.forEach((label, i) => {
      if (label) cost.set(label, loadLines[i]);
    });
    for (const c of loadLines) if (c.result !== 'OK') throw new Error(`a load failed:\n${r.out}`);

    console.log(`\nFlash-slot load costs, one run of the QEMU firmware (${arch.qemu}, ${arch.chip} link, semihost flash back end)`);
    console.log(`library code: ${libs.map((l) => `${l.name} ${size(l.name)} B`).join(', ')}; MMU entries = pages mapped + unmapped\n`);
    const head = ['load', 'slot', 'card bytes', 'x IRAM', 'sectors erased', 'bytes programmed', 'MMU entries'];
    const rows = [head];
    for (const kind of ['first load', 'unchanged reload', 'switch']) {
      const base = cost.get(`iram ${kind}`)!;
      for (const slot of ['iram', 'flash']) {
        const c = cost.get(`${slot} ${kind}`)!;
        rows.push([
          kind,
          slot,
          String(c.card),
          (c.card / base.card).toFixed(2),
          String(c.erases),
          String(c.programmed),
          String(c.mapped + c.unmapped),
        ]);
      }
    }
    const widths = head.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    for (const row of rows) console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
