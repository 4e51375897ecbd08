// Builds test/fixtures/esp32-ld/boot (see its README) with a real cross compiler: framework
// components as `esp-idf/<name>/lib<name>.a`, project libraries as PlatformIO's
// `lib<hash>/lib<name>.a`, app_main as a loose object, then links it the way ESP-IDF does
// (entry call_start_cpu0 required with -u, --gc-sections) with the esp32mm fragment first.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateLinkConfig } from '../../../src/core/link/config';
import { generateFragment } from '../../../src/core/link/fragment';
import { REPO, run, runOk } from '../../helpers/tools';

export const BOOT_DIR = join(REPO, 'test/fixtures/esp32-ld/boot');
export const FRAMEWORK = ['esp_system', 'pthread', 'esp_ipc', 'spi_flash', 'esp_ringbuf'];
export const PROJECT_LIBS = ['asio', 'unused', 'esp-tls', 'clean'];
/** Made dynamic: every shape at once (esp_system and spi_flash stay resident). */
export const DYNAMIC = ['pthread', 'esp_ipc', 'esp_ringbuf', ...PROJECT_LIBS];

export interface Toolchain {
  prefix: string;
  cflags: string[];
  /** Folder with memory.ld + sections.ld. */
  scripts: string;
  chip: string;
}

export const XTENSA: Toolchain = {
  prefix: 'xtensa-lx106-elf-',
  cflags: ['-mlongcalls', '-ffunction-sections', '-fdata-sections', '-Os'],
  scripts: join(REPO, 'test/fixtures/esp32-ld'),
  chip: 'esp32',
};

export const RISCV: Toolchain = {
  prefix: 'riscv64-unknown-elf-',
  cflags: ['-misa-spec=2.2', '-march=rv32imac', '-mabi=ilp32', '-msmall-data-limit=8', '-ffunction-sections', '-fdata-sections', '-Os'],
  scripts: join(REPO, 'test/fixtures/esp32-ld/riscv'),
  chip: 'esp32c3',
};

export interface BootBuild {
  main: string;
  archives: string[];
}

export function compileBoot(tc: Toolchain, work: string): BootBuild {
  const archives = [...FRAMEWORK, ...PROJECT_LIBS].map((lib, i) => {
    const dir = FRAMEWORK.includes(lib) ? join(work, 'esp-idf', lib) : join(work, `lib${(0xb10 + i).toString(16)}`, lib);
    mkdirSync(dir, { recursive: true });
    const objects = readdirSync(join(BOOT_DIR, lib)).map((src) => compile(tc, join(BOOT_DIR, lib, src), join(dir, `${src}.o`)));
    const archive = join(FRAMEWORK.includes(lib) ? dir : join(dir, '..'), `lib${lib}.a`);
    runOk(`${tc.prefix}ar`, ['rcs', archive, ...objects]);
    return archive;
  });
  return { main: compile(tc, join(BOOT_DIR, 'src/main.c'), join(work, 'main.c.o')), archives };
}

function compile(tc: Toolchain, src: string, out: string): string {
  runOk(`${tc.prefix}gcc`, [...tc.cflags, '-c', src, '-o', out]);
  return out;
}

export function writeBootFragment(tc: Toolchain, work: string, name = 'esp32mm.ld', edit: (text: string) => string = (t) => t): string {
  const path = join(work, name);
  writeFileSync(path, edit(generateFragment(validateLinkConfig({ chip: tc.chip, libs: DYNAMIC }))));
  return path;
}

export interface Linked {
  elf: string;
  map: string;
}

export function linkBoot(tc: Toolchain, work: string, name: string, fragment: string, built: BootBuild, extra: string[] = []): Linked {
  const elf = join(work, `${name}.elf`);
  const map = join(work, `${name}.map`);
  const args = [
    ...tc.cflags,
    '-nostdlib',
    '-Wl,--gc-sections',
    '-Wl,-u,call_start_cpu0',
    `-Wl,-Map=${map}`,
    `-L${tc.scripts}`,
    '-T',
    fragment,
    '-T',
    'memory.ld',
    '-T',
    'sections.ld',
    ...extra,
    built.main,
    ...built.archives,
    '-o',
    elf,
  ];
  const r = run(`${tc.prefix}gcc`, args, { cwd: work });
  if (r.status !== 0) throw new Error(`link ${name} failed:\n${r.stderr}`);
  return { elf, map };
}
