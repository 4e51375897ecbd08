// The previous build of each environment, for the Memory Map's "changes against the previous
// build". Kept automatically: a new link (the linker's own output changed) moves the shown
// build to "previous"; re-reading or splitting the same link does not. Stored as one JSON
// file per environment in a folder the extension owns (VS Code's storage for the
// workspace), never in the user's project, so it survives a window reload.
// No 'vscode' here, so it is unit-tested directly.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MemoryMapModel } from '../../webview-ui/model';
import { writeFilesAtomically } from '../core/util/atomic';

export interface KeptBuild {
  model: MemoryMapModel;
  at: number;
}
interface Entry {
  fingerprint: string;
  current: KeptBuild;
  previous?: KeptBuild;
}

const FORMAT = 1;

export class BuildHistory {
  private readonly entries = new Map<string, Entry>();
  private readonly written = new Map<string, string>();

  /** `folder`: where the builds are kept (created on the first write); undefined keeps them in memory only. */
  constructor(private readonly folder: string | undefined) {}

  /** The SHA-1 of the file a build's fingerprint is taken from (the link's own output). */
  static fingerprintOf(file: string): string {
    return crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');
  }

  /**
   * Records the build `model` of `key` with the fingerprint of its link, and returns the
   * build before it (undefined for the first build of the environment).
   */
  async record(key: string, fingerprint: string, model: MemoryMapModel, at = Date.now()): Promise<KeptBuild | undefined> {
    const last = this.entries.get(key) ?? this.read(key);
    const entry: Entry = !last
      ? { fingerprint, current: { model, at } }
      : last.fingerprint !== fingerprint
        ? { fingerprint, current: { model, at }, previous: last.current }
        : { ...last, current: { model, at: last.current.at } }; // the same link, re-read (or split): not a new build
    this.entries.set(key, entry);
    await this.write(key, entry);
    return entry.previous;
  }

  private file(key: string): string | undefined {
    return this.folder && path.join(this.folder, `build-${crypto.createHash('sha1').update(key).digest('hex').slice(0, 20)}.json`);
  }

  private read(key: string): Entry | undefined {
    const file = this.file(key);
    if (!file) return undefined;
    try {
      const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: number; key?: string } & Entry;
      // Another format or a hash collision: start afresh rather than compare unlike builds.
      return stored.format === FORMAT && stored.key === key && stored.current?.model ? stored : undefined;
    } catch {
      return undefined; // none yet, or unreadable: the next build starts the history
    }
  }

  private async write(key: string, entry: Entry): Promise<void> {
    const file = this.file(key);
    if (!file) return;
    const text = JSON.stringify({ format: FORMAT, key, ...entry });
    if (this.written.get(key) === text) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await writeFilesAtomically([{ path: file, data: text }]);
    this.written.set(key, text);
  }
}
