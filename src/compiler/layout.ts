/**
 * Block-level clean-up after register allocation: drop unreachable and empty blocks, copy small
 * `… ; exit` tails into the blocks that jump to them, skip tests whose outcome the branch taken
 * to reach them already decided, merge identical exits, and order blocks so that the path the
 * source expects falls through (a jump is emitted only where needed).
 */
import type { JmpOp } from '../insn/types.js';
import type { Block, Func, Inst, Opnd, Term } from './ir.js';
import { successors } from './ir.js';
import { commuteMoves, copyPeephole, foldAdds } from './peephole.js';

/** The condition that holds exactly when `cc` does not (`set`, a bit test, has none). */
export const INVERT: Partial<Record<JmpOp, JmpOp>> = {
  eq: 'ne', ne: 'eq', gt: 'le', le: 'gt', ge: 'lt', lt: 'ge', sgt: 'sle', sle: 'sgt', sge: 'slt', slt: 'sge',
};

/** Copy a tail only when it is as short as the jump it replaces (instruction count first). */
const TAIL_MAX = 0;

export function cleanup(f: Func): void {
  removeUnreachable(f);
  copyPeephole(f);
  foldAdds(f);
  commuteMoves(f);
  threadEmpty(f);
  threadDecided(f);
  duplicateTails(f);
  mergeIdenticalExits(f);
  removeUnreachable(f);
}

function removeUnreachable(f: Func): void {
  const seen = new Set<Block>();
  const stack = [f.blocks[0]];
  while (stack.length) {
    const b = stack.pop()!;
    if (seen.has(b)) continue;
    seen.add(b);
    stack.push(...successors(b));
  }
  f.blocks = f.blocks.filter((b) => seen.has(b));
}

/** Blocks with no instructions that only jump: branch straight to where they go. */
function threadEmpty(f: Func): void {
  const target = (b: Block, depth = 0): Block => (b.insts.length === 0 && b.term.op === 'br' && b.term.to !== b && depth < 64 ? target(b.term.to, depth + 1) : b);
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op === 'br') t.to = target(t.to);
    else if (t.op === 'jcc') {
      t.t = target(t.t);
      t.f = target(t.f);
      if (t.t === t.f) b.term = { op: 'br', to: t.t, pos: t.pos };
    }
  }
  if (f.blocks[0].insts.length === 0 && f.blocks[0].term.op === 'br') {
    const first = target(f.blocks[0]);
    f.blocks = [first, ...f.blocks.filter((b) => b !== first)];
  }
}

type Jcc = Term & { op: 'jcc' };

/**
 * A branch into an empty block whose own test the branch has already decided (the same test
 * again, its inverse, or `==` of a constant then another compare of that register with a
 * constant — `if (m && m.v === 1) … if (m && m.v === 2)` tests m twice) goes straight on to
 * where that test leads.
 */
function threadDecided(f: Func): void {
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op !== 'jcc') continue;
    for (let k = 0; k < 16; k++) {
      const to = decidedTarget(t, t.t, true);
      if (!to || to === t.t) break;
      t.t = to;
    }
    for (let k = 0; k < 16; k++) {
      const to = decidedTarget(t, t.f, false);
      if (!to || to === t.f) break;
      t.f = to;
    }
    if (t.t === t.f) b.term = { op: 'br', to: t.t, pos: t.pos };
  }
}

/** Where empty block `x` goes when entered with `known` having been `holds`; undefined if undecided. */
function decidedTarget(known: Jcc, x: Block, holds: boolean): Block | undefined {
  const u = x.term;
  if (x.insts.length || u.op !== 'jcc' || u.a !== known.a || u.w !== known.w) return undefined;
  const r = outcome(known, holds, u);
  return r === undefined ? undefined : r ? u.t : u.f;
}

/** Whether test `u` holds given that `k` on the same register and width did (`holds`) or not. */
export function outcome(k: Jcc, holds: boolean, u: Jcc): boolean | undefined {
  if (k.b.r === u.b.r && k.b.imm === u.b.imm) {
    if (u.cc === k.cc) return holds;
    if (u.cc === INVERT[k.cc]) return !holds;
    // a == b: every compare that includes equality holds
    const equal = (k.cc === 'eq' && holds) || (k.cc === 'ne' && !holds);
    if (equal && u.cc !== 'set') return u.cc === 'le' || u.cc === 'ge' || u.cc === 'sle' || u.cc === 'sge';
    return undefined;
  }
  // a == C: any compare of a with another constant is decided
  const equal = (k.cc === 'eq' && holds) || (k.cc === 'ne' && !holds);
  if (!equal || k.b.imm === undefined || u.b.imm === undefined) return undefined;
  return compareConst(u.cc, k.b.imm, u.b.imm, k.w);
}

/** `a cc b` for immediates (sign-extended to 64 bits, as BPF does) compared at width w. */
function compareConst(cc: JmpOp, a: number, b: number, w: 32 | 64): boolean | undefined {
  const ua = BigInt.asUintN(w, BigInt(a));
  const ub = BigInt.asUintN(w, BigInt(b));
  const sa = BigInt.asIntN(w, ua);
  const sb = BigInt.asIntN(w, ub);
  switch (cc) {
    case 'eq': return ua === ub;
    case 'ne': return ua !== ub;
    case 'gt': return ua > ub;
    case 'ge': return ua >= ub;
    case 'lt': return ua < ub;
    case 'le': return ua <= ub;
    case 'sgt': return sa > sb;
    case 'sge': return sa >= sb;
    case 'slt': return sa < sb;
    case 'sle': return sa <= sb;
    case 'set': return (ua & ub) !== 0n;
    default: return undefined;
  }
}

