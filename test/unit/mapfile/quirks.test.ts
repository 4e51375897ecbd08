// What real ESP-IDF maps (GCC 8 to 14, Windows and Linux) write that a plain GNU ld map does
// not, each in a small map of our own making (test/fixtures/mapfiles/quirks/), with the exact
// records the parser must read from it. The real maps these quirks come from are checked in
// corpus.test.ts when the corpus is present; these tests need nothing outside the repository.
import { describe, expect, it } from 'vitest';
import {
  MapFileError,
  baseName,
  parseMapFile,
  splitArchiveMember,
  type MapFile,
  type MapInput,
  type MapOutputSection,
} from '../../../src/core/mapfile/parse';
import { text } from '../memmap/fixtures';

const quirk = (name: string) => text(`test/fixtures/mapfiles/quirks/${name}.map`);

const input = (name: string, address: number, size: number, file: string, line: number): MapInput => ({
  kind: 'input',
  name,
  address,
  size,
  file,
  line,
});
const fill = (address: number, size: number, line: number): MapInput => ({
  kind: 'fill',
  name: '*fill*',
  address,
  size,
  file: undefined,
  line,
});
const data = (name: string, address: number, size: number, line: number): MapInput => ({ kind: 'data', name, address, size, line });
const section = (name: string, address: number, size: number, line: number, inputs: MapInput[] = []): MapOutputSection => ({
  name,
  address,
  size,
  loadAddress: undefined,
  line,
  inputs,
});

function failure(run: () => unknown): MapFileError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(MapFileError);
    return e as MapFileError;
  }
  throw new Error('expected a MapFileError');
}

describe('64-bit numbers (GCC ≤ 12 writes 32-bit values in 16 digits)', () => {
  const source = quirk('sixty-four-bit-numbers');
  const map = parseMapFile(source);
  const main = '.pio/build/esp32dev/src/main.c.o';
  const log = '.pio/build/esp32dev/esp-idf/log/liblog.a(log.c.o)';

  it('reads the memory configuration, the all-ones *default* length as the 32-bit address space', () => {
    expect(map.memory).toEqual([
      { name: 'iram0_0_seg', origin: 0x40080000, length: 0x20000, attributes: 'xr' },
      { name: 'dram0_0_seg', origin: 0x3ffb0000, length: 0x2c200, attributes: 'rw' },
      { name: 'drom0_0_seg', origin: 0x3f400020, length: 0x3fffe0, attributes: 'r' },
      { name: '*default*', origin: 0, length: 0x1_0000_0000, attributes: '' },
    ]);
  });

  it('reads the discarded list with its zero addresses', () => {
    expect(map.discarded).toEqual([
      input('.text', 0, 0, main, 8),
      input('.literal.unused_helper', 0, 4, main, 9),
      input('.text.unused_helper', 0, 9, main, 11),
      input('.debug_info', 0, 0x1a4, main, 13),
    ]);
  });

  it('reads every record of the memory map', () => {
    expect(map.sections).toEqual([
      section('.iram0.vectors', 0x40080000, 0x100, 32, [
        input('.WindowVectors.text', 0x40080000, 0xfc, '.pio/build/esp32dev/esp-idf/freertos/libfreertos.a(xtensa_vectors.S.o)', 35),
        fill(0x400800fc, 4, 37),
      ]),
      section('.iram0.text', 0x40080100, 0x40, 39, [
        input('.iram1.0', 0x40080100, 0x2e, log, 41),
        fill(0x4008012e, 2, 43),
        input('.literal.esp_log_level', 0x40080130, 0x10, log, 44),
      ]),
      section('.dram0.data', 0x3ffb0000, 0x10, 47, [
        input('.data.counter', 0x3ffb0000, 4, main, 49),
        data('LONG', 0x3ffb0004, 4, 51),
        input('.data', 0x3ffb0008, 8, log, 52),
      ]),
      section('.flash.rodata', 0x3f400020, 0x18, 54, [input('.rodata.main.str1.1', 0x3f400020, 0x15, main, 56), fill(0x3f400035, 3, 58)]),
    ]);
    expect(map.archiveMembers).toEqual([
      { archive: '.pio/build/esp32dev/esp-idf/log/liblog.a', member: 'log.c.o', referencedBy: main, symbol: 'esp_log_write', line: 3 },
    ]);
  });

  it('reads the 16-digit records and symbols on the fast path', () => {
    // Only blank lines, column-0 lines, `*(…)` patterns and the data statement need the careful path.
    const lines = source.split('\n').slice(source.split('\n').indexOf('Linker script and memory map') + 1, -1);
    const careful = lines.filter((l) => l === '' || /^\S/.test(l) || l.startsWith(' *(') || / LONG /.test(l));
    expect(careful).toHaveLength(19);
    expect(map.carefulLines).toBe(careful.length);
  });

  it('reads the same records as the same map written with 8 digits', () => {
    const narrow = parseMapFile(source.replace(/0x00000000([0-9a-f]{8})\b/g, '0x$1'));
    expect(narrow.sections).toEqual(map.sections);
    expect(narrow.carefulLines).toBe(map.carefulLines);
  });

  it('takes a symbol value past 2^53 (an assignment of -1) on both paths, as it does not use it', () => {
    expect(source).toContain('0xffffffffffffffff                _trace_none');
    const { carefulLines: _careful, ...records } = parseMapFile(source, undefined, { careful: true });
    const { carefulLines: _fast, ...expected } = map;
    expect(records).toEqual(expected);
  });

  it('refuses a record address or size past 2^53 with an error naming the line, on both paths', () => {
    const hugeSize = source.replace('0x0000000040080000       0xfc', '0x0000000040080000 0x0100000000000000');
    const hugeAddress = source.replace('0x0000000040080100       0x2e', '0xffffffff40080100       0x2e');
    for (const careful of [false, true]) {
      const size = failure(() => parseMapFile(hugeSize, undefined, { careful }));
      expect(size.line).toBe(36);
      expect(size.message).toMatch(/^map file line 36: size of \.WindowVectors\.text 0x0100000000000000 is too large/);
      const address = failure(() => parseMapFile(hugeAddress, undefined, { careful }));
      expect(address.line).toBe(41);
      expect(address.message).toMatch(/^map file line 41: address of \.iram1\.0 0xffffffff40080100 is too large/);
    }
  });
});

