/**
 * Bad input never escapes as anything but a TsbpfError: 10,000+ mutated objects (bit flips,
 * truncation, random and huge values in headers, section and symbol tables, string tables,
 * relocations, BTF and BTF.ext) through readElf, BTF parsing, parseObject and the readelf
 * renderer. Deterministic (seed TSBPF_FUZZ_SEED, default below); failures are saved for replay.
 * scripts/soak-fuzz.ts runs many more cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, exercise, mutate } from './mutate.js';
import { fuzzSeeds } from './seeds.js';

const CASES = Number(process.env.TSBPF_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.TSBPF_FUZZ_SEED ?? 0x7b9f);

test(`fuzz: ${CASES} mutated objects give results or TsbpfErrors, nothing else`, () => {
  const seeds = fuzzSeeds();
  for (const s of seeds) assert.equal(exercise(s.bytes).failure, undefined, `the unmutated seed ${s.name} must parse`);
  const rng = new Rng(SEED);
  let slowest = 0;
  let fullyParsed = 0;
  for (let i = 0; i < CASES; i++) {
    const seed = seeds[i % seeds.length]!;
    const { bytes, how } = mutate(seed, rng);
    const start = performance.now();
    const r = exercise(bytes);
    slowest = Math.max(slowest, performance.now() - start);
    if (r.ok >= 5) fullyParsed++;
    if (r.failure) {
      const saved = join(tmpdir(), `tsbpf-fuzz-failure-${SEED}-${i}.o`);
      writeFileSync(saved, bytes);
      const e = r.failure.error;
      assert.fail(`case ${i} (seed ${SEED}, ${seed.name}, ${how}) threw a non-TsbpfError in ${r.failure.stage}: ${e instanceof Error ? e.stack : String(e)}\n  input saved to ${saved}`);
    }
  }
  // A hang guard, not a performance goal: one case must never take seconds.
  assert.ok(slowest < 5000, `slowest case took ${slowest.toFixed(0)} ms`);
  // The mutations must not all be rejected at the first byte: many still parse completely.
  assert.ok(fullyParsed > CASES / 20, `only ${fullyParsed} of ${CASES} mutated objects parsed completely`);
});
