/**
 * Register allocation by graph colouring (Chaitin–Briggs with conservative coalescing).
 * r0–r9 are the colours; r10 is the frame pointer. Helper and sub-function calls define r0–r5, so
 * every value live across a call interferes with them and lands in r6–r9 (callee-saved) or is
 * spilled to the stack. Moves whose ends get the same register disappear. A spilled register is
 * stored after each definition and reloaded before each use (8-byte slots, so the verifier keeps
 * tracking spilled pointers), then allocation starts again.
 */
import { FP, FIRST_VREG, type Func, type Inst, R0, type VReg, defs, termUses, uses, successors } from './ir.js';

export const K = 10;
const ORDER = [1, 2, 3, 4, 5, 0, 6, 7, 8, 9];
const STACK_LIMIT = 512;

export class AllocError extends Error {
  constructor(message: string, readonly kind: 'stack' | 'complex') {
    super(message);
  }
}

/** Allocates registers in place: afterwards every register in `f` is physical (0–10). */
export function allocate(f: Func): void {
  const unspillable = new Set<VReg>();
  for (let round = 0; round < 50; round++) {
    const spilled = tryColor(f, unspillable);
    if (!spilled) return;
    for (const v of spilled) spill(f, v, unspillable);
  }
  throw new AllocError(`${f.name}: register allocation did not converge`, 'complex');
}

