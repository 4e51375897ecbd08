// The one seeded PRNG of the tests (mulberry32): every random choice in a test comes from it,
// so a failing run is replayed from its seed.

/** Numbers in [0, 1) from `seed`; the same seed gives the same sequence in every run. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` reproducible pseudo-random bytes: the same seed gives the same file in every run. */
export function seededBytes(n: number, seed: number | (() => number)): Buffer {
  const rnd = typeof seed === 'number' ? seededRandom(seed) : seed;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) {
    const v = Math.floor(rnd() * 4294967296);
    for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
  }
  return out;
}