/** `br X` where X is a short block ending in exit: copy X's instructions instead of jumping. */
function duplicateTails(f: Func): void {
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op !== 'br') continue;
    const x = t.to;
    if (x === b || x.term.op !== 'exit' || x.insts.length > TAIL_MAX) continue;
    b.insts.push(...x.insts.map((i) => ({ ...i }) as Inst));
    b.term = { ...x.term };
  }
}

/** Operands equal (a register or an immediate). */
function sameOpnd(a: Opnd, b: Opnd): boolean {
  return a.r === b.r && a.imm === b.imm;
}

/**
 * The same instruction apart from its source position. Fields are compared one by one (numbers,
 * strings, bigints, booleans, an operand) instead of serialising both: cheaper, no garbage.
 */
function sameInst(a: Inst, b: Inst): boolean {
  if (a.op !== b.op) return false;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const k in x) {
    if (k === 'pos') continue;
    const u = x[k];
    const v = y[k];
    if (u === v) continue;
    if (typeof u !== 'object' || typeof v !== 'object' || u === null || v === null || !sameOpnd(u as Opnd, v as Opnd)) return false;
  }
  // a field only `b` has (optional ones such as keepImm) counts when it is set
  for (const k in y) if (!(k in x) && y[k] !== undefined) return false;
  return true;
}

function sameBlock(a: Block, b: Block): boolean {
  const s = a.term;
  const t = b.term;
  if (s.op !== t.op || a.insts.length !== b.insts.length) return false;
  if (s.op === 'br' && s.to !== (t as typeof s).to) return false;
  if (s.op === 'jcc') {
    const u = t as typeof s;
    if (s.cc !== u.cc || s.w !== u.w || s.a !== u.a || !sameOpnd(s.b, u.b) || s.t !== u.t || s.f !== u.f) return false;
  }
  for (let k = 0; k < a.insts.length; k++) if (!sameInst(a.insts[k], b.insts[k])) return false;
  return true;
}

/** A hash that equal blocks share (size, terminator, successors, first instruction). */
function blockHash(b: Block): number {
  const t = b.term;
  let h = b.insts.length * 7 + (t.op === 'br' ? 1 + t.to.id * 3 : t.op === 'jcc' ? 2 + (t.t.id * 31 + t.f.id) * 3 + t.a * 131 : 0);
  const i = b.insts[0];
  if (i) h = h * 31 + i.op.length * 17 + ('dst' in i ? i.dst : 0) * 5 + ('off' in i ? i.off : 0);
  return h | 0;
}

/** Blocks with the same instructions and the same successors become one (repeated: merging exits makes their predecessors equal). */
function mergeIdenticalExits(f: Func): void {
  for (let round = 0; round < 100; round++) {
    const byHash = new Map<number, Block[]>();
    const alias = new Map<Block, Block>();
    for (const b of f.blocks) {
      if (b === f.blocks[0]) continue;
      const h = blockHash(b);
      const same = byHash.get(h);
      const first = same?.find((x) => sameBlock(x, b));
      if (first) alias.set(b, first);
      else if (same) same.push(b);
      else byHash.set(h, [b]);
    }
    if (!alias.size) return;
    const to = (b: Block): Block => alias.get(b) ?? b;
    for (const b of f.blocks) {
      const t = b.term;
      if (t.op === 'br') t.to = to(t.to);
      else if (t.op === 'jcc') {
        t.t = to(t.t);
        t.f = to(t.f);
      }
    }
    f.blocks = f.blocks.filter((b) => !alias.has(b));
  }
}

/**
 * An early return: a straight run of at most `max` instructions (no helper calls, which are what
 * a program is there for: `return redirect(…)`) into `exit`, such as `r0 = 2; exit` or
 * `counter++; return DROP`.
 */
const COLD_MAX = 5;
function cold(x: Block, max: number): boolean {
  let n = 0;
  for (let k = 0; k < 8; k++) {
    n += x.insts.length;
    if (n > max || x.insts.some((i) => i.op === 'call' || i.op === 'callsub')) return false;
    if (x.term.op === 'exit') return true;
    if (x.term.op !== 'br') return false;
    x = x.term.to;
  }
  return false;
}

/** Orders blocks so each block's preferred successor (jcc: the false edge) follows it. */
export function order(f: Func): Block[] {
  const placed = new Set<Block>();
  const out: Block[] = [];
  const pending: Block[] = [f.blocks[0]];
  while (pending.length) {
    let b: Block | undefined = pending.shift()!;
    while (b && !placed.has(b)) {
      placed.add(b);
      out.push(b);
      const t: Term = b.term;
      let next: Block | undefined;
      if (t.op === 'br') next = t.to;
      else if (t.op === 'jcc') {
        // fall through to the successor the source expects (`hot`; else the false edge), unless
        // it is an early return while the other side goes on: returns are reached by jumps.
        // After a null or length check only a bare `return K` counts as one (`if (!rec) return`
        // vs `if (rec) { count }`); after other tests also short runs such as `n++; return K`.
        const pref: Block = t.hot === 't' ? t.t : t.f;
        const other: Block = pref === t.t ? t.f : t.t;
        const max = t.sure ? 1 : COLD_MAX;
        if (!placed.has(pref) && !(cold(pref, max) && !cold(other, max) && !placed.has(other))) {
          next = pref;
          pending.unshift(other);
        } else {
          next = other;
          if (!placed.has(pref)) pending.unshift(pref);
        }
      }
      b = next && !placed.has(next) ? next : undefined;
    }
  }
  for (const b of f.blocks) if (!placed.has(b)) out.push(b);
  return out;
}
