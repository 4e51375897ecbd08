// Splitting a build, as the CLI (`esp32mm split`) and the extension (Split Libraries) both
// do it: one rule for an ELF that was already split. Such an ELF is split again only from
// its kept original (`<name>.full.elf`), and only when that original is the one the marker
// names (same build id): the user may have changed the libraries or the storage since. An
// original that belongs to another link would give files that do not match the firmware,
// so it is refused, as is a split ELF without its original.
import { existsSync } from 'node:fs';
import { readElf } from '../elf/reader';
import { INPUT_LIMITS, readInputFileSync } from '../util/input';
import { computeBuildId, toHex } from './buildid';
import { SplitError } from './errors';
import { SPLIT_MARKER_SECTION, fullElfPath, splitFile, type SplitResult } from './split';

export interface SplitBuildRequest {
  elf: string;
  outDir: string;
  /** Default: every library the link placed in `.mm.<lib>.*` sections. */
  libs?: string[];
  /** Split an already split ELF again from its original (see above); else it is refused. */
  again?: boolean;
  /** Called when the split proper starts; an aborted signal stops before anything is written. */
  onPhase?: (phase: SplitPhase) => void;
  signal?: AbortSignal;
}

export type SplitPhase = 'read' | 'split';

export interface SplitBuildResult extends SplitResult {
  /** True when the ELF was restored from its original first. */
  resplit: boolean;
}

/** The build id the splitter's marker records, undefined for an ELF that was never split. */
export function splitMarkerBuildId(bytes: Uint8Array): string | undefined {
  const elf = readElf(bytes);
  const marker = elf.section(SPLIT_MARKER_SECTION);
  if (!marker) return undefined;
  const text = new TextDecoder().decode(elf.sectionData(marker));
  return /build-id ([0-9a-f]+)/.exec(text)?.[1] ?? '';
}

/** Whether `elf` carries the splitter's marker (false for a file that is missing or not an ELF). */
export function isSplitElf(elf: string): boolean {
  try {
    return splitMarkerBuildId(readElfBytes(elf)) !== undefined;
  } catch {
    return false;
  }
}

/**
 * What a split of `elf` starts from: the ELF itself (never split), or its original (split
 * before, `again` asked, the original matches). Throws SplitError saying what to do otherwise.
 */
export function splitSource(elf: string, again: boolean): { path: string; resplit: boolean } {
  const marker = splitMarkerBuildId(readElfBytes(elf));
  if (marker === undefined) return { path: elf, resplit: false };
  const full = fullElfPath(elf);
  if (!again)
    throw new SplitError(`this firmware was already split (build id ${marker.slice(0, 16)}…); split the original (${full}) or rebuild`);
  if (!existsSync(full)) throw new SplitError(`this firmware was already split and its original ${full} is gone: rebuild to split again`);
  const original = toHex(computeBuildId(readElf(readElfBytes(full))));
  if (original !== marker) {
    throw new SplitError(
      `this firmware was already split, and ${full} is the original of another build (build id ${original.slice(0, 16)}…, the firmware names ${marker.slice(0, 16)}…): rebuild to split again`,
    );
  }
  return { path: full, resplit: true };
}

export async function splitBuild(req: SplitBuildRequest): Promise<SplitBuildResult> {
  req.onPhase?.('read');
  const source = splitSource(req.elf, req.again ?? false);
  throwIfAborted(req.signal);
  req.onPhase?.('split');
  // Read from the original, written in one commit: a failed split leaves the split ELF as it was.
  return { ...(await splitFile(req.elf, req.outDir, req.libs, source.path)), resplit: source.resplit };
}

function readElfBytes(path: string): Uint8Array {
  return new Uint8Array(readInputFileSync(path, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf, missingHint: 'build the project first' }));
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const e = new Error('the split was cancelled');
    e.name = 'AbortError';
    throw e;
  }
}
