// ESP-IDF partition tables: CSV (blank offsets, alignment, numbers with K/M, flags) and the
// binary table (MD5 entry, end marker, damaged and hostile tables), on fixtures made here,
// and on every partition table of the real-builds corpus, cross-checked against a short
// independent decoder in Python (struct + hashlib).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  firstAppPartition,
  parseCsvNumber,
  parsePartitionCsv,
  parsePartitionTable,
  PartitionTableError,
  type Partition,
} from '../../../src/core/platformio/partitions';
import { corpusAvailable, corpusCases, reportMissingCorpus } from '../../helpers/corpus';

// --- A binary table writer of our own (numbers written out here, not taken from the product)

interface RawEntry {
  label: string | Uint8Array;
  type: number;
  subtype: number;
  offset: number;
  size: number;
  flags?: number;
}

function entry(e: RawEntry): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  b[0] = 0xaa;
  b[1] = 0x50;
  b[2] = e.type;
  b[3] = e.subtype;
  v.setUint32(4, e.offset, true);
  v.setUint32(8, e.size, true);
  b.set(typeof e.label === 'string' ? new TextEncoder().encode(e.label) : e.label, 12);
  v.setUint32(28, e.flags ?? 0, true);
  return b;
}

/** Entries, then (by default) the MD5 entry and FF up to 0xC00 bytes, as ESP-IDF's build writes it. */
function table(entries: Uint8Array[], opts: { md5?: boolean; fill?: boolean } = {}): Uint8Array {
  const body = Buffer.concat(entries);
  const parts: Uint8Array[] = [body];
  if (opts.md5 ?? true) {
    const m = new Uint8Array(32).fill(0xff);
    m[0] = 0xeb;
    m[1] = 0xeb;
    m.set(createHash('md5').update(body).digest(), 16);
    parts.push(m);
  }
  const out = Buffer.concat(parts);
  if (!(opts.fill ?? true)) return new Uint8Array(out);
  const full = new Uint8Array(0xc00).fill(0xff);
  full.set(out, 0);
  return full;
}

// --- The independent decoder

// Decodes stdin, or each file named on the command line (one JSON line per file)
const PY_DECODER = `
import hashlib, json, struct, sys
def decode(d):
    parts, md5 = [], None
    for i in range(0, min(len(d), 0xc00), 32):
        e = d[i:i + 32]
        if len(e) < 32: sys.exit('truncated at %d' % i)
        if e == b'\\xff' * 32: break
        if e[:2] == b'\\xeb\\xeb':
            md5 = e[16:] == hashlib.md5(d[:i]).digest()
            continue
        magic, t, st, off, size, label, flags = struct.unpack('<2sBBII16sI', e)
        if magic != b'\\xaa\\x50': sys.exit('bad magic at %d' % i)
        parts.append({'label': label.split(b'\\0')[0].decode(), 'type': t, 'subtype': st, 'offset': off, 'size': size, 'flags': flags})
    return {'parts': parts, 'md5': md5}
for data in ([open(f, 'rb').read() for f in sys.argv[1:]] or [sys.stdin.buffer.read()]):
    print(json.dumps(decode(data)))
`;

interface PyPart {
  label: string;
  type: number;
  subtype: number;
  offset: number;
  size: number;
  flags: number;
}
interface PyTable {
  parts: PyPart[];
  md5: boolean | null;
}

function python(args: string[], input?: Uint8Array): PyTable[] {
  const r = spawnSync('python3', ['-c', PY_DECODER, ...args], { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python decoder failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PyTable);
}

const pythonDecode = (bytes: Uint8Array): PyTable => python([], bytes)[0];

// Type and subtype codes as the ESP-IDF documentation lists them (our own copy for the check)
const TYPE_CODE: Record<string, number> = { app: 0, data: 1 };
const SUBTYPE_CODE: Record<string, number> = {
  'app/factory': 0,
  'app/test': 0x20,
  'data/ota': 0,
  'data/phy': 1,
  'data/nvs': 2,
  'data/coredump': 3,
  'data/nvs_keys': 4,
  'data/efuse': 5,
  'data/undefined': 6,
  'data/esphttpd': 0x80,
  'data/fat': 0x81,
  'data/spiffs': 0x82,
  'data/littlefs': 0x83,
};
for (let n = 0; n < 16; n++) SUBTYPE_CODE[`app/ota_${n}`] = 0x10 + n;

function codes(p: Partition): { type: number; subtype: number } {
  const type = typeof p.type === 'number' ? p.type : TYPE_CODE[p.type];
  const subtype = typeof p.subtype === 'number' ? p.subtype : SUBTYPE_CODE[`${p.type}/${p.subtype}`];
  if (type === undefined || subtype === undefined) throw new Error(`no code for ${p.type}/${p.subtype}`);
  return { type, subtype };
}

function toEntries(parts: Partition[]): Uint8Array[] {
  return parts.map((p) =>
    entry({ label: p.label, ...codes(p), offset: p.offset, size: p.size, flags: (p.encrypted ? 1 : 0) | (p.readonly ? 2 : 0) }),
  );
}

function errorOf(f: () => unknown): PartitionTableError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PartitionTableError);
    return e as PartitionTableError;
  }
  throw new Error('expected a PartitionTableError');
}

