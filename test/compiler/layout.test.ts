/**
 * Block layout and the post-allocation clean-up, on hand-built IR (physical registers only, as
 * after register allocation): tests decided by the branch taken to reach them, commuted moves,
 * merging identical blocks, and which side of a branch falls through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Block, Func, Inst, Term } from '../../src/compiler/ir.js';
import { cleanup, order, outcome } from '../../src/compiler/layout.js';
import { commuteMoves, foldAdds } from '../../src/compiler/peephole.js';
import { parseObject } from '../../src/object/index.js';
import type { Insn } from '../../src/insn/types.js';
import { buildExample } from './helpers.js';

let nextId = 0;
function blk(insts: Inst[], term: Term = { op: 'exit', pos: 0 }): Block {
  return { id: nextId++, insts, term };
}
const ret = (k: number): Block => blk([{ op: 'mov', w: 32, dst: 0, src: { imm: k }, pos: 0 }]);
const jcc = (cc: 'eq' | 'ne' | 'gt' | 'sgt', a: number, b: number, t: Block, f: Block, w: 32 | 64 = 64, extra: Partial<Term> = {}): Term =>
  ({ op: 'jcc', cc, w, a, b: { imm: b }, t, f, pos: 0, ...extra }) as Term;
function fn(blocks: Block[]): Func {
  return { name: 'f', blocks, nregs: 16, frame: 0, pointers: new Set(), nparams: 1, pos: 0 };
}
const jumpOf = (b: Block) => b.term as Term & { op: 'jcc' };

test('a branch into an empty block whose test it decides goes straight to the outcome', () => {
  const pass = ret(2);
  const drop = ret(1);
  const work = blk([{ op: 'ld', size: 'u32', dst: 1, base: 0, off: 0, pos: 0 }], { op: 'exit', pos: 0 });
  // `if (m && m.v === 1) … if (m && m.v === 2)`: the second null test of r0 is decided on both edges
  const again = blk([], jcc('eq', 0, 0, pass, work));
  const first = blk([{ op: 'mov', w: 64, dst: 0, src: { r: 1 }, pos: 0 }], jcc('eq', 0, 0, again, drop));
  const f = fn([first, again, pass, drop, work]);
  cleanup(f);
  assert.equal(jumpOf(f.blocks[0]).t, pass, 'r0 == 0 taken: the repeated r0 == 0 holds');
  assert.ok(!f.blocks.includes(again), 'the re-test is no longer reached');
});

test('after x == C, compares of x with other constants are decided (width and signedness as BPF)', () => {
  const t = blk([]);
  const f = blk([]);
  const known = (cc: 'eq' | 'ne', imm: number, w: 32 | 64 = 64) => jcc(cc, 1, imm, t, f, w) as Term & { op: 'jcc' };
  const test2 = (cc: 'eq' | 'ne' | 'gt' | 'sgt', imm: number, w: 32 | 64 = 64) => jcc(cc, 1, imm, t, f, w) as Term & { op: 'jcc' };
  assert.equal(outcome(known('eq', 1), true, test2('eq', 2)), false);
  assert.equal(outcome(known('eq', 1), false, test2('eq', 2)), undefined, 'x != 1 says nothing about x == 2');
  assert.equal(outcome(known('ne', 1), false, test2('eq', 2)), false, 'not (x != 1): x == 1');
  assert.equal(outcome(known('eq', 7), true, test2('ne', 7)), false, 'the inverse test');
  assert.equal(outcome(known('ne', 7), true, test2('ne', 7)), true, 'the same test');
  // -1 is all ones: unsigned it is above 5, signed it is below
  assert.equal(outcome(known('eq', -1), true, test2('gt', 5)), true);
  assert.equal(outcome(known('eq', -1), true, test2('sgt', 5)), false);
  assert.equal(outcome(known('eq', -1, 32), true, test2('gt', 5, 32)), true);
  assert.equal(outcome(known('eq', 3), true, test2('gt', 3)), false);
});

test('a test of another register or width is not decided', () => {
  const t = blk([]);
  const f = blk([]);
  const a = jcc('eq', 0, 0, t, f);
  const b = blk([], jcc('eq', 0, 0, t, f, 32));
  const c = blk([], jcc('eq', 2, 0, t, f));
  const first = blk([], { ...a, t: b, f: c } as Term);
  const g = fn([first, b, c, t, f]);
  cleanup(g);
  assert.equal(jumpOf(g.blocks[0]).t, b);
  assert.equal(jumpOf(g.blocks[0]).f, c);
});

test('w3 += w1; r1 = r3 with r3 dead afterwards becomes w1 += w3', () => {
  const mk = (later: Inst[], w: 32 | 64 = 32): Func =>
    fn([blk([
      { op: 'alu', alu: 'add', w, dst: 3, src: { r: 1 }, pos: 5 },
      { op: 'mov', w: 64, dst: 1, src: { r: 3 }, pos: 6 },
      ...later,
      { op: 'mov', w: 64, dst: 0, src: { r: 1 }, pos: 7 },
    ])]);
  const f = mk([]);
  commuteMoves(f);
  assert.deepEqual(f.blocks[0].insts.slice(0, 1), [{ op: 'alu', alu: 'add', w: 32, dst: 1, src: { r: 3 }, pos: 5 }]);
  assert.equal(f.blocks[0].insts.length, 2);
  const live = mk([{ op: 'st', size: 'u32', base: 10, off: -4, src: { r: 3 }, pos: 0 }]);
  commuteMoves(live);
  assert.equal(live.blocks[0].insts.length, 4, 'r3 is read later: kept');
  const wide = mk([], 64);
  commuteMoves(wide);
  assert.equal(wide.blocks[0].insts.length, 3, '64-bit operations may be pointer arithmetic: kept');
});

test('identical blocks merge; a differing optional field or position-only difference is told apart', () => {
  const st = (keepImm?: boolean, pos = 0): Inst => ({ op: 'st', size: 'u64', base: 10, off: -8, src: { imm: 1 }, pos, ...(keepImm ? { keepImm } : {}) });
  const join = ret(2);
  const a = blk([st(false, 1)], { op: 'br', to: join, pos: 0 });
  const b = blk([st(false, 2)], { op: 'br', to: join, pos: 0 });
  const c = blk([st(true)], { op: 'br', to: join, pos: 0 });
  const mid = blk([], jcc('eq', 1, 0, b, c));
  const entry = blk([], jcc('eq', 1, 1, a, mid));
  const f = fn([entry, a, mid, b, c, join]);
  cleanup(f);
  assert.ok(f.blocks.includes(a) && !f.blocks.includes(b), 'b merged into a (only pos differs)');
  assert.ok(f.blocks.includes(c), 'c stores with keepImm: different');
  const m = f.blocks.find((x) => x.term.op === 'jcc' && jumpOf(x).f === c);
  assert.ok(m, 'the test choosing between b and c is still there');
  assert.equal(jumpOf(m).t, a, 'and now leads to a');
});

test('an early return falls through only when the expectation is a null/length check', () => {
  const counted = blk([
    { op: 'ldsym', dst: 1, kind: 'data', symbol: 'n', offset: 0, pos: 0 },
    { op: 'ld', size: 'u64', dst: 2, base: 1, off: 0, pos: 0 },
    { op: 'alu', alu: 'add', w: 64, dst: 2, src: { imm: 1 }, pos: 0 },
    { op: 'st', size: 'u64', base: 1, off: 0, src: { r: 2 }, pos: 0 },
  ], { op: 'br', to: ret(2), pos: 0 });
  const rest = blk([{ op: 'call', helper: 5, nargs: 0, pos: 0 }], jcc('eq', 0, 0, ret(1), ret(3)));
  const src = fn([blk([], jcc('ne', 1, 17, counted, rest, 32, { hot: 't' })), counted, rest]);
  assert.equal(order(src)[1], rest, 'source order only: `n++; return` is jumped to');
  const sure = fn([blk([], jcc('ne', 1, 17, counted, rest, 32, { hot: 't', sure: true })), counted, rest]);
  assert.equal(order(sure)[1], counted, 'after a null check the expected side falls through');
});

test('consecutive additions of constants to one register fold (within the immediate range)', () => {
  const add = (dst: number, imm: number, w: 32 | 64 = 32): Inst => ({ op: 'alu', alu: 'add', w, dst, src: { imm }, pos: 0 });
  const f = fn([blk([add(1, 4), add(1, 1), add(2, 3), add(1, 7), add(3, 0x7fff_ffff, 64), add(3, 1, 64), add(4, 5, 64), add(4, -5, 64)])]);
  foldAdds(f);
  assert.deepEqual(f.blocks[0].insts.map((i) => (i.op === 'alu' ? `${i.dst}:${i.w}:${i.src.imm}` : i.op)), ['1:32:5', '2:32:3', '1:32:7', '3:64:2147483647', '3:64:1']);
});

/**
 * Branches of the likely path in emitted code: each test of a map-lookup or ring-buffer-reserve
 * result against 0 jumps away on null, and each packet-length test (`if rA > rEnd`) jumps away
 * when the packet is short; the path where the program does its work falls through.
 */
