// What the packaged .vsix holds (read from the zip itself, not from vsce's own listing): the
// bundles, the hook script, serialport with native prebuilds for every OS, no sources, tests
// or source maps; a README whose every image is a file of the package; no placeholder host.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { REPO, vsixPath } from './harness';

interface ZipEntry {
  name: string;
  method: number;
  compressed: number;
  offset: number;
}

function zipEntries(zip: Buffer): string[] {
  return zipDirectory(zip).map((e) => e.name);
}

/** The central directory: each entry's name, compression method, compressed size and local header offset. */
function zipDirectory(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLen = zip.readUInt16LE(p + 28),
      extraLen = zip.readUInt16LE(p + 30),
      commentLen = zip.readUInt16LE(p + 32);
    entries.push({
      name: zip.toString('utf8', p + 46, p + 46 + nameLen),
      method: zip.readUInt16LE(p + 10),
      compressed: zip.readUInt32LE(p + 20),
      offset: zip.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** One file of the zip, inflated (stored or deflated, the two methods vsce writes). */
function zipFile(zip: Buffer, name: string): Buffer {
  const e = zipDirectory(zip).find((x) => x.name === name);
  if (!e) throw new Error(`${name} is not in the package`);
  if (zip.readUInt32LE(e.offset) !== 0x04034b50) throw new Error(`bad local header of ${name}`);
  const start = e.offset + 30 + zip.readUInt16LE(e.offset + 26) + zip.readUInt16LE(e.offset + 28);
  const data = zip.subarray(start, start + e.compressed);
  if (e.method === 0) return Buffer.from(data);
  if (e.method === 8) return inflateRawSync(data);
  throw new Error(`${name}: compression method ${e.method}`);
}

/** The images a Markdown file shows: `![alt](src)` and `<img src="…">`. */
function markdownImages(md: string): string[] {
  return [...md.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)/g), ...md.matchAll(/<img\b[^>]*\bsrc=["']([^"']+)["']/gi)].map((m) => m[1]);
}

describe('packaged .vsix', () => {
  const zip = readFileSync(vsixPath());
  const names = zipEntries(zip);

  it('holds the extension, webview and CLI bundles, the media and the build hook', () => {
    for (const f of [
      'extension/package.json',
      'extension/dist/extension.js',
      'extension/dist/webview.js',
      'extension/dist/cli.js',
      'extension/media/webview.css',
      'extension/media/activity.svg',
      'extension/firmware/extra_script/memory_manager.py',
    ]) {
      expect(names).toContain(f);
    }
  });

  it('ships serialport outside the bundle with its native prebuilds for Linux, Windows and macOS', () => {
    expect(names).toContain('extension/node_modules/serialport/package.json');
    for (const platform of ['linux-x64', 'linux-arm64', 'win32-x64', 'darwin-x64+arm64']) {
      expect(
        names.some((n) => n.startsWith(`extension/node_modules/@serialport/bindings-cpp/prebuilds/${platform}/`) && n.endsWith('.node')),
      ).toBe(true);
    }
  });

  it('leaves out sources, tests, source maps, caches and the example', () => {
    const bad = names.filter(
      (n) =>
        /^extension\/(src|test|webview-ui|examples|scripts|bench|\.cache|test-output)\//.test(n) || n.endsWith('.map') || /\.ts$/.test(n),
    );
    expect(bad).toEqual([]);
    expect(names.length).toBeLessThan(200);
  });

  it('its details page (the packaged README, from MARKETPLACE.md) shows only images inside the package', () => {
    const readme = names.find((n) => /^extension\/readme\.md$/i.test(n))!;
    const md = zipFile(zip, readme).toString('utf8');
    expect(md).toMatch(/^# ESP32 Memory Manager/);
    const images = markdownImages(md);
    // the screenshots MARKETPLACE.md shows, in its order, each carried by the README itself
    const shown = markdownImages(readFileSync(join(REPO, 'MARKETPLACE.md'), 'utf8'));
    expect(shown.length).toBeGreaterThan(0);
    expect(images.length).toBe(shown.length);
    images.forEach((src, i) => {
      const data = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(src);
      expect(data, `image ${i + 1} is not inside the package: ${src.slice(0, 80)}`).not.toBeNull();
      expect(Buffer.from(data![1], 'base64').equals(readFileSync(join(REPO, shown[i]))), shown[i]).toBe(true);
    });
    // a relative path would be resolved against VS Code's own page (details-page.test.ts): none is left
    expect(md).not.toMatch(/\]\((?!data:|https:|#)[^)]+\.(png|jpe?g|gif|svg)\)/i);
  });

  it('names no placeholder host: no repository it does not have', () => {
    const manifest = JSON.parse(zipFile(zip, 'extension/package.json').toString('utf8'));
    expect(JSON.stringify(manifest)).not.toMatch(/example\.(invalid|com|org)/);
    expect(zipFile(zip, 'extension.vsixmanifest').toString('utf8')).not.toMatch(/example\.(invalid|com|org)/);
  });
});