describe('long output-section names wrapped: address and size on the next line', () => {
  const map = parseMapFile(quirk('wrapped-output-section-names'));
  const main = '.pio/build/esp32s3/src/main.c.o';

  it('reads each wrapped header with the records under it', () => {
    expect(map.sections).toEqual([
      section('.iram0.text', 0x40374000, 0x1a, 13, [input('.iram1.1', 0x40374000, 0x1a, main, 14)]),
      section('.iram0.text_end', 0x4037401a, 2, 16, [fill(0x4037401a, 2, 19)]),
      section('.dram0_reserved_for_iram', 0x3fc88000, 0x401c, 22, [fill(0x3fc88000, 0x401c, 25)]),
      section('.dram0.data', 0x3fc8c020, 8, 27, [input('.data.led_state', 0x3fc8c020, 8, main, 28)]),
      section('.flash.appdesc', 0x3c000020, 0x100, 31, [
        input('.rodata_desc', 0x3c000020, 0x100, '.pio/build/esp32s3/esp-idf/esp_app_format/libesp_app_format.a(esp_app_desc.c.o)', 32),
      ]),
      section('.flash_rodata_dummy', 0x3c000120, 0x10000, 34, [fill(0x3c000120, 0x5ee0, 37), fill(0x3c006000, 0xa120, 39)]),
      section('.flash.rodata', 0x3c010120, 0x30, 41, [input('.rodata.blink.str1.4', 0x3c010120, 0x30, main, 42)]),
      section('.flash.rodata_noload', 0x3c010150, 0, 45),
      section('.dram0.heap_start', 0x3fc8c028, 0, 50),
      // `.debug` has no address (nothing went into it): no section, and its pattern line is skipped.
      section('.debug_aranges', 0, 0x20, 58, [input('.debug_aranges', 0, 0x20, main, 60)]),
    ]);
  });
});

describe('Windows paths (PlatformIO on Windows) and CRLF line ends', () => {
  const source = quirk('windows-paths-crlf');
  const map = parseMapFile(source);
  const pio = '.pio\\build\\esp32dev';
  const freertos = `${pio}\\esp-idf\\freertos\\libfreertos.a`;
  const xtHal = 'C:/Users/dev/.platformio/packages/framework-espidf/components/xtensa/esp32\\libxt_hal.a';
  const noRtti =
    'c:/users/dev/.platformio/packages/toolchain-xtensa-esp32/bin/../lib/gcc/xtensa-esp32-elf/8.4.0/../../../../xtensa-esp32-elf/lib/no-rtti';
  const wifi = 'C:\\Users\\Dev User\\.platformio\\packages\\framework-espidf\\components\\esp_wifi\\lib\\esp32\\libnet80211.a';

  it('is a CRLF file', () => {
    expect(source.split('\n').every((l) => l === '' || l.endsWith('\r'))).toBe(true);
  });

  it('reads archive members with backslash, drive-letter, mixed-separator and spaced paths', () => {
    expect(map.archiveMembers).toEqual([
      { archive: freertos, member: 'port.c.o', referencedBy: `${pio}\\src\\main.c.o`, symbol: 'vTaskDelay', line: 3 },
      { archive: xtHal, member: 'windowspill_asm.o', referencedBy: `${freertos}(port.c.o)`, symbol: 'xthal_window_spill', line: 5 },
      { archive: `${noRtti}\\libc.a`, member: 'lib_a-memcpy.o', referencedBy: `${pio}\\src\\main.c.o`, symbol: 'memcpy', line: 7 },
      { archive: wifi, member: 'ieee80211.o', referencedBy: `${pio}\\src\\main.c.o`, symbol: 'esp_wifi_init', line: 9 },
    ]);
  });

  it('reads every record with its file as written, without the CR', () => {
    expect(map.sections).toEqual([
      section('.iram0.text', 0x40080000, 0x60, 31, [
        input('.text.vPortYield', 0x40080000, 0x22, `${freertos}(port.c.o)`, 33),
        fill(0x40080022, 2, 36),
        input('.text', 0x40080024, 0x2c, `${xtHal}(windowspill_asm.o)`, 37),
        input('.text', 0x40080050, 0x10, `${noRtti}\\libc.a(lib_a-memcpy.o)`, 39),
      ]),
      section('.dram0.data', 0x3ffb0000, 0x18, 41, [
        input('.data.s_mode', 0x3ffb0000, 8, `${wifi}(ieee80211.o)`, 42),
        input('.data.blink_ms', 0x3ffb0008, 4, `${pio}\\src\\main.c.o`, 43),
        fill(0x3ffb000c, 4, 45),
        input('.data', 0x3ffb0010, 8, `${noRtti}/crt0.o`, 46),
      ]),
      section('.flash.text', 0x400d0020, 0x40, 48, [input('.text.app_main', 0x400d0020, 0x40, `${pio}\\src\\main.c.o`, 49)]),
    ]);
    expect(map.memory.map((m) => m.attributes)).toEqual(['xr', 'rw', 'xr', '']);
  });

  it('gives each record the archive base name, whichever separator comes last', () => {
    const libraries = map.sections.flatMap((s) => s.inputs.filter((i) => i.file).map((i) => baseName(splitArchiveMember(i.file!).path)));
    expect(libraries).toEqual(['libfreertos.a', 'libxt_hal.a', 'libc.a', 'libnet80211.a', 'main.c.o', 'crt0.o', 'main.c.o']);
  });

  it('reads the same records from the file with LF line ends', () => {
    expect(parseMapFile(source.replace(/\r\n/g, '\n'))).toEqual(map);
  });
});

