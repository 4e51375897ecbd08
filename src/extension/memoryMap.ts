// The Memory Map of the target: core's analysis of its build (src/core/memmap/analyse.ts,
// what `esp32mm map --json` shows), the comparisons with the previous build and the unsplit
// ELF, and the problems a build brings (the link check, the doctor) for the Problems panel.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Comparison, MemoryMapModel } from '../../webview-ui/model';
import { analyseBuild, checkBuildLink } from '../core/memmap/analyse';
import { diagnoseProject } from '../core/platformio/doctor-inputs';
import { isSplitElf } from '../core/split/workflow';
import type { Ctx } from './ctx';
import { BuildHistory } from './history';
import { errorText, log } from './log';
import { MapDetails, diffView } from './mapDetail';
import { inVsCodeTerms } from './messages';
import { doctorProblem, type Problem } from './problems';
import { librarySources } from './sources';
import {
  type Target,
  chipOption,
  targetKey,
  dynamicLibraryNames,
  firmwareElf,
  fullElf,
  mapSetting,
  partitionCsv,
  sourceRoots,
  usesMemoryManager,
} from './target';

export async function refreshMemoryMap(ctx: Ctx): Promise<void> {
  const seq = ++ctx.refreshSeq;
  const t = ctx.target;
  if (!t) {
    ctx.model = null;
    ctx.showState({
      project: 'No PlatformIO project',
      env: '',
      elf: '',
      after: null,
      before: null,
      updatedAt: Date.now(),
      message: { text: 'Open a folder that contains platformio.ini to see its memory map.' },
    });
    ctx.updateTree();
    return;
  }
  const elf = firmwareElf(t);
  const base = { project: t.project.label, env: t.env.name, elf, updatedAt: Date.now() };
  if (!fs.existsSync(elf)) {
    ctx.model = null;
    ctx.showState({
      ...base,
      after: null,
      before: null,
      message: {
        text: `No build of environment "${t.env.name}" yet. Build it with PlatformIO (PlatformIO: Build, or pio run in a terminal): the map appears as soon as ${vscode.workspace.asRelativePath(elf)} exists.`,
        actions: [{ title: 'Select Environment', command: 'esp32mm.selectEnvironment' }],
      },
    });
    ctx.updateTree();
    void checkProject(ctx, t, undefined, seq);
    return;
  }
  try {
    // Only the esp32mm.mapFile setting is passed; otherwise core looks the map up and says how.
    const after = await analyseBuild({
      elf,
      map: mapSetting(t, ctx.settings(t)),
      partitions: partitionCsv(t),
      board: t.env.board,
      chip: chipOption(t),
    });
    const before = after.before ?? null;
    const comparisons = await compare(ctx, t, after, before);
    if (seq !== ctx.refreshSeq) return; // a newer refresh started meanwhile
    ctx.model = after;
    const sources = librarySources([...after.libraries, ...(before?.libraries ?? [])], sourceRoots(t));
    ctx.sources = sources;
    ctx.detail = new MapDetails(after, before, sources);
    ctx.showState({
      ...base,
      after: inVsCodeNotes({ ...after, before: undefined }),
      before: before && inVsCodeNotes(before),
      sources,
      comparisons,
    });
    log.info(`Memory map of ${t.project.label}/${t.env.name}: ${after.regions.map((r) => `${r.name} ${r.used}/${r.size}`).join(', ')}`);
    void checkProject(ctx, t, after, seq);
  } catch (e) {
    if (seq !== ctx.refreshSeq) return;
    ctx.model = null;
    log.error(`Memory map of ${elf} failed: ${errorText(e)}`);
    // No Retry: reading the same files again gives the same answer; a new build refreshes the view by itself.
    ctx.showState({
      ...base,
      after: null,
      before: null,
      message: {
        text: `Could not read the memory map of ${path.basename(elf)}: ${errorText(e)}`,
        actions: [{ title: 'Show Log', command: 'esp32mm.showLog' }],
      },
    });
  }
  ctx.updateTree();
}

/** The model with its notes in VS Code's terms (core's notes name CLI options). */
function inVsCodeNotes(m: MemoryMapModel): MemoryMapModel {
  return { ...m, notes: m.notes.map(inVsCodeTerms) };
}

/**
 * The build against the previous build of the same env (history.ts: kept across reloads)
 * and against the unsplit ELF. Each is core's diffView, what `esp32mm map --diff` prints.
 */
async function compare(ctx: Ctx, t: Target, after: MemoryMapModel, before: MemoryMapModel | null): Promise<Comparison[]> {
  // The link's own output: the kept original of a split ELF (the split is not a new build).
  const original = isSplitElf(firmwareElf(t)) && fs.existsSync(fullElf(t)) ? fullElf(t) : firmwareElf(t);
  const out: Comparison[] = [];
  try {
    const previous = await ctx.history.record(targetKey(t), BuildHistory.fingerprintOf(original), after);
    if (previous)
      out.push({
        against: 'previous',
        label: `the previous build (${new Date(previous.at).toLocaleTimeString()})`,
        diff: diffView(after, previous.model),
      });
  } catch (e) {
    log.warn(`Keeping the build for the comparison with the next one failed: ${errorText(e)}`);
  }
  if (after.split && before)
    out.push({ against: 'unsplit', label: `the unsplit firmware (${path.basename(fullElf(t))})`, diff: diffView(after, before) });
  return out;
}

/**
 * The problems of the target's build for the Problems panel: the link check of its map
 * (`esp32mm fragment --check-map`) and the doctor (`esp32mm doctor`), each in VS Code's terms.
 */
async function checkProject(ctx: Ctx, t: Target, model: MemoryMapModel | undefined, seq: number): Promise<void> {
  const libs = dynamicLibraryNames(t);
  const map = model?.inputs?.map;
  const mapPath = map && 'path' in map ? map.path : undefined;
  let link: Problem[] = [];
  try {
    // The audit reads the unsplit link: after a split that is firmware.full.elf.
    const linked = model?.split ? fullElf(t) : firmwareElf(t);
    const table = model?.inputs?.partitionTable;
    const flash = { chip: model?.chip, partitions: table && 'path' in table ? table.path : undefined };
    const warnings = mapPath && libs.length ? await checkBuildLink(mapPath, libs, fs.existsSync(linked) ? linked : undefined, flash) : [];
    link = warnings.map((w) => ({ message: inVsCodeTerms(w.message), library: w.lib, severity: w.severity }));
  } catch (e) {
    log.warn(`Checking the link map ${mapPath} failed: ${errorText(e)}`);
  }
  if (seq !== ctx.refreshSeq) return; // a newer refresh checks the newer build
  ctx.diagnostics.set(t, 'link', link);
  let doctor: Problem[] = [];
  if (usesMemoryManager(t) && libs.length) {
    try {
      const map = mapSetting(t, ctx.settings(t));
      const elf = fs.existsSync(firmwareElf(t)) ? firmwareElf(t) : undefined;
      const { report } = await diagnoseProject({ projectDir: t.project.root, env: t.env.name, map, elf: map ? elf : undefined });
      doctor = report.findings.map((f) => {
        const p = doctorProblem(f);
        return { ...p, message: inVsCodeTerms(p.message) };
      });
      for (const n of report.notChecked) log.info(`Doctor, env:${t.env.name}: not checked ${n.check}: ${n.why}`);
    } catch (e) {
      log.warn(`The doctor could not check env:${t.env.name}: ${errorText(e)}`);
    }
  }
  if (seq === ctx.refreshSeq) ctx.diagnostics.set(t, 'doctor', doctor);
}
