/**
 * Long fuzz run over the same readers as test/fuzz/fuzz.test.ts.
 *   node dist/scripts/soak-fuzz.js [CASES] [SEED]     (defaults: 1,000,000 cases, a random seed)
 * Prints progress, stops at the first input that escapes as a non-TsbpfError and saves it.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzSeeds } from '../test/fuzz/seeds.js';
import { Rng, exercise, mutate } from '../test/fuzz/mutate.js';

const cases = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? (Math.random() * 2 ** 32) >>> 0);
const seeds = fuzzSeeds();
const rng = new Rng(seed);
const started = Date.now();
let slowest = 0;
let parsed = 0;
console.log(`soak-fuzz: ${cases} cases, seed ${seed}, ${seeds.length} seed objects`);
for (let i = 0; i < cases; i++) {
  const s = seeds[i % seeds.length]!;
  const { bytes, how } = mutate(s, rng);
  const t0 = performance.now();
  const r = exercise(bytes);
  slowest = Math.max(slowest, performance.now() - t0);
  if (r.ok >= 5) parsed++;
  if (r.failure) {
    const file = join(tmpdir(), `tsbpf-soak-${seed}-${i}.o`);
    writeFileSync(file, bytes);
    const e = r.failure.error;
    console.error(`case ${i} (${s.name}, ${how}) threw a non-TsbpfError in ${r.failure.stage}: ${e instanceof Error ? e.stack : String(e)}\ninput saved to ${file}`);
    process.exit(1);
  }
  if ((i + 1) % 100_000 === 0) console.log(`${i + 1} cases, ${((Date.now() - started) / 1000).toFixed(0)} s, slowest ${slowest.toFixed(1)} ms, fully parsed ${parsed}`);
}
console.log(`done: ${cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, slowest ${slowest.toFixed(1)} ms, fully parsed ${parsed}; no escapes`);
