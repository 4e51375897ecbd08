// Memory-map benchmark on the real-builds corpus (16 ESP-IDF builds, maps of 1.8–3 MB), run by
// `npm run bench:map` after the large generated firmware (bench/map.ts).
// Goals (issue): `esp32mm map --map <file> --json` as a whole process ≤ 60 ms for a 2–3 MB
// map, and ≤ 10 ms of analysis per MB of map in process. Printed beside baselines measured
// in the same run, interleaved with our runs so that machine load hits all of them alike:
//  - naive: a `node -e` process that reads the map and splits it into lines (same spawn cost);
//  - node alone: `node -e 0`, and the CLI bundle alone: `node dist/cli.js --version`, which
//    split our whole-process time into Node's start-up, loading dist/cli.js, and the rest.
// Also: CPU time per process (children's user + system time from /proc, which machine load
// hardly changes), the same processes without NODE_EXTRA_CA_CERTS when it is set (Node reads
// that file at every start), and the analysis as the first call of a fresh process.
// BENCH_MAP_RUNS (default 7) runs per figure; BENCH_MAP_NODE_FLAGS times an extra variant of our
// process with V8/Node options. MB here is 10^6 bytes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { corpusAvailable, corpusCases, CORPUS_ABSENT, type CorpusCase } from '../test/helpers/corpus';
import { buildMemoryMap } from '../src/core/memmap/model';
import { loadMemoryMap } from '../src/core/memmap/load';
import { decodeMapFile } from '../src/core/mapfile/parse';

const repo = resolve(__dirname, '../..');
const cli = join(repo, 'dist/cli.js');

const GOAL_PROCESS_MS = 60;
const GOAL_MS_PER_MB = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const f1 = (v: number) => v.toFixed(1);

/**
 * CPU time (user + system) of the waited-for children of this process so far, in ms, from
 * /proc/self/stat (Linux; undefined elsewhere). Ticks of 10 ms: summed over many runs it
 * gives a mean CPU time per process that machine load hardly changes, unlike wall time.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) * 10; // cutime + cstime, at 100 ticks/s
  } catch {
    return undefined;
  }
}

/** Node reads this file at every start (before any script runs); the `map` command needs no TLS. */
const EXTRA_CA = 'NODE_EXTRA_CA_CERTS';
const envWithoutExtraCa = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env[EXTRA_CA];
  return env;
};

interface Spawned {
  wall: number;
  cpu?: number;
}

/** Wall time of one process, stdout to /dev/null as `> /dev/null` would; fails on a non-zero exit. */
function spawnTimed(args: string[], env?: NodeJS.ProcessEnv): Spawned {
  const c0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c1 = childrenCpuMs();
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wall, cpu: c0 === undefined || c1 === undefined ? undefined : c1 - c0 };
}

/** Reads the map and splits it into lines: the least a map tool's process does. */
const NAIVE = "const t=require('fs').readFileSync(process.argv[1],'utf8');process.stdout.write(String(t.split('\\n').length))";

/** The processes of one round: ours and the baselines; `-` ones without NODE_EXTRA_CA_CERTS. */
type Kind = 'ours' | 'naive' | 'node' | 'bundle' | 'ours-' | 'naive-' | 'node-' | 'flags';

