// Every error class core and the CLI throw on purpose shares one base: a code to react to and
// the class name as `name`. Found by scanning the sources, so a new class cannot be forgotten.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Esp32mmError, isEsp32mmError } from '../../src/core/errors';

const SRC = join(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `export class XError extends Y` in core and the CLI (the extension throws none of its own). */
const declared = sources(SRC)
  .filter((f) => !f.includes('/extension/'))
  .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/export class (\w+Error) extends (\w+)/g)].map((m) => ({ file: f, name: m[1] })));

describe('error classes', () => {
  it('finds the error classes in the sources', () => {
    expect(declared.length).toBeGreaterThanOrEqual(18);
  });

  it.each(declared.map((d) => [d.name, d.file] as const))('%s extends Esp32mmError, names itself and has a code', async (name, file) => {
    const mod = await import(file);
    const Cls = mod[name];
    expect(Cls, `${relative(SRC, file)} exports ${name}`).toBeTypeOf('function');
    expect(Cls.prototype instanceof Esp32mmError).toBe(true);
    // constructors differ (offset, line, path…); all take strings, the transfer error its reason first
    const e = Reflect.construct(Cls, name === 'TransferError' ? ['NO_AGENT', 'm'] : ['a', 'b', 'c']) as Esp32mmError;
    expect(isEsp32mmError(e)).toBe(true);
    expect(e.name).toBe(name);
    expect(e.code).toMatch(/^[A-Z][A-Z_]+$/);
  });

  it('a raw Error is not one of ours', () => {
    expect(isEsp32mmError(new Error('x'))).toBe(false);
  });
});
