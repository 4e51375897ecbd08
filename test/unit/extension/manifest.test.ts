// The manifest (package.json contributes) and the extension code must agree: every command
// shown is registered, every registered command is contributed, every setting the code reads
// is declared, and the views the code provides exist.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const code = readdirSync(join(REPO, 'src', 'extension'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(REPO, 'src', 'extension', f), 'utf8'))
  .join('\n');

describe('extension manifest', () => {
  const commands: { command: string; title: string; category: string }[] = pkg.contributes.commands;

  it('has the commands of issue 7 in the "Memory Manager" category', () => {
    const titles = commands.map((c) => `${c.category}: ${c.title}`);
    for (const t of [
      'Split Libraries',
      'Show Memory Map',
      'Upload Libraries to SD Card',
      'Upload Libraries to SPIFFS/LittleFS',
      'Select Serial Port',
      'Select Environment',
      'Install Build Integration',
      'Show Log',
    ]) {
      expect(titles).toContain(`Memory Manager: ${t}`);
    }
    for (const c of commands) expect(c.category).toBe('Memory Manager');
  });

  it('registers exactly the contributed commands', () => {
    const registered = [...code.matchAll(/reg\('([\w.]+)'/g)].map((m) => m[1]).sort();
    expect(registered).toEqual(commands.map((c) => c.command).sort());
  });

  it('declares every setting the code reads', () => {
    const declared = Object.keys(pkg.contributes.configuration.properties).map((k) => k.replace(/^esp32mm\./, ''));
    const read = [...code.matchAll(/\.get<[^>]+>\('(\w+)'/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(3);
    for (const k of read) expect(declared).toContain(k);
    for (const k of ['serialPort', 'baudRate', 'storage', 'deviceFolder', 'autoSplit', 'autoUpload']) expect(declared).toContain(k);
  });

  it('activates on platformio.ini and provides the views the code registers', () => {
    expect(pkg.activationEvents).toContain('workspaceContains:**/platformio.ini');
    expect(pkg.main).toBe('./dist/extension.js');
    const views = pkg.contributes.views.esp32mm.map((v: { id: string }) => v.id);
    expect(pkg.contributes.viewsContainers.activitybar[0]).toMatchObject({ id: 'esp32mm', title: 'Memory Manager' });
    for (const id of [...code.matchAll(/static readonly id = '([\w.]+)'/g)].map((m) => m[1])) expect(views).toContain(id);
    expect(pkg.contributes.views.esp32mm.find((v: { type?: string }) => v.type === 'webview')?.name).toBe('Memory Map');
  });

  it('keeps serialport out of the bundle and in the package dependencies', () => {
    const esbuild = readFileSync(join(REPO, 'esbuild.mjs'), 'utf8');
    expect(esbuild).toMatch(/external: \['vscode', 'serialport'\]/);
    expect(pkg.dependencies.serialport).toBeDefined();
    const ignore = readFileSync(join(REPO, '.vscodeignore'), 'utf8').split('\n');
    expect(ignore.some((l) => /^node_modules\/(\*\*|@serialport)/.test(l) && !/src|binding\.gyp|\.md$/.test(l))).toBe(false);
  });
});
