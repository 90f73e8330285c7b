/**
 * Helpers filling the place their buffer is copied to (src/compiler/opt-buf.ts): the copy goes
 * when nothing else reads the buffer and nothing touches the destination before the copy; it
 * stays otherwise. Checked in the instructions (where the helper writes, which loads remain) and,
 * on the kernel, by what each program stores (raw tracepoints under PROG_TEST_RUN: the test's own
 * thread is `current`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { need } from '../helpers/env.js';
import { loadObject } from '../../src/loader/index.js';
import { bytesCodec } from '../../src/maps/index.js';
import { LogReader } from '../../src/log/index.js';
import { addressOf, pinnedBytes } from '../../src/sys/libc.js';
import { buildExample, buildSource, llvmInsns, withTempFile } from './helpers.js';

const SRC = `
import { rawTracepoint, log, get_current_comm, probe_read_user_str, ArrayMap, type u32, type char, type FixedArray } from "tsbpf/kernel";

interface Rec {
  n: u32;
  comm: FixedArray<char, 16>;
  tail: u32;
}

const out = new ArrayMap<Rec>({ maxEntries: 8 });

// forwarded: the helper fills the struct literal's field and the log record's
export const into_literal = rawTracepoint((ctx) => {
  out.update(0, { n: 1, comm: get_current_comm(), tail: 9 });
  log.info(ctx, "comm {} n {}", get_current_comm(), ctx.arg(1));
});

// forwarded: a checked read copied into a struct built after the check
export const checked_read = rawTracepoint((ctx) => {
  const s = probe_read_user_str(ctx.arg(0), 16);
  if (!s) return;
  const r: Rec = { n: 2, comm: s, tail: 9 };
  out.update(1, r);
});

// kept: the destination is written between the call and the copy
export const written_between = rawTracepoint((ctx) => {
  const r: Rec = { n: 3, tail: 9 };
  const c = get_current_comm();
  r.comm[0] = 88;
  r.comm = c;
  out.update(2, r);
});

// kept: on the path without the copy, the destination's earlier bytes (zeros) are stored
export const other_path = rawTracepoint((ctx) => {
  const r: Rec = { n: 4, tail: 9 };
  const c = get_current_comm();
  if (ctx.arg(1) === 1) r.comm = c;
  out.update(3, r);
});

// kept: the buffer is copied twice
export const two_copies = rawTracepoint((ctx) => {
  const c = get_current_comm();
  out.update(4, { n: 5, comm: c, tail: 9 });
  out.update(5, { n: 6, comm: c, tail: 9 });
});

// kept: the copy runs once per iteration, the helper once (a loop the compiler does not unroll)
export const loop_copy = rawTracepoint((ctx) => {
  const c = get_current_comm();
  for (let i: u32 = 0; i < 100; i++) {
    const r: Rec = { n: i, comm: c, tail: 9 };
    if (i === 99) out.update(6, r);
    r.comm[0] = 88;
    out.update(7, r);
  }
});
`;

/** llvm-objdump's instruction lines of one function (from its `<name>:` label to the next). */
function fnInsns(obj: Uint8Array, name: string): string[] {
  const text = withTempFile(obj, (p) => {
    const r = spawnSync('llvm-objdump', ['-d', '--no-show-raw-insn', p], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`llvm-objdump failed: ${r.stderr}`);
    return r.stdout;
  });
  const out: string[] = [];
  let inside = false;
  for (const l of text.split('\n')) {
    const label = /^[0-9a-f]+ <(\w+)>:$/.exec(l);
    if (label) inside = label[1] === name;
    else if (inside && /^\s+\d+:\t/.test(l)) out.push(l.trim().replace(/\s+/g, ' '));
  }
  assert.ok(out.length, `function ${name}`);
  return out;
}

/** The stack offset `rN` holds at the call on line `at`: the nearest `rN = r10` / `rN += K` pair before it. */
function argAddr(insns: string[], at: number, reg: number): number {
  for (let k = at - 1; k > 0; k--) {
    const m = new RegExp(`^\\d+: r${reg} \\+= (-?\\d+)$`).exec(insns[k]);
    if (m && new RegExp(`^\\d+: r${reg} = r10$`).test(insns[k - 1])) return Number(m[1]);
  }
  throw new Error(`no stack address in r${reg} before ${insns[at]}`);
}

const callAt = (insns: string[], helper: number, nth = 0): number => {
  const idx = insns.flatMap((l, k) => (new RegExp(`^\\d+: call ${helper}$`).test(l) ? [k] : []));
  assert.ok(idx.length > nth, `call ${helper} #${nth}`);
  return idx[nth];
};

/** Stack offsets loads read from (`rX = *(uN *)(r10 - K)`). */
const stackLoads = (insns: string[]): number[] =>
  insns.flatMap((l) => {
    const m = /= \*\(u\d+ \*\)\(r10 - (\d+)\)$/.exec(l);
    return m && !/^\d+: \*/.test(l) ? [-Number(m[1])] : [];
  });

