// Uploading a set of files (usually a split's `_e`/`_d` files + manifest.json) to the agent:
// build-id check, skip of unchanged files, progress events. Works on any AgentClient.
import { lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { crc32 } from '../util/crc32';
import type { AgentClient, UploadProgress } from './client';
import { TransferError } from './errors';

export interface LocalFile {
  local: string;
  name: string;
  data: Uint8Array;
  crc: number;
}

interface ManifestFile {
  file: string;
  size: number;
  crc32: string;
}
export interface Manifest {
  buildId?: string;
  libraries?: { name: string; files: ManifestFile[] }[];
}

export interface FileSet {
  files: LocalFile[];
  manifest?: Manifest;
  manifestPath?: string;
}

/**
 * Files named on the command line; a folder contributes its files (a split's output folder
 * with manifest.json: the files it lists, then manifest.json itself, last, so a device-side
 * manifest never describes files that are not there yet).
 */
export function collectFiles(inputs: string[]): FileSet {
  const set: FileSet = { files: [] };
  const add = (local: string) => {
    const data = new Uint8Array(readFileSync(local));
    set.files.push({ local, name: basename(local), data, crc: crc32(data) });
  };
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new TransferError('LOCAL_FILE', `no such file or folder: ${input}`);
    }
    if (!st.isDirectory()) {
      add(input);
      continue;
    }
    const manifestPath = join(input, 'manifest.json');
    const manifest = readManifest(manifestPath);
    if (manifest) {
      set.manifest = manifest;
      set.manifestPath = manifestPath;
      for (const f of manifestFiles(manifest)) add(manifestEntryPath(input, f.file, manifestPath));
      add(manifestPath);
    } else {
      for (const name of readdirSync(input).sort()) if (statSync(join(input, name)).isFile()) add(join(input, name));
    }
  }
  if (set.manifest) checkAgainstManifest(set);
  return set;
}

/** The folder's manifest.json, undefined when there is none; a damaged one is an error. */
function readManifest(manifestPath: string): Manifest | undefined {
  let text: string;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch {
    return undefined;
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new TransferError('LOCAL_FILE', `${manifestPath} is not valid JSON: split again to rewrite it`);
  }
  const libs = (manifest as Manifest | null)?.libraries;
  const wellFormed =
    typeof manifest === 'object' &&
    manifest !== null &&
    (libs === undefined ||
      (Array.isArray(libs) && libs.every((l) => Array.isArray(l?.files) && l.files.every((f) => typeof f?.file === 'string'))));
  if (!wellFormed)
    throw new TransferError(
      'LOCAL_FILE',
      `${manifestPath} does not list its libraries' files as a split writes them: split again to rewrite it`,
    );
  return manifest as Manifest;
}

function manifestFiles(m: Manifest): ManifestFile[] {
  return (m.libraries ?? []).flatMap((l) => l.files);
}

/**
 * A file name from manifest.json (a cloned project's file, so hostile until checked): only a
 * plain name of a regular file inside the manifest's folder, so an upload can never read
 * and send anything else (`../../secret`, an absolute path, a symlink out of the folder).
 */
export function manifestEntryPath(folder: string, name: string, manifestPath: string): string {
  // eslint-disable-next-line no-control-regex -- a manifest name with a control character is refused
  const plain = name !== '.' && name !== '..' && /^[^/\\:\x00-\x1f\x7f]+$/.test(name);
  if (!plain)
    throw new TransferError(
      'LOCAL_FILE',
      `${manifestPath} names the file ${JSON.stringify(name)}: only plain file names in the manifest's own folder are allowed; split again to rewrite it`,
    );
  const path = join(folder, name);
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw new TransferError('LOCAL_FILE', `${path} is listed in ${manifestPath} but missing: split again`);
  }
  if (!st.isFile())
    throw new TransferError(
      'LOCAL_FILE',
      `${path} is listed in ${manifestPath} but is not a regular file (${st.isSymbolicLink() ? 'a symbolic link' : 'a folder or device'}): split again to write it`,
    );
  return path;
}