// --- Fixtures

const CSV = `# Our test table: blank offsets everywhere, so every alignment rule is exercised
# Name,    Type, SubType,  Offset, Size,     Flags
nvs,       data, nvs,      ,       0x5000,
otadata,   data, ota,      ,       8K,
phy_init,  data, phy,      ,       4K
factory,   app,  factory,  ,       1M,
ota_0,     app,  ota_0,    ,       0x180000,
ota_1,     app,  ota_1,    ,       1536K,
storage,   data, littlefs, ,       960K,     readonly
keys,      data, nvs_keys, ,       4K,       encrypted
coredump,  data, coredump, ,       64K,
custom,    0x40, 7,        ,       100,
`;

const p = (
  label: string,
  type: Partition['type'],
  subtype: Partition['subtype'],
  offset: number,
  size: number,
  flags: Partial<Partition> = {},
): Partition => ({ label, type, subtype, offset, size, encrypted: false, readonly: false, ...flags });

// Worked out by hand: data on the next 4 KB sector, apps on the next 64 KB boundary, the first at 0x8000 + 0x1000
const EXPECTED: Partition[] = [
  p('nvs', 'data', 'nvs', 0x9000, 0x5000),
  p('otadata', 'data', 'ota', 0xe000, 0x2000),
  p('phy_init', 'data', 'phy', 0x10000, 0x1000),
  p('factory', 'app', 'factory', 0x20000, 0x100000),
  p('ota_0', 'app', 'ota_0', 0x120000, 0x180000),
  p('ota_1', 'app', 'ota_1', 0x2a0000, 0x180000),
  p('storage', 'data', 'littlefs', 0x420000, 0xf0000, { readonly: true }),
  p('keys', 'data', 'nvs_keys', 0x510000, 0x1000, { encrypted: true }),
  p('coredump', 'data', 'coredump', 0x511000, 0x10000),
  p('custom', 0x40, 7, 0x521000, 100),
];