/** BENCH_MAP_NODE_FLAGS='--no-turbo-inlining …': also time `node <flags> dist/cli.js map …`, to try V8 options. */
const nodeFlags = (process.env.BENCH_MAP_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** Per kind: median wall time of the case, and summed CPU time and count of its timed runs. */
type ProcessFigures = Partial<Record<Kind, { wall: number; cpuSum?: number; n: number }>>;

/** Medians of `runs` rounds after one warm-up round; each round runs every kind once, interleaved. */
function processFigures(c: CorpusCase, runs: number, withoutCa: boolean): ProcessFigures {
  const plain = undefined;
  const noCa = envWithoutExtraCa();
  const kinds: [Kind, string[], NodeJS.ProcessEnv | undefined][] = [
    ['ours', [cli, 'map', '--map', c.mapPath, '--json'], plain],
    ['naive', ['-e', NAIVE, c.mapPath], plain],
    ['node', ['-e', '0'], plain],
    ['bundle', [cli, '--version'], plain],
  ];
  if (withoutCa) {
    kinds.push(['ours-', kinds[0][1], noCa], ['naive-', kinds[1][1], noCa], ['node-', kinds[2][1], noCa]);
  }
  if (nodeFlags.length) kinds.push(['flags', [...nodeFlags, ...kinds[0][1]], plain]);
  const times = new Map<Kind, Spawned[]>(kinds.map(([k]) => [k, []]));
  for (let round = 0; round <= runs; round++) {
    for (const [k, args, env] of kinds) {
      const t = spawnTimed(args, env);
      if (round > 0) times.get(k)!.push(t);
    }
  }
  const out: ProcessFigures = {};
  for (const [k, xs] of times) {
    const cpu = xs.every((x) => x.cpu !== undefined) ? xs.reduce((a, x) => a + x.cpu!, 0) : undefined;
    out[k] = { wall: median(xs.map((x) => x.wall)), cpuSum: cpu, n: xs.length };
  }
  return out;
}

interface InProcess {
  /** buildMemoryMap({ mapText }) on text decoded once: parse + model (median, warm). */
  analysis: number;
  /** The same runs' CPU time (process.cpuUsage: every thread of this process), median. */
  analysisCpu: number;
  /** decodeMapFile of the bytes read once. */
  decode: number;
  /** loadMemoryMap({ map }): read, decode, partition table and sdkconfig of the folder, model. */
  load: number;
}

async function inProcess(c: CorpusCase, runs: number): Promise<InProcess> {
  const bytes = readFileSync(c.mapPath);
  const timedMedian = async (fn: () => unknown): Promise<number> => {
    await fn();
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return median(xs);
  };
  const text = decodeMapFile(bytes);
  const cpuMs: number[] = [];
  const analysis = await timedMedian(() => {
    const c0 = process.cpuUsage();
    buildMemoryMap({ mapText: text });
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  });
  return {
    analysis,
    analysisCpu: median(cpuMs.slice(1)),
    decode: await timedMedian(() => decodeMapFile(bytes)),
    load: await timedMedian(() => loadMemoryMap({ map: c.mapPath })),
  };
}

/**
 * `map.cjs --cold <map>`: one analysis in a fresh process, as the CLI does it (nothing
 * compiled yet), timed around the calls only. Prints JSON.
 */
export function coldChild(mapPath: string): void {
  let t0 = process.hrtime.bigint();
  const bytes = readFileSync(mapPath);
  const text = decodeMapFile(bytes);
  const read = Number(process.hrtime.bigint() - t0) / 1e6;
  t0 = process.hrtime.bigint();
  const model = buildMemoryMap({ mapText: text });
  const analysis = Number(process.hrtime.bigint() - t0) / 1e6;
  t0 = process.hrtime.bigint();
  const json = JSON.stringify(model, null, 2);
  const stringify = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ read, analysis, stringify, jsonBytes: json.length }));
}

interface Cold {
  read: number;
  analysis: number;
  stringify: number;
}

