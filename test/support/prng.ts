/**
 * mulberry32: a small deterministic pseudo-random number generator for tests and data sets, so a
 * failing run replays from its seed. Returns a function yielding numbers in [0, 1); each call
 * advances the generator's own state (generators do not share state).
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
