// The Memory Map view's exports on the committed fixtures: the Markdown tables parse back to
// the model's rows (regions, libraries, linker fill) and to the diff view's; the JSON is the
// model's exported fields exactly (and no machine path); CSV is the CLI's view CSV.
import { describe, expect, it } from 'vitest';
import { buildMemoryMap, type MemoryMapModel } from '../../../src/core/memmap/model';
import { archivesView, diffView, viewCsv } from '../../../src/core/memmap/views';
import { EXPORTED_FIELDS, exportText } from '../../../src/core/memmap/export';
import { FIXTURES, bytes, text, type Fixture } from './fixtures';
import { parseMarkdownTables } from '../../helpers/markdown';

const model = (f: Fixture): MemoryMapModel => buildMemoryMap({ elf: bytes(f.elf), mapText: text(f.map), chip: f.chipOption });
const fixture = (name: string) => FIXTURES.find((f) => f.name === name)!;

describe('export of the libraries', () => {
  for (const f of FIXTURES) {
    describe(f.name, () => {
      const m = model(f);
      const used = m.regions.filter((r) => r.used > 0);

      it('Markdown: the region table and the library table parse back to the model', () => {
        const [regions, libs, ...rest] = parseMarkdownTables(exportText(m, 'md'));
        expect(rest).toEqual([]);
        expect(regions.header).toEqual(['Region', 'In use', 'Size', 'Free']);
        expect(regions.rows).toEqual(
          m.regions.map((r) => [
            r.name,
            String(r.used + (m.split && !r.flash ? (r.slotReserved ?? 0) : 0)),
            String(r.size),
            r.flash ? '' : String(r.free),
          ]),
        );
        expect(libs.header).toEqual(['Library', 'Archive', 'Dynamic', 'Total', ...used.map((r) => r.name)]);
        expect(libs.align).toEqual(['---', '---', '---', ...libs.header.slice(3).map(() => '---:')]);
        const fill = libs.rows.at(-1)!;
        expect(fill).toEqual(['linker fill', '', '', String(m.fill), ...used.map((r) => String(r.fill))]);
        const rows = libs.rows.slice(0, -1).map(([name, archive, dynamic, total, ...perRegion]) => ({
          name,
          archive,
          dynamic: dynamic === 'yes',
          total: Number(total),
          byRegion: Object.fromEntries(used.map((r, i) => [r.name, Number(perRegion[i])]).filter(([, n]) => n !== 0)),
        }));
        expect(rows).toEqual(
          m.libraries.map((l) => ({
            name: l.name,
            archive: l.archive,
            dynamic: l.dynamic,
            total: l.total,
            byRegion: Object.fromEntries(Object.entries(l.byRegion).filter(([r, n]) => n !== 0 && used.some((u) => u.name === r))),
          })),
        );
        // every byte of a library is in a column: regions nothing lives in have none
        for (const l of m.libraries)
          expect(
            used.reduce((s, r) => s + (l.byRegion[r.name] ?? 0), 0),
            l.name,
          ).toBe(l.total);
      });

      it("JSON: the model's exported fields, nothing else", () => {
        const json = JSON.parse(
          exportText({ ...m, inputs: { map: { path: '/home/someone/fw.map', how: 'given' } } } as MemoryMapModel, 'json'),
        );
        const expected = Object.fromEntries(EXPORTED_FIELDS.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
        expect(json).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(Object.keys(json)).not.toContain('inputs');
        expect(Object.keys(json)).not.toContain('before');
        expect(json.libraries.length).toBe(m.libraries.length);
      });

      it('CSV: the archives view as esp32mm map --archives --format csv writes it', () => {
        expect(exportText(m, 'csv')).toBe(viewCsv(archivesView(m)));
      });
    });
  }

  it('a name with a pipe stays one cell', () => {
    const m = model(fixture('xtensa/fw'));
    const odd = { ...m, libraries: [{ ...m.libraries[0], name: 'a|b', archive: 'lib a|b.a' }, ...m.libraries.slice(1)] };
    const [, libs] = parseMarkdownTables(exportText(odd, 'md'));
    expect(libs.rows[0].slice(0, 2)).toEqual(['a|b', 'lib a|b.a']);
  });
});

describe('export of a comparison', () => {
  const current = model(fixture('xtensa/fw'));
  const reference = model(fixture('xtensa/fw_nomm'));
  const d = diffView(current, reference);

  it("Markdown: one table whose rows are the diff view's (regions, archives by change, fill, image)", () => {
    const [t, ...rest] = parseMarkdownTables(exportText(current, 'md', d));
    expect(rest).toEqual([]);
    expect(t.header).toEqual(['Kind', 'Name', 'Archive', 'This build', 'Reference', 'Change']);
    const row = (kind: string, name: string, archive: string, x: { current: number; reference: number; change: number }) => [
      kind,
      name,
      archive,
      String(x.current),
      String(x.reference),
      String(x.change),
    ];
    expect(t.rows).toEqual([
      ...d.regions.map((r) => row('region', r.name, '', r)),
      ...d.archives.map((a) => row('archive', a.name, a.archive, a)),
      row('fill', 'linker fill', '', d.fill),
      row('image', 'image', '', d.imageBytes),
    ]);
    expect(d.archives.some((a) => a.change !== 0)).toBe(true);
  });

  it('JSON: the diff view itself', () => {
    expect(JSON.parse(exportText(current, 'json', d))).toEqual(JSON.parse(JSON.stringify(d)));
  });

  it('CSV: the diff view as esp32mm map --diff --format csv writes it', () => {
    expect(exportText(current, 'csv', d)).toBe(viewCsv(d));
  });
});
