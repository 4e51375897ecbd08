// Upload throughput over a simulated USB-serial line: 921600 baud (92160 payload bytes/s
// with 8N1 framing) and 5 ms latency each way, simulated by the fault proxy between two
// socat pty pairs, with the real host agent (the device C code) on the far end.
// Prints the sliding-window protocol side by side with a stop-and-wait, 256-byte-frame
// baseline (REPL-style uploaders) measured in the same run.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientOptions, connectAgent } from '../src/core/transfer';
import { AGENT, proxiedAgent } from '../test/tools/transfer/harness';

const BAUD = 921600;
const LINE_BYTES_PER_S = BAUD / 10; // start + 8 data + stop bits
const LATENCY_MS = 5;

async function measure(label: string, size: number, opts: ClientOptions) {
  const card = mkdtempSync(join(tmpdir(), 'mm-bench-'));
  const link = await proxiedAgent(card, { bytesPerSecond: LINE_BYTES_PER_S, latencyMs: LATENCY_MS }, [], AGENT);
  try {
    const client = await connectAgent(link.port, BAUD, opts);
    const data = randomBytes(size);
    const t0 = performance.now();
    const r = await client.upload('/mm/bench.bin', data);
    const s = (performance.now() - t0) / 1000;
    await client.close();
    if (!readFileSync(join(card, 'mm', 'bench.bin')).equals(data)) throw new Error(`${label}: the uploaded file differs`);
    const rate = size / s;
    return { label, size, seconds: s, rate, percent: (100 * rate) / LINE_BYTES_PER_S, wire: r.bytesSent };
  } finally {
    await link.stop();
    rmSync(card, { recursive: true, force: true });
  }
}

async function main() {
  const windowed = await measure('sliding window (1024-byte frames, 8 KiB window)', 512 * 1024, {});
  const baseline = await measure('stop-and-wait, 256-byte frames (baseline)', 64 * 1024, {
    maxData: 256,
    window: 256,
    adaptiveFrames: false,
  });
  console.log(`line: ${BAUD} baud = ${LINE_BYTES_PER_S} bytes/s, ${LATENCY_MS} ms latency each way (simulated)`);
  for (const m of [windowed, baseline]) {
    console.log(
      `${m.label.padEnd(50)} ${(m.size / 1024).toFixed(0).padStart(4)} KiB in ${m.seconds.toFixed(2).padStart(6)} s: ` +
        `${(m.rate / 1024).toFixed(1).padStart(5)} KiB/s = ${m.percent.toFixed(1).padStart(5)} % of line rate`,
    );
  }
  console.log(
    `ratio: ${(windowed.rate / baseline.rate).toFixed(2)}x the stop-and-wait baseline; goal >= 90 % of line rate: ${windowed.percent >= 90 ? 'met' : 'NOT met'}`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
