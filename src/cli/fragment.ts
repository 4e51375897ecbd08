import { readFileSync } from 'node:fs';
import { writeFilesAtomically } from '../core/util/atomic';
import { splitList } from '../core/conventions';
import { LinkConfigError, validateLinkConfig } from '../core/link/config';
import { parseAddress } from '../core/platformio/build-config';
import { generateFragment } from '../core/link/fragment';
import { checkLinkMap } from '../core/link/mapcheck';
import { CHIP_IDS, parseChipId } from '../core/chips/chips';
import { type Partition, largestAppPartition, parsePartitionFile } from '../core/platformio/partitions';
import { decodeMapFile } from '../core/mapfile/parse';
import { type Command, InputError, UsageError } from './command';

export const fragmentCommand: Command = {
  name: 'fragment',
  summary: 'print the linker fragment that links libraries at fixed addresses; check a map',
  usage: `Usage: esp32mm fragment --chip <id> --libs A,B,C [--slot <name>:A,B]… [options]
       esp32mm fragment --check-map <firmware.map> [--elf <firmware.elf>] [--libs A,B,C] [--strict]
                        [--chip <id> --partitions <table>]

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
GNU ld map. Flash slots (their code executes in place from the flash cache) are checked
against the chip's instruction window, the reach of the app's own flash code and the
mmlib partition's size: give --chip and --partitions with them. Exit code 1 on errors, or
with --strict on warnings; else 0.

Library names may contain '-' (ESP-IDF's esp-tls): sections, symbols and the split's
files use the name with each '-' written as '_' (.mm.esp_tls.text, _mm_esp_tls_text_start,
esp_tls_e); two names that become the same are refused.

Options:
  --chip <id>              ${CHIP_IDS.join(', ')}  [required]
  --libs A,B               the dynamic libraries (lib/ folder names)          [required]
  --slot <name>:A,B        libraries sharing one address range (repeatable);
                           <name>(flash):A,B makes it a flash slot
  --code iram|psram|flash  where code runs (psram: ESP32-S3 only; flash: every
                           slot executes in place from the flash cache)       [iram]
  --data dram|psram        where data lives                                   [dram]
  --ctors init_array|ctors constructor table the toolchain emits [Xtensa chips: ctors, RISC-V: init_array]
  --psram-code-addr <hex>  execution address of PSRAM code (with --code psram)
  --partitions <file>      the partition table (partitions.csv or the binary
                           partitions.bin): flash slots start above the reach of
                           the largest app partition; with --check-map, the
                           mmlib partition must hold the library images
  --flash-code-addr <hex>  where flash slots start (64 KB aligned, inside the
                           instruction window, above the app's reach)        [first
                           64 KB boundary at window start + largest app partition]
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
    'flash-code-addr': { type: 'string' },
    partitions: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'check-map': { type: 'string' },
    elf: { type: 'string' },
    strict: { type: 'boolean' },
  },
  async run(positionals, values) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${this.usage}`);
    const libs = typeof values.libs === 'string' ? splitList(values.libs) : [];
    if (typeof values.elf === 'string' && typeof values['check-map'] !== 'string')
      throw new UsageError(`--elf goes with --check-map <firmware.map>\n\n${this.usage}`);
    const partitionsPath = values.partitions as string | undefined;
    if (typeof values['check-map'] === 'string') {
      return checkMap(values['check-map'], libs, values.strict === true, values.elf as string | undefined, {
        chip: values.chip as string | undefined,
        partitions: partitionsPath === undefined ? undefined : readPartitions(partitionsPath),
      });
    }
    if (typeof values.libs !== 'string') throw new UsageError(`--libs A,B is required\n\n${this.usage}`);
    if (typeof values.chip !== 'string') throw new UsageError(`--chip <id> is required\n\n${this.usage}`);
    const addr = values['psram-code-addr'];
    const flashAddr = values['flash-code-addr'];
    const partitions = partitionsPath === undefined ? undefined : readPartitions(partitionsPath);
    const largestApp = partitions && largestAppPartition(partitions.table);
    if (partitions && !largestApp) throw new UsageError(`${partitionsPath} has no app partition: give the project's partition table`);
    let config;
    try {
      config = validateLinkConfig({
        chip: values.chip,
        libs,
        slots: (values.slot as string[] | undefined) ?? [],
        code: values.code as string | undefined,
        data: values.data as string | undefined,
        ctors: values.ctors as string | undefined,
        psramCodeAddress: typeof addr === 'string' ? addressOption(addr, '--psram-code-addr') : undefined,
        flashCodeAddress: typeof flashAddr === 'string' ? addressOption(flashAddr, '--flash-code-addr') : undefined,
        largestAppPartition: largestApp?.size,
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

function addressOption(text: string, option: string): number {
  const n = parseAddress(text);
  if (n === undefined) throw new UsageError(`${option} ${text}: expected an address such as 0x42800000`);
  return n;
}

function readPartitions(path: string): { path: string; table: Partition[] } {
  return {
    path,
    table: readInput(
      path,
      'partition table',
      "give the partitions.csv the project names (board_build.partitions) or the build's partitions.bin",
      (b) => parsePartitionFile(new Uint8Array(b), path),
    ),
  };
}

function checkMap(
  mapPath: string,
  libs: string[],
  strict: boolean,
  elfPath: string | undefined,
  flash: { chip?: string; partitions?: { path: string; table: Partition[] } },
): number {
  const text = readInput(mapPath, 'map file', 'link with -Wl,-Map=<file> (the build hook adds it)', (b) => decodeMapFile(b));
  const elf =
    elfPath === undefined
      ? undefined
      : readInput(elfPath, 'ELF', 'give the firmware.elf this map was written with', (b) => new Uint8Array(b));
  if (libs.length) checkLibraryNames(libs);
  // A map that is not a complete GNU ld map is an error (MapFileError names the line).
  const chip = flash.chip === undefined ? undefined : parseChipId(flash.chip);
  if (flash.chip !== undefined && !chip) throw new UsageError(`unknown chip '${flash.chip}': use one of ${CHIP_IDS.join(', ')}`);
  const warnings = checkLinkMap(text, libs, { elf, strict, chip, partitions: flash.partitions });
  if (!libs.length) {
    console.log(`${mapPath}: a complete link map; no dynamic libraries named (--libs), nothing else to check`);
    return 0;
  }
  for (const w of warnings) console.error(`${w.severity}: ${w.message}`);
  const errors = warnings.filter((w) => w.severity === 'error').length;
  const problems = warnings.filter((w) => w.severity !== 'note').length;
  if (!problems)
    console.log(
      `all ${libs.length} libraries are in their .mm sections (${libs.join(', ')})${elf ? '; no resident code that runs without a load refers into their slots' : ''}`,
    );
  if (errors)
    console.error(`${errors} error${errors > 1 ? 's' : ''}: this firmware would fail at boot or run ESP-IDF code from an empty slot`);
  return errors || (strict && problems) ? 1 : 0;
}

function readInput<T>(path: string, what: string, hint: string, decode: (bytes: Buffer) => T): T {
  try {
    return decode(readFileSync(path));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new InputError(`cannot read the ${what} ${path} (${why}): ${hint}`);
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