test('a helper buffer copied once into a struct or log record is written there; otherwise the copy stays', (t) => {
  if (!need(t, { tools: ['llvm-objdump'] })) return;
  const obj = buildSource(SRC, 'forward.bpf.ts').object;

  const lit = fnInsns(obj, 'into_literal');
  assert.deepEqual(stackLoads(lit), [], 'into_literal reads nothing back from the stack');
  // bpf_get_current_comm (16) fills the map value being built at +4 (Rec.comm)
  const update = callAt(lit, 2);
  assert.equal(argAddr(lit, callAt(lit, 16, 0), 1), argAddr(lit, update, 3) + 4, 'comm written into the map value being built');
  // the record: id, padding, n (u64) at 8, comm at 16 (layoutRecord puts the widest first)
  const output = callAt(lit, 130);
  assert.equal(argAddr(lit, callAt(lit, 16, 1), 1), argAddr(lit, output, 2) + 16, 'comm written into the log record');

  const rd = fnInsns(obj, 'checked_read');
  assert.deepEqual(stackLoads(rd), [], 'checked_read reads nothing back from the stack');
  assert.equal(argAddr(rd, callAt(rd, 114), 1), argAddr(rd, callAt(rd, 2), 3) + 4, 'the string read into the struct field');

  for (const name of ['written_between', 'other_path', 'two_copies', 'loop_copy']) {
    const ins = fnInsns(obj, name);
    const buf = argAddr(ins, callAt(ins, 16), 1);
    const loads = stackLoads(ins).filter((o) => o >= buf && o < buf + 16);
    assert.equal(loads.length, 4, `${name}: the copy from the buffer stays (${loads})`);
  }
});

test('kprobe-openat: get_current_comm and the file name are written into the log record (clang: 93 instructions)', (t) => {
  if (!need(t, { tools: ['llvm-objdump'] })) return;
  const r = buildExample('kprobe-openat');
  const entry = r.functions.find((f) => f.name === 'openat2_entry')!;
  const total = r.functions.reduce((n, f) => n + f.insns, 0);
  assert.ok(total <= 93, `kprobe-openat: ${total} instructions`);
  const ins = withTempFile(r.object, (p) => llvmInsns(p, 'kprobe/do_sys_openat2'));
  const rec = argAddr(ins, callAt(ins, 130), 2);
  const size = Number(/w3 = (\d+)$/.exec(ins[callAt(ins, 130) - 2])?.[1]);
  for (const helper of [16, 114]) {
    const at = argAddr(ins, callAt(ins, helper), 1);
    assert.ok(at >= rec + 8 && at < rec + size, `helper ${helper} writes into the record (${at} in ${rec}..${rec + size})`);
  }
  assert.ok(entry.insns <= 71, `openat2_entry: ${entry.insns}`);
});

test('forwarded and kept copies store the same bytes on the kernel', async (t) => {
  if (!need(t, { kernel: true })) return;
  const obj = await loadObject(buildSource(SRC, 'forward.bpf.ts').object, { name: 'fwd', log: 'info' });
  const logs = LogReader.open(obj);
  try {
    const comm = readFileSync(`/proc/self/task/${process.pid}/comm`, 'utf8').replace(/\n$/, '');
    const commBytes = new Uint8Array(16);
    commBytes.set(new TextEncoder().encode(comm).subarray(0, 15));
    const str = pinnedBytes(32);
    str.set(new TextEncoder().encode('tsbpf-fwd\0'));
    const args = (a0: bigint, a1: bigint): Uint8Array => {
      const b = new Uint8Array(16);
      const v = new DataView(b.buffer);
      v.setBigUint64(0, a0, true);
      v.setBigUint64(8, a1, true);
      return b;
    };
    const run = (name: string, a1 = 0n): void => {
      assert.equal(obj.program(name).testRun(new Uint8Array(0), { ctxIn: args(addressOf(str), a1) }).retval, 0, name);
    };
    const out = obj.map('out', { key: bytesCodec(4), value: bytesCodec(24) });
    const rec = (k: number): { n: number; comm: Uint8Array; tail: number } => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      const v = out.get(key) as Uint8Array;
      const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
      return { n: d.getUint32(0, true), comm: v.slice(4, 20), tail: d.getUint32(20, true) };
    };
    const check = (k: number, n: number, comm: Uint8Array): void => {
      const r = rec(k);
      assert.deepEqual({ n: r.n, tail: r.tail }, { n, tail: 9 }, `record ${k}`);
      assert.deepEqual([...r.comm], [...comm], `record ${k}: comm`);
    };

    run('into_literal', 77n);
    check(0, 1, commBytes);
    const logged = [...(function* () { for (let x = logs.next(); x; x = logs.next()) yield x; })()].map((x) => x.message);
    assert.deepEqual(logged, [`comm ${comm} n 77`]);

    run('checked_read');
    const r1 = rec(1);
    assert.equal(r1.n, 2);
    assert.equal(new TextDecoder().decode(r1.comm.subarray(0, 10)), 'tsbpf-fwd\0', 'the string up to its NUL');

    run('written_between');
    check(2, 3, commBytes);
    run('other_path', 0n);
    check(3, 4, new Uint8Array(16));
    run('other_path', 1n);
    check(3, 4, commBytes);
    run('two_copies');
    check(4, 5, commBytes);
    check(5, 6, commBytes);
    run('loop_copy');
    check(6, 99, commBytes);
    check(7, 99, Uint8Array.from(commBytes, (x, i) => (i === 0 ? 88 : x)));
  } finally {
    logs.close();
    obj.close();
  }
});
