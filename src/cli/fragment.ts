import { readFileSync } from 'node:fs';
import { writeFilesAtomically } from '../core/util/atomic';
import { splitList } from '../core/conventions';
import { LinkConfigError, validateLinkConfig } from '../core/link/config';
import { parseAddress } from '../core/platformio/build-config';
import { generateFragment } from '../core/link/fragment';
import { checkLinkMap } from '../core/link/mapcheck';
import { decodeMapFile } from '../core/mapfile/parse';
import { type Command, UsageError } from './command';

export const fragmentCommand: Command = {
  name: 'fragment',
  summary: 'print the linker fragment that links libraries at fixed addresses; check a map',
  usage: `Usage: esp32mm fragment --chip <id> --libs A,B,C [--slot <name>:A,B]… [options]
       esp32mm fragment --check-map <firmware.map> [--elf <firmware.elf>] [--libs A,B,C] [--strict]

The first form prints the supplementary linker script (pass it with -T before the
framework's memory.ld/sections.ld). Each library gets .mm.<lib>.text/.data/.bss; libraries
of one slot share an address (OVERLAY). Libraries not named in a --slot get their own slot.

The second form reads the map of a finished link and warns about a library whose code or
data is not in its .mm sections (the link used no fragment naming it, an earlier rule
matched first, loose object files, --gc-sections dropped it) and about IRAM_ATTR, DRAM_ATTR,
RTC and other parts that stay resident. Errors: ESP-IDF's own rules place the archive in
internal RAM (the map echoes them), or a framework component's constructor moved into the
library's table. With --elf it also audits every resident word that points into a slot
(relocations when linked with -Wl,--emit-relocs, else a word scan): boot code, the
firmware's constructor tables, vectors and IRAM code are errors; application calls and
pointer tables are listed as notes (errors with --strict unless through an MM_LAZY
wrapper). Without --libs (or with --libs ''), it only checks that the map is a complete
GNU ld map. Exit code 1 on errors, or with --strict on warnings; else 0.

Library names may contain '-' (ESP-IDF's esp-tls): sections, symbols and the split's
files use the name with each '-' written as '_' (.mm.esp_tls.text, _mm_esp_tls_text_start,
esp_tls_e); two names that become the same are refused.

Options:
  --chip <id>              esp32, esp32s2, esp32s3, esp32c3, esp32c6          [required]
  --libs A,B               the dynamic libraries (lib/ folder names)          [required]
  --slot <name>:A,B        libraries sharing one address range (repeatable)
  --code iram|psram        where code runs (psram: ESP32-S3 only)             [iram]
  --data dram|psram        where data lives                                   [dram]
  --ctors init_array|ctors constructor table the toolchain emits [Xtensa chips: ctors, RISC-V: init_array]
  --psram-code-addr <hex>  execution address of PSRAM code (with --code psram)
  -o, --output <file>      write the fragment to a file instead of stdout
  --check-map <file>       check a map file instead of printing a fragment (--libs optional)
  --elf <file>             with --check-map: the linked ELF, to audit references into slots
  --strict                 with --check-map: exit 1 if there are warnings; application
                           calls into a slot not through an MM_LAZY wrapper are errors
  -h, --help               show this help`,
  options: {
    chip: { type: 'string' },
    libs: { type: 'string' },
    slot: { type: 'string', multiple: true },
    code: { type: 'string' },
    data: { type: 'string' },
    ctors: { type: 'string' },
    'psram-code-addr': { type: 'string' },
    output: { type: 'string', short: 'o' },
    'check-map': { type: 'string' },
    elf: { type: 'string' },
    strict: { type: 'boolean' },
  },
  async run(positionals, values) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${this.usage}`);
    const libs = typeof values.libs === 'string' ? splitList(values.libs) : [];
    if (typeof values.elf === 'string' && typeof values['check-map'] !== 'string') throw new UsageError(`--elf goes with --check-map <firmware.map>\n\n${this.usage}`);
    if (typeof values['check-map'] === 'string') return checkMap(values['check-map'], libs, values.strict === true, values.elf as string | undefined);
    if (typeof values.libs !== 'string') throw new UsageError(`--libs A,B is required\n\n${this.usage}`);
    if (typeof values.chip !== 'string') throw new UsageError(`--chip <id> is required\n\n${this.usage}`);
    const addr = values['psram-code-addr'];
    let config;
    try {
      config = validateLinkConfig({
        chip: values.chip,
        libs,
        slots: (values.slot as string[] | undefined) ?? [],
        code: values.code as string | undefined,
        data: values.data as string | undefined,
        ctors: values.ctors as string | undefined,
        psramCodeAddress: typeof addr === 'string' ? psramCodeAddress(addr) : undefined,
      });
    } catch (e) {
      if (e instanceof LinkConfigError) throw new UsageError(e.message);
      throw e;
    }
    const text = generateFragment(config);
    if (typeof values.output === 'string') await writeFilesAtomically([{ path: values.output, data: text }]);
    else process.stdout.write(text);
    return 0;
  },
};

function psramCodeAddress(text: string): number {
  const n = parseAddress(text);
  if (n === undefined) throw new UsageError(`--psram-code-addr ${text}: expected an address such as 0x42800000`);
  return n;
}

function checkMap(mapPath: string, libs: string[], strict: boolean, elfPath?: string): number {
  const text = readInput(mapPath, 'map file', 'link with -Wl,-Map=<file> (the build hook adds it)', (b) => decodeMapFile(b));
  const elf = elfPath === undefined ? undefined : readInput(elfPath, 'ELF', 'give the firmware.elf this map was written with', (b) => new Uint8Array(b));
  if (libs.length) checkLibraryNames(libs);
  // A map that is not a complete GNU ld map is an error (MapFileError names the line).
  const warnings = checkLinkMap(text, libs, { elf, strict });
  if (!libs.length) {
    console.log(`${mapPath}: a complete link map; no dynamic libraries named (--libs), nothing else to check`);
    return 0;
  }
  for (const w of warnings) console.error(`${w.severity}: ${w.message}`);
  const errors = warnings.filter((w) => w.severity === 'error').length;
  const problems = warnings.filter((w) => w.severity !== 'note').length;
  if (!problems) console.log(`all ${libs.length} libraries are in their .mm sections (${libs.join(', ')})${elf ? '; no resident code that runs without a load refers into their slots' : ''}`);
  if (errors) console.error(`${errors} error${errors > 1 ? 's' : ''}: this firmware would fail at boot or run ESP-IDF code from an empty slot`);
  return errors || (strict && problems) ? 1 : 0;
}

function readInput<T>(path: string, what: string, hint: string, decode: (bytes: Buffer) => T): T {
  try {
    return decode(readFileSync(path));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new Error(`cannot read the ${what} ${path} (${why}): ${hint}`);
  }
}

/** The names the fragment accepts (hyphens allowed, identifiers distinct), refused the same way. */
function checkLibraryNames(libs: string[]): void {
  try {
    validateLinkConfig({ chip: 'esp32', libs });
  } catch (e) {
    if (e instanceof LinkConfigError) throw new UsageError(e.message);
    throw e;
  }
}