describe('what pulled each archive member in', () => {
  const map = parseMapFile(quirk('archive-member-references'));

  it('reads `(symbol)` alone as a symbol no file referenced (-u symbol, EXTERN)', () => {
    expect(map.archiveMembers.slice(0, 2)).toEqual([
      { archive: 'esp-idf/app_update/libapp_update.a', member: 'esp_app_desc.c.obj', referencedBy: '', symbol: 'esp_app_desc', line: 3 },
      { archive: 'esp-idf/cxx/libcxx.a', member: 'cxx_guards.cpp.obj', referencedBy: '', symbol: '__cxa_guard_dummy', line: 5 },
    ]);
  });

  it('reads `file (symbol)` on the same line or the next, the file an object or an archive member', () => {
    expect(map.archiveMembers.slice(2, 4)).toEqual([
      { archive: 'lib/libled.a', member: 'led.o', referencedBy: 'main/main.c.obj', symbol: 'led_on', line: 7 },
      {
        archive: 'esp-idf/driver/libdriver.a',
        member: 'gpio.c.obj',
        referencedBy: 'lib/libled.a(led.o)',
        symbol: 'gpio_set_level',
        line: 8,
      },
    ]);
  });

  it('keeps the blanks and parentheses of a demangled C++ name or a path in their part', () => {
    expect(map.archiveMembers.slice(4)).toEqual([
      {
        archive: 'esp-idf/cxx/libstdcxx.a',
        member: 'functional.cpp.obj',
        referencedBy: 'main/events.cpp.obj',
        symbol: 'Events::on(int, std::function<void (int)>)',
        line: 10,
      },
      {
        archive: 'C:\\Program Files (x86)\\esp\\lib\\libm.a',
        member: 'lib_a-s_sin.o',
        referencedBy: 'C:\\Program Files (x86)\\esp\\proj\\main.o',
        symbol: 'sin',
        line: 12,
      },
    ]);
  });
});

describe('the common-symbols table (GCC 8 builds)', () => {
  const map = parseMapFile(quirk('common-symbols'));

  it('adds no records or members; the COMMON records come from the memory map', () => {
    expect(map.archiveMembers.map((a) => a.member)).toEqual(['heap_caps_init.o']);
    expect(map.discarded).toEqual([input('.text', 0, 0, '.pio/build/esp32dev/src/main.o', 15)]);
    expect(map.sections).toEqual([
      section('.dram0.bss', 0x3ffb0100, 0x48, 27, [
        input('COMMON', 0x3ffb0100, 0x40, '.pio/build/esp32dev/src/main.o', 29),
        input('COMMON', 0x3ffb0140, 4, '.pio/build/esp32dev/esp-idf/heap/libheap.a(heap_caps_init.o)', 31),
        fill(0x3ffb0144, 4, 33),
      ]),
    ]);
  });
});

describe('the cross-reference table (ld --cref) after OUTPUT(...)', () => {
  const source = quirk('cross-reference-table');
  const map: MapFile = parseMapFile(source);

  it('ends the map: its rows are not read as sections or records', () => {
    expect(map.sections).toEqual([
      section('.iram0.text', 0x40380000, 0x30, 11, [
        input('.text.blink_task', 0x40380000, 0x30, 'esp-idf/main/libmain.a(blink.c.obj)', 12),
      ]),
    ]);
    expect(map.lines).toBe(source.split('\n').indexOf('Cross Reference Table'));
  });
});
