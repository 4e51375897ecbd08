#!/usr/bin/env node
// The packaged README (the extension's details page): MARKETPLACE.md with each screenshot
// inlined as a data: URI, written to build/marketplace/README.md for `vsce package
// --readme-path`. Why: VS Code renders the details page in a webview that loads images from
// https: or data: only, and resolves a relative path against its own page, not the
// extension's folder; an https URL needs a public repository that serves the file. A data:
// URI is the one form that shows the picture from the package itself.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(REPO, 'MARKETPLACE.md');
export const PACKAGED_README = join(REPO, 'build', 'marketplace', 'README.md');

/** Image types by their first bytes (SVG is refused: vsce and the Marketplace restrict it). */
const SIGNATURES = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
];

function mimeOf(bytes, file) {
  const hit = SIGNATURES.find(([, sig]) => sig.every((b, i) => bytes[i] === b));
  if (!hit) throw new Error(`${file}: not a PNG, JPEG or GIF image (MARKETPLACE.md may show only those)`);
  return hit[0];
}

export function inlineImages(markdown, baseDir) {
  return markdown.replace(/(!\[[^\]]*\]\()([^)\s]+)(\))/g, (all, open, src, close) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(src))
      throw new Error(`MARKETPLACE.md: ${src} is not a file of the repository (use a relative path to media/)`);
    const file = join(baseDir, decodeURI(src));
    let bytes;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new Error(`MARKETPLACE.md shows ${src}, which does not exist`);
    }
    return `${open}data:${mimeOf(bytes, src)};base64,${bytes.toString('base64')}${close}`;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = inlineImages(readFileSync(SOURCE, 'utf8'), REPO);
  mkdirSync(dirname(PACKAGED_README), { recursive: true });
  const tmp = `${PACKAGED_README}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, PACKAGED_README);
}