function coldFigures(c: CorpusCase, runs: number): Cold {
  const xs: Cold[] = [];
  for (let i = 0; i <= runs; i++) {
    const r = spawnSync(process.execPath, [__filename, '--cold', c.mapPath], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold analysis of ${c.name} failed: ${r.stderr}`);
    if (i > 0) xs.push(JSON.parse(r.stdout) as Cold);
  }
  return {
    read: median(xs.map((x) => x.read)),
    analysis: median(xs.map((x) => x.analysis)),
    stringify: median(xs.map((x) => x.stringify)),
  };
}

export type CorpusResult = 'met' | 'missed' | 'not run';

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** Both goals on the corpus; 'not run' (said plainly) when the corpus is absent. */
export async function corpusBench(): Promise<CorpusResult> {
  console.log('\n== real-builds corpus: esp32mm map --map <file> --json ==');
  if (!corpusAvailable()) {
    console.log(`  ${CORPUS_ABSENT}`);
    console.log('  the corpus part of bench:map did NOT run: no figures, its two goals not checked');
    return 'not run';
  }
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const runs = Math.max(5, Number(process.env.BENCH_MAP_RUNS ?? 7));
  const withoutCa = process.env[EXTRA_CA] !== undefined;
  const cases = corpusCases();
  // What we time is a real analysis: exit 0 and a JSON model with regions, for every case.
  for (const c of cases) {
    const r = spawnSync(process.execPath, [cli, 'map', '--map', c.mapPath, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`esp32mm map --map ${c.name} exited ${r.status}: ${r.stderr}`);
    if (!Array.isArray((JSON.parse(r.stdout) as { regions?: unknown }).regions))
      throw new Error(`esp32mm map --map ${c.name}: no regions in its JSON`);
  }

  const loadBefore = load();
  interface Row {
    c: CorpusCase;
    mb: number;
    p: ProcessFigures;
    cold: Cold;
    ip: InProcess;
  }
  const rows: Row[] = [];
  for (const c of cases) {
    const mb = statSync(c.mapPath).size / 1e6;
    rows.push({ c, mb, p: processFigures(c, runs, withoutCa), cold: coldFigures(c, runs), ip: await inProcess(c, runs) });
  }
  const wall = (r: Row, k: Kind) => r.p[k]!.wall;
  const med = (f: (r: Row) => number, rs = rows) => median(rs.map(f));
  /** Mean CPU time of one process of this kind over all timed runs of all cases. */
  const cpu = (k: Kind): string => {
    const ps = rows.map((r) => r.p[k]!);
    if (ps.some((p) => p.cpuSum === undefined)) return 'n/a';
    return `${f1(ps.reduce((a, p) => a + p.cpuSum!, 0) / ps.reduce((a, p) => a + p.n, 0))} ms`;
  };

  console.log(
    `  ${cases.length} cases, medians of ${runs} runs after 1 warm-up; the processes of a round interleaved ` +
      `(esp32mm, naive read + split, node -e 0, dist/cli.js --version${withoutCa ? `, and the first three again without ${EXTRA_CA}` : ''}); ` +
      `load average ${loadBefore} (1, 5, 15 min) at the start, ${load()} at the end, on ${cpus().length} CPUs`,
  );
  const head = ['case'.padEnd(22), '  MB', 'esp32mm', '  naive', 'ratio'];
  if (withoutCa) head.push('| no extra CA: esp32mm', '  naive', 'ratio');
  head.push('| fresh process: analysis', '| warm: analysis', 'ms/MB', 'decode', 'loadMemoryMap');
  console.log('  ' + head.join('  ') + '   (ms)');
  for (const r of rows) {
    const cells = [
      r.c.name.padEnd(22),
      r.mb.toFixed(2),
      f1(wall(r, 'ours')).padStart(7),
      f1(wall(r, 'naive')).padStart(7),
      `${(wall(r, 'ours') / wall(r, 'naive')).toFixed(2)}x`,
    ];
    if (withoutCa)
      cells.push(
        '|',
        f1(wall(r, 'ours-')).padStart(19),
        f1(wall(r, 'naive-')).padStart(7),
        `${(wall(r, 'ours-') / wall(r, 'naive-')).toFixed(2)}x`,
      );
    cells.push(
      '|',
      f1(r.cold.analysis).padStart(22),
      '|',
      f1(r.ip.analysis).padStart(14),
      f1(r.ip.analysis / r.mb).padStart(5),
      f1(r.ip.decode).padStart(6),
      f1(r.ip.load).padStart(13),
    );
    console.log('  ' + cells.join('  '));
  }

  const ours = med((r) => wall(r, 'ours'));
  const naive = med((r) => wall(r, 'naive'));
  const node = med((r) => wall(r, 'node'));
  const bundle = med((r) => wall(r, 'bundle'));
  console.log(
    `  whole process, median over the ${rows.length} cases: esp32mm map --json ${f1(ours)} ms, naive read + split ${f1(naive)} ms: ` +
      `ratio ${(ours / naive).toFixed(2)}x; node -e 0 ${f1(node)} ms, dist/cli.js --version ${f1(bundle)} ms`,
  );
  console.log(
    `    esp32mm = Node start-up ${f1(node)} + loading dist/cli.js ${f1(bundle - node)} + reading, analysing, printing ${f1(ours - bundle)} ms; ` +
      `in a fresh process (first call, nothing compiled yet) the analysis alone takes ${f1(med((r) => r.cold.analysis))} ms, ` +
      `read + decode ${f1(med((r) => r.cold.read))} ms, JSON.stringify ${f1(med((r) => r.cold.stringify))} ms`,
  );
  console.log(
    `    CPU time (user + system) per process, mean of all runs: esp32mm ${cpu('ours')}, naive ${cpu('naive')}, node -e 0 ${cpu('node')}, ` +
      `dist/cli.js --version ${cpu('bundle')}${withoutCa ? `; without ${EXTRA_CA}: esp32mm ${cpu('ours-')}, naive ${cpu('naive-')}, node -e 0 ${cpu('node-')}` : ''}`,
  );
  if (withoutCa) {
    const oursNo = med((r) => wall(r, 'ours-'));
    const naiveNo = med((r) => wall(r, 'naive-'));
    console.log(
      `    ${EXTRA_CA} is set here: every Node process reads and parses that file at start-up. Without it: esp32mm ${f1(oursNo)} ms, ` +
        `naive ${f1(naiveNo)} ms (ratio ${(oursNo / naiveNo).toFixed(2)}x), node -e 0 ${f1(med((r) => wall(r, 'node-')))} ms`,
    );
  }

  if (nodeFlags.length) {
    const fl = med((r) => wall(r, 'flags'));
    console.log(
      `    with node ${nodeFlags.join(' ')} (BENCH_MAP_NODE_FLAGS): esp32mm ${f1(fl)} ms (${(fl / ours).toFixed(2)}x the plain run, ` +
        `${(fl / naive).toFixed(2)}x the naive baseline), CPU ${cpu('flags')} per process`,
    );
  }

  const judge = (k: Kind) => {
    const mid = rows.filter((r) => r.mb >= 2 && r.mb <= 3);
    const worst = mid.reduce((a, r) => (wall(r, k) > wall(a, k) ? r : a), mid[0]);
    return { mid, worst, median: med((r) => wall(r, k), mid), ok: mid.length > 0 && mid.every((r) => wall(r, k) <= GOAL_PROCESS_MS) };
  };
  const g = judge('ours');
  const naiveMid = med((r) => wall(r, 'naive'), g.mid);
  console.log(
    `  2–3 MB maps (${g.mid.length} cases), esp32mm per case: ${g.mid.map((r) => `${r.c.name} ${f1(wall(r, 'ours'))}`).join(', ')} ms`,
  );
  console.log(
    `    median ${f1(g.median)} ms, slowest ${f1(wall(g.worst, 'ours'))} ms (${g.worst.c.name}); naive read + split of the same maps ${f1(naiveMid)} ms: ratio ${(g.median / naiveMid).toFixed(2)}x`,
  );

  const perMb = med((r) => r.ip.analysis / r.mb);
  const worstMb = Math.max(...rows.map((r) => r.ip.analysis / r.mb));
  const coldMb = med((r) => r.cold.analysis / r.mb);
  const okMb = perMb <= GOAL_MS_PER_MB;
  const above = rows.filter((r) => r.ip.analysis / r.mb > GOAL_MS_PER_MB).length;
  console.log(
    `  in process, buildMemoryMap({ mapText }) on text decoded once, warm: median ${f1(perMb)} ms/MB, worst case ${f1(worstMb)} ms/MB ` +
      `(CPU time: median ${f1(med((r) => r.ip.analysisCpu / r.mb))} ms/MB, which machine load changes less); ` +
      `the first call in a fresh process: median ${f1(coldMb)} ms/MB (${(coldMb / perMb).toFixed(1)}x the warm figure)`,
  );
  console.log(
    `  GOAL whole process <= ${GOAL_PROCESS_MS} ms for each 2–3 MB map: ${g.ok ? 'met' : 'NOT met'}: median ${f1(g.median)} ms, slowest ${f1(wall(g.worst, 'ours'))} ms, ` +
      `${(g.median / GOAL_PROCESS_MS).toFixed(1)}x the goal; the naive read + split alone takes ${f1(naiveMid)} ms and node -e 0 ${f1(node)} ms here` +
      (withoutCa
        ? ` (without ${EXTRA_CA}: ${judge('ours-').ok ? 'met' : 'NOT met'}, median ${f1(judge('ours-').median)} ms, slowest ${f1(wall(judge('ours-').worst, 'ours-'))} ms)`
        : ''),
  );
  console.log(
    `  GOAL in process <= ${GOAL_MS_PER_MB} ms of analysis per MB: ${okMb ? 'met' : 'NOT met'}: median ${f1(perMb)} ms/MB over ${rows.length} cases, ` +
      `${above} case${above === 1 ? '' : 's'} above ${GOAL_MS_PER_MB} ms/MB`,
  );
  return g.ok && okMb ? 'met' : 'missed';
}
