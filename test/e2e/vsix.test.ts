// What the packaged .vsix holds (read from the zip's central directory, not from vsce's own
// listing): the bundles, the hook script, serialport with native prebuilds for every OS,
// and no sources, tests or source maps.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { vsixPath } from './harness';

function zipEntries(zip: Buffer): string[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLen = zip.readUInt16LE(p + 28), extraLen = zip.readUInt16LE(p + 30), commentLen = zip.readUInt16LE(p + 32);
    names.push(zip.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

describe('packaged .vsix', () => {
  const names = zipEntries(readFileSync(vsixPath()));

  it('holds the extension, webview and CLI bundles, the media and the build hook', () => {
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/webview.js', 'extension/dist/cli.js',
      'extension/media/webview.css', 'extension/media/activity.svg', 'extension/firmware/extra_script/memory_manager.py']) {
      expect(names).toContain(f);
    }
  });

  it('ships serialport outside the bundle with its native prebuilds for Linux, Windows and macOS', () => {
    expect(names).toContain('extension/node_modules/serialport/package.json');
    for (const platform of ['linux-x64', 'linux-arm64', 'win32-x64', 'darwin-x64+arm64']) {
      expect(names.some((n) => n.startsWith(`extension/node_modules/@serialport/bindings-cpp/prebuilds/${platform}/`) && n.endsWith('.node'))).toBe(true);
    }
  });

  it('leaves out sources, tests, source maps, caches and the example', () => {
    const bad = names.filter((n) => /^extension\/(src|test|webview-ui|examples|scripts|bench|\.cache|test-output)\//.test(n) || n.endsWith('.map') || /\.ts$/.test(n));
    expect(bad).toEqual([]);
    expect(names.length).toBeLessThan(200);
  });
});
