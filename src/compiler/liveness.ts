/**
 * Liveness of registers per block (live-out sets, iterated to a fixed point over the blocks in
 * reverse), for dead-code elimination, register allocation and the peepholes after it. One
 * allocation holds every block's sets: a one-shot build runs this unoptimised, where many small
 * typed arrays and for-of iterations are what costs.
 */
import { type Func, defs, termUses, uses } from './ir.js';

/** A set of registers: a window of `words` 32-bit words at `at` in a (possibly shared) array. */
export class BitSet {
  readonly w: Uint32Array;
  readonly at: number;
  readonly words: number;
  constructor(n: number, w?: Uint32Array, at = 0) {
    this.words = (n + 31) >>> 5;
    this.w = w ?? new Uint32Array(this.words);
    this.at = at;
  }
  has(i: number): boolean {
    return (this.w[this.at + (i >>> 5)] & (1 << (i & 31))) !== 0;
  }
  add(i: number): void {
    this.w[this.at + (i >>> 5)] |= 1 << (i & 31);
  }
  delete(i: number): void {
    this.w[this.at + (i >>> 5)] &= ~(1 << (i & 31));
  }
  /** this |= o; returns whether anything changed. */
  or(o: BitSet): boolean {
    let ch = false;
    for (let k = 0; k < this.words; k++) {
      const old = this.w[this.at + k];
      const x = (old | o.w[o.at + k]) >>> 0;
      if (x !== old) {
        this.w[this.at + k] = x;
        ch = true;
      }
    }
    return ch;
  }
  copy(): BitSet {
    const b = new BitSet(this.words * 32);
    b.w.set(this.w.subarray(this.at, this.at + this.words));
    return b;
  }
  forEach(fn: (i: number) => void): void {
    for (let k = 0; k < this.words; k++) {
      let x = this.w[this.at + k];
      while (x) {
        const t = x & -x;
        fn((k << 5) + 31 - Math.clz32(t));
        x ^= t;
      }
    }
  }
}

/** live-out set of each block. */
export function liveness(f: Func): Map<number, BitSet> {
  const n = f.nregs;
  const words = (n + 31) >>> 5;
  const nb = f.blocks.length;
  // gen, kill, live-in and live-out of every block in one allocation
  const mem = new Uint32Array(words * nb * 4);
  const set = (kind: number, bi: number): BitSet => new BitSet(n, mem, (kind * nb + bi) * words);
  const index = new Map<number, number>();
  const gen: BitSet[] = [];
  const kill: BitSet[] = [];
  const liveIn: BitSet[] = [];
  const liveOut = new Map<number, BitSet>();
  const outs: BitSet[] = [];
  f.blocks.forEach((b, bi) => {
    index.set(b.id, bi);
    const g = set(0, bi);
    const k = set(1, bi);
    for (let j = 0; j < b.insts.length; j++) {
      const i = b.insts[j];
      const us = uses(i);
      for (let x = 0; x < us.length; x++) if (!k.has(us[x])) g.add(us[x]);
      const ds = defs(i);
      for (let x = 0; x < ds.length; x++) k.add(ds[x]);
    }
    const tu = termUses(b.term);
    for (let x = 0; x < tu.length; x++) if (!k.has(tu[x])) g.add(tu[x]);
    gen.push(g);
    kill.push(k);
    const inn = set(2, bi);
    mem.copyWithin(inn.at, g.at, g.at + words);
    liveIn.push(inn);
    const out = set(3, bi);
    outs.push(out);
    liveOut.set(b.id, out);
  });
  let changed = true;
  while (changed) {
    changed = false;
    for (let bi = nb - 1; bi >= 0; bi--) {
      const b = f.blocks[bi];
      const out = outs[bi];
      const t = b.term;
      if (t.op === 'br') {
        if (out.or(liveIn[index.get(t.to.id)!])) changed = true;
      } else if (t.op === 'jcc') {
        if (out.or(liveIn[index.get(t.t.id)!])) changed = true;
        if (out.or(liveIn[index.get(t.f.id)!])) changed = true;
      }
      // in = gen ∪ (out − kill)
      const inn = liveIn[bi];
      const g = gen[bi];
      const k = kill[bi];
      for (let w = 0; w < words; w++) {
        const x = (mem[g.at + w] | (mem[out.at + w] & ~mem[k.at + w])) >>> 0;
        if (x !== mem[inn.at + w]) {
          mem[inn.at + w] = x;
          changed = true;
        }
      }
    }
  }
  return liveOut;
}
