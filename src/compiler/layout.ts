/**
 * Block-level clean-up after register allocation: drop unreachable and empty blocks, copy small
 * `… ; exit` tails into the blocks that jump to them, merge identical exits, and order blocks so
 * that most branches fall through (a jump is emitted only where needed).
 */
import type { Block, Func, Inst, Term } from './ir.js';
import { defs as instDefs, successors } from './ir.js';

/** Copy a tail only when it is as short as the jump it replaces (instruction count first). */
const TAIL_MAX = 0;

export function cleanup(f: Func): void {
  removeUnreachable(f);
  peephole(f);
  threadEmpty(f);
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

function key(b: Block): string {
  const t = b.term;
  const term = t.op === 'br' ? `br ${t.to.id}` : t.op === 'jcc' ? `jcc ${t.cc} ${t.w} ${t.a} ${JSON.stringify(t.b)} ${t.t.id} ${t.f.id}` : 'exit';
  return JSON.stringify(b.insts.map((i) => ({ ...i, pos: 0 })), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) + term;
}

/** Blocks with the same instructions and the same successors become one (repeated: merging exits makes their predecessors equal). */
function mergeIdenticalExits(f: Func): void {
  for (let round = 0; round < 100; round++) {
    const byKey = new Map<string, Block>();
    const alias = new Map<Block, Block>();
    for (const b of f.blocks) {
      if (b === f.blocks[0]) continue;
      const k = key(b);
      const first = byKey.get(k);
      if (first) alias.set(b, first);
      else byKey.set(k, b);
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
        // it is an early return (`r0 = K; exit`): those are reached by jumps, off the hot path
        const pref: Block = t.hot === 't' ? t.t : t.f;
        const other: Block = pref === t.t ? t.f : t.t;
        const cold = (x: Block): boolean => x.term.op === 'exit' && x.insts.length <= 1;
        if (!placed.has(pref) && !(cold(pref) && !cold(other) && !placed.has(other))) {
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

/**
 * Within a block, tracks which registers hold copies of each other (after `rA = rB`) and deletes
 * moves that copy a value into a register already holding it.
 */
function peephole(f: Func): void {
  for (const b of f.blocks) {
    const same = new Map<number, number>(); // register → register it equals
    const kill = (r: number): void => {
      same.delete(r);
      for (const [k, v] of [...same]) if (v === r) same.delete(k);
    };
    const out: Inst[] = [];
    for (const i of b.insts) {
      if (i.op === 'mov' && i.w === 64 && i.src.r !== undefined) {
        const s = i.src.r;
        if (s === i.dst || same.get(i.dst) === s || same.get(s) === i.dst || (same.has(s) && same.get(s) === same.get(i.dst))) continue;
        kill(i.dst);
        same.set(i.dst, same.get(s) ?? s);
        out.push(i);
        continue;
      }
      for (const d of instDefs(i)) kill(d);
      out.push(i);
    }
    b.insts = out;
  }
}
