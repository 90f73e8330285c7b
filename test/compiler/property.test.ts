/**
 * Property test: random programs inside the subset (test/compiler/property-gen.ts) must compile,
 * pass the kernel verifier, and agree with an independent evaluation of the same program on
 * random packets: same return value, same output packet, same global. TSBPF_PROPERTY_COUNT
 * (default 200) and TSBPF_PROPERTY_SEED choose the programs; a failure prints its source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { formatDiagnostic } from '../../src/compiler/diagnostics.js';
import { loadObject } from '../../src/loader/index.js';
import { need } from '../helpers/env.js';
import { evaluate } from './property-eval.js';
import { Gen, render, rng } from './property-gen.js';

const COUNT = Number(process.env.TSBPF_PROPERTY_COUNT ?? 200);
const SEED = Number(process.env.TSBPF_PROPERTY_SEED ?? 20240509);
const PACKETS = 6;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('generated programs compile without diagnostics (no kernel needed)', () => {
  for (let i = 0; i < COUNT; i++) {
    const p = new Gen(rng(SEED + i)).program(`prop_${i}`);
    const src = render([p]);
    const r = compile(src, { file: `prop_${i}.bpf.ts` });
    assert.ok(r.object, `program ${i} (seed ${SEED + i}) does not compile:\n${r.diagnostics.map(formatDiagnostic).join('\n')}\n${src}`);
  }
});

test(`${COUNT} random programs: verifier accepts them and the kernel agrees with the evaluator`, { timeout: 600_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  let runs = 0;
  for (let i = 0; i < COUNT; i++) {
    const seed = SEED + i;
    const p = new Gen(rng(seed)).program(`prop_${i}`);
    const src = render([p]);
    const r = compile(src, { file: `prop_${i}.bpf.ts` });
    assert.ok(r.object, `program ${i} (seed ${seed}) does not compile:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
    let obj;
    try {
      obj = await loadObject(r.object, { name: `prop${i}` });
    } catch (e) {
      assert.fail(`program ${i} (seed ${seed}) was rejected: ${(e as Error).message}\n${src}`);
    }
    try {
      const pr = rng(seed * 7 + 1);
      let gOut = 0n;
      for (let k = 0; k < PACKETS; k++) {
        const len = 14 + Math.floor(pr() * 70);
        const pkt = Uint8Array.from({ length: len }, () => Math.floor(pr() * 256));
        const want = evaluate(p, pkt, gOut);
        const got = obj.program(p.name).testRun(pkt);
        const gotOut = obj.readGlobal('g_out') as bigint;
        const ctx = `program ${i} (seed ${seed}), packet ${hex(pkt)}:\n${src}`;
        assert.equal(BigInt(got.retval >>> 0), want.ret, `return value of ${ctx}`);
        assert.equal(hex(got.data), hex(want.packet), `output packet of ${ctx}`);
        assert.equal(BigInt(gotOut), want.out, `g_out of ${ctx}`);
        gOut = want.out;
        runs++;
      }
    } finally {
      obj.close();
    }
  }
  assert.equal(runs, COUNT * PACKETS);
});