/** A file that differs from its manifest entry was changed after the split: say so. */
function checkAgainstManifest(set: FileSet): void {
  for (const f of manifestFiles(set.manifest!)) {
    const local = set.files.find((x) => x.name === f.file);
    if (local && (local.data.length !== f.size || local.crc !== parseInt(f.crc32, 16))) {
      throw new TransferError('LOCAL_FILE', `${local.local} does not match ${set.manifestPath} (size/CRC differ): split again`);
    }
  }
}

export type UploadEvent =
  | { kind: 'skip'; name: string; remote: string; reason: string }
  | { kind: 'start'; name: string; remote: string; size: number }
  | ({ kind: 'progress'; name: string } & UploadProgress)
  | { kind: 'done'; name: string; remote: string; size: number; resumedFrom: number; ms: number }
  | { kind: 'warning'; message: string };

export interface UploadOptions {
  dest: string;
  signal?: AbortSignal;
  onEvent?: (e: UploadEvent) => void;
  /** Upload even when the board's firmware build id differs from the manifest's. */
  ignoreBuildId?: boolean;
  /** Upload even files the device already has (same size and CRC). */
  force?: boolean;
}

export interface UploadSummary {
  uploaded: string[];
  skipped: string[];
  bytes: number;
}

const ZERO_ID = '0'.repeat(64);

/** The destination folder as a device path inside the agent's root, or a clear error. */
export function remoteDir(dest: string, root: string): string {
  const d = dest.replace(/\/+$/, '') || '/';
  const r = root.replace(/\/+$/, '') || '/';
  if (!d.startsWith('/')) return `${r}/${d}`.replace(/^\/\//, '/');
  if (r === '/' || d === r || d.startsWith(r + '/')) return d;
  throw new TransferError('BAD_DEST', `--dest ${dest} is outside the folder the agent serves (${root}); use --dest ${root}`);
}

export async function uploadFiles(client: AgentClient, set: FileSet, o: UploadOptions): Promise<UploadSummary> {
  const caps = client.caps;
  const wanted = set.manifest?.buildId?.toLowerCase();
  if (wanted && !o.ignoreBuildId) {
    if (caps.buildId === ZERO_ID) {
      o.onEvent?.({
        kind: 'warning',
        message: 'the firmware on the board has no build id (not split yet?): it cannot check that these libraries match it',
      });
    } else if (caps.buildId !== wanted) {
      throw new TransferError(
        'WRONG_BUILD_ID',
        `the board runs firmware ${caps.buildId.slice(0, 12)}…, but these files were split from firmware ${wanted.slice(0, 12)}…: ` +
          'the device would refuse to load them. Flash the matching firmware first (pio run -t upload), or pass --ignore-build-id.',
      );
    }
  }
  const dir = remoteDir(o.dest, caps.root);
  const summary: UploadSummary = { uploaded: [], skipped: [], bytes: 0 };
  for (const f of set.files) {
    const remote = `${dir === '/' ? '' : dir}/${f.name}`;
    if (!o.force) {
      const st = await client.stat(remote, true);
      if (st && st.kind === 'file' && st.size === f.data.length && st.crc === f.crc) {
        summary.skipped.push(remote);
        o.onEvent?.({ kind: 'skip', name: f.name, remote, reason: 'unchanged (same size and CRC on the device)' });
        continue;
      }
    }
    o.onEvent?.({ kind: 'start', name: f.name, remote, size: f.data.length });
    const t0 = Date.now();
    const r = await client.upload(remote, f.data, {
      signal: o.signal,
      onProgress: (p) => o.onEvent?.({ kind: 'progress', name: f.name, ...p }),
    });
    summary.uploaded.push(remote);
    summary.bytes += f.data.length - r.resumedFrom;
    o.onEvent?.({ kind: 'done', name: f.name, remote, size: f.data.length, resumedFrom: r.resumedFrom, ms: Date.now() - t0 });
  }
  return summary;
}
