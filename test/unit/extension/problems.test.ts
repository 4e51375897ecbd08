// Problems land on the platformio.ini line they are about: a library's name on
// custom_mm_libs, a slot's on custom_mm_slots, a custom_mm_* option on its own line (also
// inherited from [env]), anything else on the custom_mm_libs line or the section header.
import { describe, expect, it } from 'vitest';
import { parseIni } from '../../../src/core/platformio/ini';
import { runDoctor } from '../../../src/core/doctor';
import { doctorProblem, placeProblems } from '../../../src/extension/problems';

const INI = [
  '[env]',
  'custom_mm_data = dram',
  '',
  '[env:cam]',
  'board = esp32cam',
  'custom_mm_libs = TinyClassifier, Tiny',
  'custom_mm_slots = ai: TinyClassifier Tiny',
  'custom_mm_code = psram',
  '',
  '[env:plain]',
  'board = esp32dev',
].join('\n');
const doc = parseIni(INI);
const lines = INI.split('\n');

describe('placeProblems', () => {
  it('marks a library by its whole name, not inside a longer one', () => {
    const [p] = placeProblems(doc, 'cam', [{ message: 'm', severity: 'warning', library: 'Tiny' }]);
    expect(p.line).toBe(5);
    expect(lines[5].slice(p.start, p.end)).toBe('Tiny');
    expect(p.start).toBe(lines[5].lastIndexOf('Tiny'));
  });

  it('puts a slot on custom_mm_slots and an option on its own line, inherited ones in [env]', () => {
    const [slot, code, data] = placeProblems(doc, 'cam', [
      { message: 's', severity: 'error', slot: 'ai' },
      { message: 'c', severity: 'error', option: 'custom_mm_code' },
      { message: 'd', severity: 'note', option: 'custom_mm_data' },
    ]);
    expect([slot.line, lines[slot.line].slice(slot.start, slot.end)]).toEqual([6, 'ai']);
    expect([code.line, code.start, code.end]).toEqual([7, 0, lines[7].length]);
    expect(data.line).toBe(1);
  });

  it('an sdkconfig option or a firmware-wide warning goes on custom_mm_libs, else on the section header', () => {
    expect(placeProblems(doc, 'cam', [{ message: 'x', severity: 'error', option: 'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE' }])[0].line).toBe(5);
    expect(placeProblems(doc, 'plain', [{ message: 'y', severity: 'warning' }])[0].line).toBe(9);
  });

  it('shows a doctor finding with its fix, on the option it names', () => {
    const report = runDoctor({ env: 'cam', chip: 'esp32', framework: 'arduino', libs: ['TinyClassifier'], code: 'psram', data: 'dram' });
    const finding = report.findings.find((f) => f.option === 'custom_mm_code');
    expect(finding).toBeDefined();
    const [p] = placeProblems(doc, 'cam', [doctorProblem(finding!)]);
    expect(p.severity).toBe('error');
    expect(p.line).toBe(7);
    expect(p.message).toContain('cannot execute code from PSRAM');
    expect(p.message).toContain(`Fix: ${finding!.fix}`);
  });
});
