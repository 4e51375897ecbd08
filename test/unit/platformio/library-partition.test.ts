// The mmlib partition of flash slots (docs/design.md §6a): recognised in CSV and binary
// tables, planned by init, and init's edit of a project's CSV or its instructions.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initCommand } from '../../../src/cli/init';
import { parseFlashSize } from '../../../src/core/platformio/library-partition';
import {
  largestAppPartition,
  libraryPartition,
  mmlibCsvLine,
  parsePartitionCsv,
  parsePartitionFile,
  planLibraryPartition,
} from '../../../src/core/platformio/partitions';

const FIX = join(__dirname, '../../fixtures/partitions');
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** A binary table written here, field by field (magic, type, subtype, offset, size, label, flags; MD5 entry; FF). */
function binaryTable(entries: { label: string; type: number; subtype: number; offset: number; size: number }[]): Uint8Array {
  const body = Buffer.concat(
    entries.map((e) => {
      const b = Buffer.alloc(32);
      b[0] = 0xaa;
      b[1] = 0x50;
      b[2] = e.type;
      b[3] = e.subtype;
      b.writeUInt32LE(e.offset, 4);
      b.writeUInt32LE(e.size, 8);
      b.write(e.label, 12, 'latin1');
      return b;
    }),
  );
  const md5 = Buffer.alloc(32, 0xff);
  md5[0] = 0xeb;
  md5[1] = 0xeb;
  createHash('md5').update(body).digest().copy(md5, 16);
  const out = Buffer.alloc(0xc00, 0xff);
  Buffer.concat([body, md5]).copy(out);
  return new Uint8Array(out);
}

describe('the mmlib partition in a table', () => {
  it('is found by type data and subtype 0x40, in a CSV (hex or decimal subtype) and a binary table', () => {
    for (const subtype of ['0x40', '64']) {
      const parts = parsePartitionCsv(`${fixture('singleapp.csv')}mmlib, data, ${subtype}, 0x110000, 1M,\n`);
      expect(libraryPartition(parts)).toMatchObject({ label: 'mmlib', type: 'data', subtype: 0x40, offset: 0x110000, size: 0x100000 });
    }
    const bin = binaryTable([
      { label: 'nvs', type: 1, subtype: 2, offset: 0x9000, size: 0x6000 },
      { label: 'factory', type: 0, subtype: 0, offset: 0x10000, size: 0x100000 },
      { label: 'mmlib', type: 1, subtype: 0x40, offset: 0x110000, size: 0x80000 },
    ]);
    expect(libraryPartition(parsePartitionFile(bin, 'partitions.bin'))).toMatchObject({ label: 'mmlib', subtype: 0x40, size: 0x80000 });
  });

  it('refuses a partition labelled mmlib with another subtype', () => {
    expect(() => libraryPartition(parsePartitionCsv('factory, app, factory, 0x10000, 1M,\nmmlib, data, spiffs, , 1M,\n'))).toThrow(
      /partition "mmlib" has type data and subtype spiffs: flash-slot libraries need type data, subtype 0x40 — write it as "mmlib, data, 0x40, , 1M,"/,
    );
  });

  it("is absent from the real builds' single-app layout, whose largest app is the factory app", () => {
    const parts = parsePartitionCsv(fixture('singleapp.csv'));
    expect(libraryPartition(parts)).toBeUndefined();
    expect(largestAppPartition(parts)).toMatchObject({ label: 'factory', size: 0x100000 });
    expect(largestAppPartition(parsePartitionCsv(fixture('ota-filled-4mb.csv')))).toMatchObject({ label: 'app0', size: 0x140000 });
  });

  it("writes its CSV line in ESP-IDF's units", () => {
    expect(mmlibCsvLine(0x100000)).toBe('mmlib, data, 0x40, , 1M,');
    expect(mmlibCsvLine(0xc0000, 0x110000)).toBe('mmlib, data, 0x40, 0x110000, 768K,');
  });
});