describe('partition CSV', () => {
  it('fills blank offsets with ESP-IDF alignment and reads K/M/hex/decimal sizes and flags', () => {
    expect(parsePartitionCsv(CSV)).toEqual(EXPECTED);
  });

  it('keeps given offsets, CRLF lines, numbers for type and subtype, and case-insensitive names', () => {
    const csv =
      'nvs, DATA, NVS, 0x9000, 24K\r\nphy_init, 1, 1, 61440, 0x1000\r\nfactory, 0, 0, 0x10000, 1M\r\nspiffs, data, spiffs, , 0x30000\r\n';
    expect(parsePartitionCsv(csv)).toEqual([
      p('nvs', 'data', 'nvs', 0x9000, 0x6000),
      p('phy_init', 'data', 'phy', 0xf000, 0x1000),
      p('factory', 'app', 'factory', 0x10000, 0x100000),
      p('spiffs', 'data', 'spiffs', 0x110000, 0x30000),
    ]);
  });

  it('starts one sector after a moved table and truncates names to 16 bytes', () => {
    const parts = parsePartitionCsv('a_very_long_partition_name, data, nvs, , 4K\napp, app, factory, , 64K\n', { tableOffset: 0x10000 });
    expect(parts.map((x) => [x.label, x.offset])).toEqual([
      ['a_very_long_part', 0x11000],
      ['app', 0x20000],
    ]);
  });

  it('reads numbers the way the CSV writes them', () => {
    expect([
      parseCsvNumber('0x9000'),
      parseCsvNumber('36864'),
      parseCsvNumber('24K'),
      parseCsvNumber('1m'),
      parseCsvNumber('0x10K'),
      parseCsvNumber('1.5M'),
      parseCsvNumber(''),
    ]).toEqual([0x9000, 0x9000, 0x6000, 0x100000, 0x4000, undefined, undefined]);
  });

  const bad: [string, string, RegExp][] = [
    ['unaligned app', 'factory, app, factory, 0x18000, 1M', /line 1: offset 0x18000 of app partition "factory" is not aligned to 0x10000/],
    ['unaligned data', 'nvs, data, nvs, 0x9800, 4K', /not aligned to 0x1000/],
    ['overlapping the table', 'nvs, data, nvs, 0x8000, 4K', /first partition "nvs" overlaps the partition table \(it ends at 0x9000\)/],
    [
      'overlapping the previous',
      'nvs, data, nvs, , 0x8000\nphy, data, phy, 0xa000, 4K',
      /line 2: offset 0xa000 of "phy" overlaps "nvs" \(line 1\), which ends at 0x11000/,
    ],
    ['unknown type', 'x, code, 0, , 4K', /type "code" is not app, data or a number/],
    ['unknown subtype', 'x, app, ota_16, , 64K', /subtype "ota_16" is not a subtype of app/],
    ['missing size', 'x, data, nvs, ,', /has no size|expected Name/],
    ['zero size', 'x, data, nvs, , 0', /size 0/],
    ['few fields', 'x, data, nvs', /found 3 fields/],
    ['unknown flag', 'x, data, nvs, , 4K, secret', /unknown flag "secret"/],
    ['duplicate name', 'x, data, nvs, , 4K\nx, data, phy, , 4K', /line 2: a second partition named "x" \(the first is on line 1\)/],
    ['past 4 GB', 'x, data, nvs, 0xfffff000, 64K', /past the 4 GB/],
    ['only comments', '# nothing\n\n', /no partitions/],
  ];
  for (const [what, csv, re] of bad) {
    it(`refuses ${what}`, () => {
      const e = errorOf(() => parsePartitionCsv(csv, { source: 'partitions.csv' }));
      expect(e.message).toMatch(re);
      expect(e.message).toMatch(/^partitions\.csv/);
    });
  }

  it('refuses a partition beyond the flash when the flash size is given', () => {
    const csv = 'factory, app, factory, 0x10000, 4M';
    expect(parsePartitionCsv(csv)).toHaveLength(1);
    expect(errorOf(() => parsePartitionCsv(csv, { flashSize: 4 * 1024 * 1024 })).message).toMatch(
      /ends at 0x410000, beyond the 4 MB flash/,
    );
  });
});