function unlikelyBranchesTaken(insns: Insn[]): string[] {
  const bad: string[] = [];
  const nullable = new Set<number>();
  insns.forEach((i, k) => {
    if (i.kind === 'call') {
      for (let r = 0; r <= 5; r++) nullable.delete(r);
      if (i.target === 'helper' && (i.imm === 1 || i.imm === 131)) nullable.add(0);
      return;
    }
    if (i.kind === 'alu' && i.op === 'mov' && i.width === 64 && i.src !== undefined && nullable.has(i.src)) {
      nullable.add(i.dst);
      return;
    }
    if (i.kind === 'jmp') {
      if (i.imm === 0 && nullable.has(i.dst) && i.op !== 'eq') bad.push(`${k}: null test jumps when ${i.op} 0`);
      if (i.src !== undefined && i.width === 64 && i.op !== 'gt' && i.op !== 'eq' && i.op !== 'ne') bad.push(`${k}: packet-length test jumps on ${i.op}`);
      return;
    }
    if ('dst' in i && typeof i.dst === 'number' && i.kind !== 'stx' && i.kind !== 'st') nullable.delete(i.dst);
  });
  return bad;
}

test('examples: null checks and packet-length checks fall through on the likely outcome', () => {
  for (const name of ['percpu-counter', 'udp-drop', 'ringbuf-events', 'udp-log']) {
    const obj = parseObject(buildExample(name).object);
    for (const p of obj.programs) assert.deepEqual(unlikelyBranchesTaken(p.insns), [], `${name}: ${p.name}`);
  }
  // the checker itself: a lookup tested with `!= 0` (the non-null path jumps) is reported
  const flipped: Insn[] = [{ kind: 'call', target: 'helper', imm: 1 }, { kind: 'jmp', width: 64, op: 'ne', dst: 0, imm: 0, off: 2 }];
  assert.equal(unlikelyBranchesTaken(flipped).length, 1);
});