describe('planning the mmlib partition', () => {
  it('adds 1 MB on the first 64 KB boundary after the last partition when it fits', () => {
    const plan = planLibraryPartition(fixture('singleapp.csv'), 4 * 0x100000);
    expect(plan).toMatchObject({ kind: 'add', line: 'mmlib, data, 0x40, 0x110000, 1M,', partition: { offset: 0x110000, size: 0x100000 } });
    if (plan.kind !== 'add') throw new Error('unreachable');
    expect(plan.text.startsWith(fixture('singleapp.csv'))).toBe(true);
    expect(libraryPartition(parsePartitionCsv(plan.text))).toMatchObject({ offset: 0x110000, size: 0x100000 });
  });

  it('rounds the offset up to 64 KB and takes what is left when less than 1 MB is', () => {
    const csv = 'factory, app, factory, 0x10000, 0x1E0000,\nstore, data, spiffs, , 0x1000,\n'; // ends at 0x1F1000
    const plan = planLibraryPartition(csv, 2 * 0x100000);
    expect(plan).toMatchObject({ kind: 'manual' }); // nothing left in 2 MB
    expect(planLibraryPartition(csv, 3 * 0x100000)).toMatchObject({ kind: 'add', partition: { offset: 0x200000, size: 0x100000 } });
    expect(planLibraryPartition(csv, 0x2c0000)).toMatchObject({
      kind: 'add',
      partition: { offset: 0x200000, size: 0xc0000 },
      line: 'mmlib, data, 0x40, 0x200000, 768K,',
    });
  });

  it('keeps CRLF line endings and adds a line break the file did not end with', () => {
    const plan = planLibraryPartition('nvs, data, nvs, 0x9000, 0x6000,\r\nfactory, app, factory, 0x10000, 1M,', 4 * 0x100000);
    if (plan.kind !== 'add') throw new Error(`expected an addition, got ${plan.kind}`);
    expect(plan.text).toMatch(/1M,\r\n# esp32mm: .*\r\nmmlib, data, 0x40, 0x110000, 1M,\r\n$/);
  });

  it('says what to do when the table fills the flash or the flash size is unknown', () => {
    expect(planLibraryPartition(fixture('ota-filled-4mb.csv'), 4 * 0x100000)).toMatchObject({
      kind: 'manual',
      line: 'mmlib, data, 0x40, , 1M,',
      problem: expect.stringMatching(
        /fills the 4 MB flash \(its last partition ends at 0x400000\): make room by shrinking a data partition/,
      ),
    });
    expect(planLibraryPartition(fixture('singleapp.csv'), undefined)).toMatchObject({
      kind: 'manual',
      problem: expect.stringMatching(/flash size is not known \(set board_upload.flash_size/),
    });
  });

  it('leaves a table that has it alone', () => {
    expect(planLibraryPartition(`${fixture('singleapp.csv')}mmlib, data, 0x40, , 512K,\n`, 4 * 0x100000)).toMatchObject({
      kind: 'present',
    });
  });

  it("reads PlatformIO's flash sizes", () => {
    expect(parseFlashSize('4MB')).toBe(0x400000);
    expect(parseFlashSize('16M')).toBe(0x1000000);
    expect(parseFlashSize('2048KB')).toBe(0x200000);
    expect(parseFlashSize('four')).toBeUndefined();
  });
});

describe('esp32mm init with a flash slot', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const project = (ini: string, files: Record<string, string> = {}) => {
    const d = mkdtempSync(join(tmpdir(), 'esp32mm-flashinit-'));
    dirs.push(d);
    writeFileSync(join(d, 'platformio.ini'), `[env:cam]\nplatform = espressif32\nboard = esp32cam\nframework = arduino\n${ini}`);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  };
  const init = async (dir: string, values: Record<string, unknown>) => {
    const out: string[] = [];
    const log = console.log,
      err = console.error;
    console.log = (m: string) => out.push(m);
    console.error = (m: string) => out.push(m);
    try {
      expect(await initCommand.run([dir], { libs: 'TinyClassifier,ImageFilters', storage: 'sd', ...values })).toBe(0);
    } finally {
      console.log = log;
      console.error = err;
    }
    return out.join('\n');
  };

  it("adds the mmlib line to the project's CSV, which ESP-IDF's own table tool reads back", async () => {
    const dir = project('board_build.partitions = parts.csv\nboard_upload.flash_size = 4MB\n', { 'parts.csv': fixture('singleapp.csv') });
    const out = await init(dir, { slot: ['ai(flash):TinyClassifier,ImageFilters'] });
    expect(out).toContain('Added the library partition for flash slots');
    const csv = readFileSync(join(dir, 'parts.csv'), 'utf8');
    expect(csv).toContain('mmlib, data, 0x40, 0x110000, 1M,');
    expect(readFileSync(join(dir, 'platformio.ini'), 'utf8')).toContain('custom_mm_slots = ai(flash): TinyClassifier ImageFilters');
    // An independent reader: the CSV split by Python's csv module, numbers read by int(x, 0).
    const py = spawnSync(
      PYTHON,
      [
        '-c',
        [
          'import csv, sys',
          'rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if l.strip() and not l.startswith("#"))]',
          'm = [r for r in rows if r[0].strip() == "mmlib"][0]',
          'print(m[1].strip(), int(m[2], 0), int(m[3], 0), m[4].strip())',
        ].join('\n'),
        join(dir, 'parts.csv'),
      ],
      { encoding: 'utf8' },
    );
    expect(py.stderr).toBe('');
    expect(py.stdout.trim()).toBe('data 64 1114112 1M');
    // Again: the partition is there, the file stays.
    expect(await init(dir, { slot: ['ai(flash):TinyClassifier,ImageFilters'] })).toMatch(/already has the library partition "mmlib"/);
    expect(readFileSync(join(dir, 'parts.csv'), 'utf8')).toBe(csv);
  });

  it("prints the line and where it goes for the framework's default table", async () => {
    const dir = project('');
    const out = await init(dir, { code: 'flash' });
    expect(out).toMatch(
      /warning: flash slots need a partition for their library images: \[env:cam\] uses the framework's default partition table, which init does not edit — copy it into the project as partitions.csv, add this line .* set board_build.partitions = partitions.csv\n {4}mmlib, data, 0x40, , 1M,/,
    );
  });

  it('prints the line for a table that is not a file of the project, and for a full flash', async () => {
    expect(await init(project('board_build.partitions = huge_app.csv\n'), { code: 'flash' })).toMatch(
      /board_build.partitions = huge_app.csv is not a file of the project .*\n {4}mmlib, data, 0x40, , 1M,/,
    );
    const full = project('board_build.partitions = ota.csv\nboard_upload.flash_size = 4MB\n', { 'ota.csv': fixture('ota-filled-4mb.csv') });
    expect(await init(full, { code: 'flash' })).toMatch(/the mmlib partition was not added to .*ota.csv: the table fills the 4 MB flash/);
    expect(readFileSync(join(full, 'ota.csv'), 'utf8')).toBe(fixture('ota-filled-4mb.csv'));
  });

  it('leaves the partition table alone without flash slots', async () => {
    const dir = project('board_build.partitions = parts.csv\nboard_upload.flash_size = 4MB\n', { 'parts.csv': fixture('singleapp.csv') });
    expect(await init(dir, {})).not.toMatch(/partition/);
    expect(readFileSync(join(dir, 'parts.csv'), 'utf8')).toBe(fixture('singleapp.csv'));
  });
});