class BitSet {
  readonly w: Uint32Array;
  constructor(n: number) {
    this.w = new Uint32Array((n + 31) >>> 5);
  }
  has(i: number): boolean {
    return (this.w[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  add(i: number): void {
    this.w[i >>> 5] |= 1 << (i & 31);
  }
  delete(i: number): void {
    this.w[i >>> 5] &= ~(1 << (i & 31));
  }
  /** this |= o; returns whether anything changed. */
  or(o: BitSet): boolean {
    let ch = false;
    for (let k = 0; k < this.w.length; k++) {
      const x = (this.w[k] | o.w[k]) >>> 0;
      if (x !== this.w[k]) {
        this.w[k] = x;
        ch = true;
      }
    }
    return ch;
  }
  copy(): BitSet {
    const b = new BitSet(this.w.length * 32);
    b.w.set(this.w);
    return b;
  }
  forEach(fn: (i: number) => void): void {
    for (let k = 0; k < this.w.length; k++) {
      let x = this.w[k];
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
  const gen = new Map<number, BitSet>();
  const kill = new Map<number, BitSet>();
  for (const b of f.blocks) {
    const g = new BitSet(n);
    const k = new BitSet(n);
    for (const i of b.insts) {
      for (const u of uses(i)) if (!k.has(u)) g.add(u);
      for (const d of defs(i)) k.add(d);
    }
    for (const u of termUses(b.term)) if (!k.has(u)) g.add(u);
    gen.set(b.id, g);
    kill.set(b.id, k);
  }
  const liveOut = new Map<number, BitSet>();
  const liveIn = new Map<number, BitSet>();
  for (const b of f.blocks) {
    liveOut.set(b.id, new BitSet(n));
    liveIn.set(b.id, gen.get(b.id)!.copy());
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let bi = f.blocks.length - 1; bi >= 0; bi--) {
      const b = f.blocks[bi];
      const out = liveOut.get(b.id)!;
      for (const s of successors(b)) if (out.or(liveIn.get(s.id)!)) changed = true;
      // in = gen ∪ (out − kill)
      const inn = liveIn.get(b.id)!;
      const k = kill.get(b.id)!;
      for (let w = 0; w < inn.w.length; w++) {
        const x = (gen.get(b.id)!.w[w] | (out.w[w] & ~k.w[w])) >>> 0;
        if (x !== inn.w[w]) {
          inn.w[w] = x;
          changed = true;
        }
      }
    }
  }
  return liveOut;
}

function isCopy(i: Inst): i is Inst & { op: 'mov'; src: { r: VReg } } {
  return i.op === 'mov' && i.w === 64 && i.src.r !== undefined;
}

/** Colours the graph; returns registers to spill, or undefined when done (f is rewritten). */
function tryColor(f: Func, unspillable: Set<VReg>): VReg[] | undefined {
  const n = f.nregs;
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const edge = (a: number, b: number): void => {
    if (a === b || a === FP || b === FP) return;
    adj[a].add(b);
    adj[b].add(a);
  };
  const moves: [VReg, VReg][] = [];
  const cost = new Float64Array(n);
  const crossesCall = new Uint8Array(n);
  const liveOut = liveness(f);
  for (const b of f.blocks) {
    const live = liveOut.get(b.id)!.copy();
    for (const u of termUses(b.term)) live.add(u);
    for (let k = b.insts.length - 1; k >= 0; k--) {
      const i = b.insts[k];
      const ds = defs(i);
      const copySrc = isCopy(i) ? i.src.r : -1;
      if (isCopy(i)) moves.push([i.dst, i.src.r]);
      for (const d of ds) {
        live.forEach((l) => {
          if (l !== copySrc) edge(d, l);
        });
      }
      if (i.op === 'call' || i.op === 'callsub') live.forEach((l) => (crossesCall[l] = 1));
      for (const d of ds) live.delete(d);
      for (const u of uses(i)) live.add(u);
      for (const r of [...ds, ...uses(i)]) cost[r] += 1;
    }
    for (const u of termUses(b.term)) cost[u] += 1;
  }
  // physical registers interfere with each other
  for (let a = 0; a < K; a++) for (let b2 = a + 1; b2 < K; b2++) edge(a, b2);

  // ---- conservative coalescing (union-find over registers) ----
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const degree = (x: number): number => (x < FIRST_VREG ? Infinity : adj[x].size);
  let merged = true;
  while (merged) {
    merged = false;
    for (const [d0, s0] of moves) {
      let a = find(d0);
      let b = find(s0);
      if (a === b || a === FP || b === FP) continue;
      if (b < FIRST_VREG) [a, b] = [b, a]; // a: the physical one, if any
      if (b < FIRST_VREG) continue; // both physical
      if (adj[a].has(b)) continue;
      if (unspillable.has(b) && !(a < FIRST_VREG)) {
        // fine: merging keeps the temporary short-lived
      }
      let ok: boolean;
      if (a < FIRST_VREG) {
        // George: every neighbour of b already interferes with a, or is of low degree
        ok = [...adj[b]].every((t) => t < FIRST_VREG ? adj[a].has(t) || t === a : adj[t].has(a) || degree(t) < K);
      } else {
        // Briggs: the merged node has fewer than K neighbours of significant degree
        const nb = new Set([...adj[a], ...adj[b]]);
        let sig = 0;
        for (const t of nb) if (degree(t) >= K) sig++;
        ok = sig < K;
      }
      if (!ok) continue;
      parent[b] = a;
      for (const t of adj[b]) {
        adj[t].delete(b);
        if (t !== a) {
          adj[t].add(a);
          adj[a].add(t);
        }
      }
      adj[b].clear();
      cost[a] += cost[b];
      crossesCall[a] |= crossesCall[b];
      if (unspillable.has(b)) unspillable.add(a);
      merged = true;
    }
  }

  // ---- simplify / select ----
  const nodes: number[] = [];
  for (let v = FIRST_VREG; v < n; v++) if (find(v) === v && (adj[v].size > 0 || cost[v] > 0)) nodes.push(v);
  const deg = new Map<number, number>(nodes.map((v) => [v, adj[v].size]));
  const removed = new Set<number>();
  const stack: number[] = [];
  const remaining = new Set(nodes);
  while (remaining.size) {
    let pick: number | undefined;
    for (const v of remaining) if (deg.get(v)! < K) { pick = v; break; }
    if (pick === undefined) {
      // optimistic: push the cheapest-to-spill node and hope a colour is left for it
      let best = Infinity;
      for (const v of remaining) {
        const c = unspillable.has(v) ? Infinity : cost[v] / (deg.get(v)! + 1);
        if (pick === undefined || c < best) { best = c; pick = v; }
      }
    }
    remaining.delete(pick!);
    removed.add(pick!);
    stack.push(pick!);
    for (const t of adj[pick!]) if (deg.has(t)) deg.set(t, deg.get(t)! - 1);
  }
  const color = new Int32Array(n).fill(-1);
  for (let r = 0; r <= FP; r++) color[r] = r;
  const partners = new Map<number, number[]>();
  for (const [d, s] of moves) {
    const a = find(d), b = find(s);
    if (a === b) continue;
    (partners.get(a) ?? partners.set(a, []).get(a)!).push(b);
    (partners.get(b) ?? partners.set(b, []).get(b)!).push(a);
  }
  const spills: VReg[] = [];
  while (stack.length) {
    const v = stack.pop()!;
    const used = new Set<number>();
    for (const t of adj[v]) if (color[t] >= 0) used.add(color[t]);
    let c = -1;
    for (const p of partners.get(v) ?? []) {
      const pc = color[p];
      if (pc >= 0 && pc < K && !used.has(pc)) { c = pc; break; }
    }
    if (c < 0) {
      const order = crossesCall[v] ? [6, 7, 8, 9, ...ORDER] : ORDER;
      for (const r of order) if (!used.has(r)) { c = r; break; }
    }
    if (c < 0) spills.push(v);
    else color[v] = c;
  }
  if (spills.length) {
    // spill the original (pre-coalescing) registers of each spilled class
    const out: VReg[] = [];
    for (let v = FIRST_VREG; v < n; v++) if (spills.includes(find(v)) && !unspillable.has(v)) out.push(v);
    if (out.length === 0) throw new AllocError(`${f.name}: too many values are live at once`, 'complex');
    return out;
  }
  // ---- rewrite ----
  const map = (r: VReg): VReg => {
    const c = color[find(r)];
    if (c < 0) return R0; // a register never used: any colour does
    return c;
  };
  for (const b of f.blocks) {
    for (const i of b.insts) rewrite(i, map);
    const t = b.term;
    if (t.op === 'jcc') {
      t.a = map(t.a);
      if (t.b.r !== undefined) t.b = { r: map(t.b.r) };
    }
    b.insts = b.insts.filter((i) => !(i.op === 'mov' && i.src.r !== undefined && i.src.r === i.dst && i.w === 64));
  }
  return undefined;
}

function rewrite(i: Inst, map: (r: VReg) => VReg): void {
  switch (i.op) {
    case 'mov':
    case 'alu':
      i.dst = map(i.dst);
      if (i.src.r !== undefined) i.src = { r: map(i.src.r) };
      return;
    case 'neg':
    case 'be':
    case 'lddw':
    case 'ldsym':
      i.dst = map(i.dst);
      return;
    case 'ld':
      i.dst = map(i.dst);
      i.base = map(i.base);
      return;
    case 'st':
      i.base = map(i.base);
      if (i.src.r !== undefined) i.src = { r: map(i.src.r) };
      return;
    case 'atomic':
      i.base = map(i.base);
      i.src = map(i.src);
      return;
    case 'call':
    case 'callsub':
      return;
  }
}

/** Rewrites `v` to live on the stack: reload before uses, store after definitions. */
function spill(f: Func, v: VReg, unspillable: Set<VReg>): void {
  f.frame = Math.ceil((f.frame + 8) / 8) * 8;
  if (f.frame > STACK_LIMIT) throw new AllocError(`${f.name}: the stack frame needs ${f.frame} bytes (the limit is ${STACK_LIMIT})`, 'stack');
  const slot = -f.frame;
  const fresh = (): VReg => {
    const r = f.nregs++;
    unspillable.add(r);
    if (f.pointers.has(v)) f.pointers.add(r);
    return r;
  };
  const sub = (r: VReg, t: VReg): VReg => (r === v ? t : r);
  for (const b of f.blocks) {
    const out: Inst[] = [];
    for (const i of b.insts) {
      const u = uses(i).includes(v);
      const d = defs(i).includes(v);
      if (!u && !d) {
        out.push(i);
        continue;
      }
      const t = fresh();
      if (u) out.push({ op: 'ld', size: 'u64', dst: t, base: FP, off: slot, pos: i.pos });
      rewrite(i, (r) => sub(r, t));
      out.push(i);
      if (d) out.push({ op: 'st', size: 'u64', base: FP, off: slot, src: { r: t }, pos: i.pos });
    }
    const tu = termUses(b.term);
    if (tu.includes(v) && b.term.op === 'jcc') {
      const t = fresh();
      out.push({ op: 'ld', size: 'u64', dst: t, base: FP, off: slot, pos: b.term.pos });
      if (b.term.a === v) b.term.a = t;
      if (b.term.b.r === v) b.term.b = { r: t };
    }
    b.insts = out;
  }
}