describe('binary partition table', () => {
  const good = table(toEntries(EXPECTED));

  it('reads a table made from our CSV, and agrees with the Python decoder', () => {
    expect(parsePartitionTable(good)).toEqual(EXPECTED);
    const py = pythonDecode(good);
    expect(py.md5).toBe(true);
    expect(py.parts).toEqual(
      EXPECTED.map((x) => ({
        label: x.label,
        ...codes(x),
        offset: x.offset,
        size: x.size,
        flags: (x.encrypted ? 1 : 0) | (x.readonly ? 2 : 0),
      })),
    );
  });

  it('reads a table without MD5 entry, and one cut right after the end marker', () => {
    expect(parsePartitionTable(table(toEntries(EXPECTED), { md5: false }))).toEqual(EXPECTED);
    const short = Buffer.concat([table(toEntries(EXPECTED), { fill: false }), new Uint8Array(32).fill(0xff)]);
    expect(parsePartitionTable(short)).toEqual(EXPECTED);
  });

  it('reports a wrong MD5 at the MD5 entry', () => {
    const bad = good.slice();
    bad[0x4c] ^= 0x01; // a size byte of entry 2
    const e = errorOf(() => parsePartitionTable(bad));
    expect(e.offset).toBe(10 * 32);
    expect(e.message).toMatch(
      /^partition table: entry 10 at offset 0x140: the MD5 entry \([0-9a-f]{32}\) does not match the 10 entries before it \([0-9a-f]{32}\): the table is damaged; rebuild it/,
    );
    expect(pythonDecode(bad).md5).toBe(false); // the independent decoder agrees it is wrong
  });

  it('reports a truncated table', () => {
    const e = errorOf(() => parsePartitionTable(good.subarray(0, 0x50)));
    expect(e.message).toMatch(/^partition table: entry 2 at offset 0x40: the file ends after 80 bytes, before the end marker .*truncated/);
    expect(errorOf(() => parsePartitionTable(new Uint8Array(0))).message).toMatch(/entry 0 at offset 0x0: the file ends after 0 bytes/);
    // entries and MD5 but no end marker and shorter than the table area
    expect(errorOf(() => parsePartitionTable(table(toEntries(EXPECTED), { fill: false }))).message).toMatch(
      /entry 11 at offset 0x160: the file ends/,
    );
  });

  it('says a file that is no table is no table', () => {
    const elf = new Uint8Array(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46]);
    expect(errorOf(() => parsePartitionTable(elf)).message).toBe(
      'partition table: entry 0 at offset 0x0: starts 7F 45, not the entry magic AA 50: not an ESP-IDF partition table',
    );
    expect(errorOf(() => parsePartitionTable(new Uint8Array(0xc00).fill(0xff))).message).toMatch(/no partitions \(erased flash\?\)/);
  });

  it('names the entry whose magic is broken', () => {
    const bad = good.slice();
    bad[0x60] = 0x00;
    expect(errorOf(() => parsePartitionTable(bad)).message).toMatch(
      /^partition table: entry 3 at offset 0x60: starts 00 50, not the entry magic AA 50: not an ESP-IDF partition table, or it is damaged; rebuild/,
    );
  });

  describe('hostile tables', () => {
    const nvs = entry({ label: 'nvs', type: 1, subtype: 2, offset: 0x9000, size: 0x6000 });

    it('a partition past the 4 GB address space', () => {
      const t = table([nvs, entry({ label: 'big', type: 1, subtype: 0x82, offset: 0xfffff000, size: 0x10000 })]);
      expect(errorOf(() => parsePartitionTable(t)).message).toMatch(
        /entry 1 at offset 0x20: partition "big" \(0xfffff000 \+ 0x10000\) runs past the 4 GB/,
      );
    });

    it('offsets beyond 16 MB: kept (big flash chips exist), refused against a given flash size', () => {
      const t = table([nvs, entry({ label: 'far', type: 0, subtype: 0, offset: 0x1800000, size: 0x100000 })]);
      expect(parsePartitionTable(t)[1]).toMatchObject({ label: 'far', offset: 0x1800000 });
      expect(errorOf(() => parsePartitionTable(t, { flashSize: 16 * 1024 * 1024 })).message).toMatch(
        /entry 1 at offset 0x20: partition "far" ends at 0x1900000, beyond the 16 MB flash/,
      );
    });

    it('overlapping entries', () => {
      const t = table([
        nvs,
        entry({ label: 'factory', type: 0, subtype: 0, offset: 0x10000, size: 0x100000 }),
        entry({ label: 'spiffs', type: 1, subtype: 0x82, offset: 0x100000, size: 0x10000 }),
      ]);
      expect(errorOf(() => parsePartitionTable(t)).message).toMatch(
        /entry 2 at offset 0x40: partition "spiffs" \(0x100000\.\.0x110000\) overlaps "factory" of entry 1 \(0x10000\.\.0x110000\)/,
      );
    });

    it('a 16-character label without NUL is read whole; control characters are refused', () => {
      const t = table([entry({ label: 'abcdefghijklmnop', type: 1, subtype: 2, offset: 0x9000, size: 0x6000 })]);
      expect(parsePartitionTable(t)[0].label).toBe('abcdefghijklmnop');
      expect(pythonDecode(t).parts[0].label).toBe('abcdefghijklmnop');
      const ctl = table([entry({ label: Uint8Array.from([0x6e, 0x01, 0x1b, 0x5b]), type: 1, subtype: 2, offset: 0x9000, size: 0x6000 })]);
      expect(errorOf(() => parsePartitionTable(ctl)).message).toMatch(/entry 0 at offset 0x0: the label holds control characters/);
    });

    it('an app partition off its 64 KB boundary, a zero size, an entry after the MD5 entry', () => {
      expect(
        errorOf(() => parsePartitionTable(table([entry({ label: 'factory', type: 0, subtype: 0, offset: 0x11000, size: 0x1000 })])))
          .message,
      ).toMatch(/not on a 64 KB boundary/);
      expect(
        errorOf(() => parsePartitionTable(table([entry({ label: 'z', type: 1, subtype: 2, offset: 0x9000, size: 0 })]))).message,
      ).toMatch(/size 0/);
      const after = Buffer.concat([
        table([nvs], { fill: false }),
        entry({ label: 'late', type: 1, subtype: 1, offset: 0xf000, size: 0x1000 }),
        new Uint8Array(32).fill(0xff),
      ]);
      expect(errorOf(() => parsePartitionTable(after)).message).toMatch(/entry 2 at offset 0x40: an entry after the MD5 entry at 0x20/);
    });

    it('96 entries fill the table area without an end marker; entries past 0xC00 are not read', () => {
      const many = Array.from({ length: 96 }, (_, i) =>
        entry({ label: `d${i}`, type: 1, subtype: 0x81, offset: 0x9000 + i * 0x1000, size: 0x1000 }),
      );
      const bytes = Buffer.concat([...many, entry({ label: 'beyond', type: 1, subtype: 1, offset: 0x800000, size: 0x1000 })]);
      const parts = parsePartitionTable(bytes);
      expect(parts).toHaveLength(96);
      expect(parts[95]).toMatchObject({ label: 'd95', subtype: 'fat' });
    });

    it('unknown type and subtype numbers stay numbers', () => {
      const t = table([
        entry({ label: 'x', type: 0x40, subtype: 0x21, offset: 0x9000, size: 0x1000 }),
        entry({ label: 'y', type: 0, subtype: 0x21, offset: 0x10000, size: 0x10000 }),
      ]);
      expect(parsePartitionTable(t).map((x) => [x.type, x.subtype])).toEqual([
        [0x40, 0x21],
        ['app', 0x21],
      ]);
    });
  });
});

