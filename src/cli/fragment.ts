import { readFileSync } from 'node:fs';
import { writeFilesAtomically } from '../core/util/atomic';
import { LinkConfigError, validateLinkConfig } from '../core/link/config';
import { generateFragment } from '../core/link/fragment';
import { checkLinkMap } from '../core/link/mapcheck';
import { decodeMapFile } from '../core/mapfile/parse';
import { type Command, UsageError } from './command';

export const fragmentCommand: Command = {
  name: 'fragment',
  summary: 'print the linker fragment that links libraries at fixed addresses; check a map',
  usage: `Usage: esp32mm fragment --chip <id> --libs A,B,C [--slot <name>:A,B]… [options]
       esp32mm fragment --check-map <firmware.map> [--libs A,B,C] [--strict]

The first form prints the supplementary linker script (pass it with -T before the
framework's memory.ld/sections.ld). Each library gets .mm.<lib>.text/.data/.bss; libraries
of one slot share an address (OVERLAY). Libraries not named in a --slot get their own slot.

The second form reads the map of a finished link and warns about a library whose code or
data is not in its .mm sections (the link used no fragment naming it, an earlier rule
matched first, loose object files, --gc-sections dropped it) and about IRAM_ATTR code and
other parts that stay resident. Without --libs (or with --libs ''), it only
checks that the map is a complete GNU ld map. Exit code 0 unless --strict and warnings.

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
  --strict                 with --check-map: exit 1 if there are warnings
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
    strict: { type: 'boolean' },
  },
  async run(positionals, values) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${this.usage}`);
    const libs = typeof values.libs === 'string' ? values.libs.split(',').map((s) => s.trim()).filter(Boolean) : [];
    if (typeof values['check-map'] === 'string') return checkMap(values['check-map'], libs, values.strict === true);
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
        psramCodeAddress: typeof addr === 'string' ? parseAddress(addr) : undefined,
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

function parseAddress(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`--psram-code-addr ${text}: expected an address such as 0x42800000`);
  return n;
}

function checkMap(mapPath: string, libs: string[], strict: boolean): number {
  let text: string;
  try {
    text = decodeMapFile(readFileSync(mapPath));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new Error(`cannot read the map file ${mapPath} (${why}): link with -Wl,-Map=<file> (the build hook adds it)`);
  }
  // A map that is not a complete GNU ld map is an error (MapFileError names the line).
  const warnings = checkLinkMap(text, libs);
  if (!libs.length) {
    console.log(`${mapPath}: a complete link map; no dynamic libraries named (--libs), nothing else to check`);
    return 0;
  }
  for (const w of warnings) console.error(`warning: ${w.message}`);
  if (!warnings.length) console.log(`all ${libs.length} libraries are in their .mm sections (${libs.join(', ')})`);
  return strict && warnings.length ? 1 : 0;
}
