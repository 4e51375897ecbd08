import { splitList } from '../core/conventions';
import { resolve } from 'node:path';
import { fullElfPath } from '../core/split/split';
import { splitBuild } from '../core/split/workflow';
import { type Command, UsageError, formatBytes, hex } from './command';

export const splitCommand: Command = {
  name: 'split',
  summary: 'cut the dynamic libraries out of firmware.elf into <lib>_e / <lib>_d files',
  usage: `Usage: esp32mm split <firmware.elf> --out <dir> [--libs A,B] [--again] [--json]

Cuts every library linked into .mm.<lib>.text/.data/.bss sections out of the ELF.
Writes <lib>_e (code) and <lib>_d (data) plus manifest.json into <dir>, keeps the
original as <name>.full.elf beside the ELF and replaces the ELF with the stripped one.
An error leaves every file as it was. An ELF that was already split is refused, or with
--again split again from its kept original (only when that is this ELF's original: the
same build id), as Split Libraries in VS Code does.

Options:
  --out <dir>    folder for the library files (e.g. data/mm or sd/mm)   [required]
  --libs A,B     split only these libraries (default: all found)
  --again        split an already split ELF again from its <name>.full.elf
  --json         print the result as JSON
  -h, --help     show this help`,
  options: { out: { type: 'string' }, libs: { type: 'string' }, again: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(positionals, values) {
    if (positionals.length !== 1) throw new UsageError(`expected one ELF file, got ${positionals.length}\n\n${this.usage}`);
    if (typeof values.out !== 'string') throw new UsageError(`--out <dir> is required\n\n${this.usage}`);
    const elfPath = resolve(positionals[0]);
    const libs = typeof values.libs === 'string' ? splitList(values.libs) : undefined;
    const r = await splitBuild({ elf: elfPath, outDir: resolve(values.out), libs, again: values.again === true });
    if (values.json) {
      const { strippedElf: _omit, libraries, ...rest } = r;
      console.log(
        JSON.stringify(
          {
            ...rest,
            libraries: libraries.map(({ files, ...l }) => ({
              ...l,
              files: files.map(({ bytes, ...f }) => ({ ...f, size: bytes.length })),
            })),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    for (const w of r.warnings) console.error(`warning: ${w.message}`);
    console.log(`Split ${positionals[0]} (build id ${r.buildId.slice(0, 16)}…)`);
    for (const l of r.libraries) {
      const text = l.textAddress !== undefined ? `code ${formatBytes(l.textSize)} @ ${hex(l.textAddress)}` : 'no code';
      const data = l.dataAddress !== undefined ? `data ${formatBytes(l.dataSize)} @ ${hex(l.dataAddress)}` : 'no data';
      console.log(`  ${l.name}: ${text}, ${data}, bss ${l.bssSize} B${l.ctorCount ? `, ${l.ctorCount} constructor(s)` : ''}`);
      for (const f of l.files) console.log(`    -> ${f.file} (${f.bytes.length} B)`);
    }
    const saved = r.loadableBytesBefore - r.loadableBytesAfter;
    console.log(`Image: ${formatBytes(r.loadableBytesBefore)} -> ${formatBytes(r.loadableBytesAfter)}; saved ${formatBytes(saved)}`);
    console.log(`Files in ${values.out}; original kept as ${fullElfPath(positionals[0])}`);
    return 0;
  },
};