describe('firstAppPartition', () => {
  it('is the factory app when there is one', () => {
    expect(firstAppPartition(EXPECTED)?.label).toBe('factory');
  });
  it('else the lowest OTA slot, else the test app, else the first app', () => {
    const ota = [
      p('nvs', 'data', 'nvs', 0x9000, 0x6000),
      p('b', 'app', 'ota_1', 0x10000, 0x10000),
      p('a', 'app', 'ota_0', 0x20000, 0x10000),
    ];
    expect(firstAppPartition(ota)?.label).toBe('a');
    expect(firstAppPartition([p('b', 'app', 'ota_3', 0x10000, 0x10000), p('c', 'app', 'ota_2', 0x20000, 0x10000)])?.label).toBe('c');
    expect(firstAppPartition([p('t', 'app', 'test', 0x10000, 0x10000), p('n', 'app', 0x21, 0x20000, 0x10000)])?.label).toBe('t');
    expect(firstAppPartition([p('n', 'app', 0x21, 0x20000, 0x10000)])?.label).toBe('n');
    expect(firstAppPartition([p('nvs', 'data', 'nvs', 0x9000, 0x6000)])).toBeUndefined();
  });
});

describe('partition tables of the real-builds corpus', () => {
  if (!corpusAvailable()) {
    reportMissingCorpus();
    return;
  }
  const cases = corpusCases().filter((c) => c.partitionsPath);
  const boots: string[] = [];
  // one Python run for every table
  const decoded = new Map<string, PyTable>();
  beforeAll(() => {
    python(cases.map((c) => c.partitionsPath!)).forEach((t, i) => decoded.set(cases[i].name, t));
  });

  for (const c of cases) {
    it(`${c.name}: agrees with the Python decoder`, () => {
      const bytes = new Uint8Array(readFileSync(c.partitionsPath!));
      const ours = parsePartitionTable(bytes);
      const py = decoded.get(c.name)!;
      expect(py.md5).not.toBe(false);
      expect(ours.map((x) => ({ label: x.label, ...codes(x), offset: x.offset, size: x.size }))).toEqual(
        py.parts.map((x) => ({ label: x.label, type: x.type, subtype: x.subtype, offset: x.offset, size: x.size })),
      );
      const app = firstAppPartition(ours);
      expect(app).toBeDefined();
      boots.push(`${app!.subtype} ${app!.size === 0x100000 ? '1 MB' : `${app!.size} B`} at 0x${app!.offset.toString(16)}`);
      console.log(
        `${c.name}: ${ours.map((x) => `${x.label} ${x.type}/${x.subtype} 0x${x.offset.toString(16)}+0x${x.size.toString(16)}`).join(', ')}; boots ${boots[boots.length - 1]}`,
      );
    });
  }

  it('boots a 1 MB factory app in most cases', () => {
    expect(cases.length).toBeGreaterThan(0);
    const factory1M = boots.filter((b) => b.startsWith('factory 1 MB')).length;
    console.log(`${factory1M} of ${boots.length} corpus tables boot a 1 MB factory app`);
    expect(boots).toHaveLength(cases.length);
    expect(factory1M * 2).toBeGreaterThan(boots.length);
  });
});

describe('the bundled example', () => {
  it('its partitions.bin (written by build-example.sh in Python) reads as its partitions.csv does', () => {
    const dir = join(__dirname, '../../../examples/esp32cam-ai');
    const binary = parsePartitionTable(new Uint8Array(readFileSync(join(dir, '.pio/build/esp32cam/partitions.bin'))));
    expect(binary).toEqual(parsePartitionCsv(readFileSync(join(dir, 'partitions.csv'), 'utf8')));
    expect(firstAppPartition(binary)).toMatchObject({ label: 'app0', offset: 0x10000, size: 0x300000 });
  });
});
