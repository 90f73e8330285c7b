/**
 * Register allocation by graph colouring (Chaitin–Briggs with conservative coalescing).
 * r0–r9 are the colours; r10 is the frame pointer. Helper and sub-function calls define r0–r5, so
 * every value live across a call interferes with them and lands in r6–r9 (callee-saved) or is
 * spilled to the stack. Moves whose ends get the same register disappear. A spilled register is
 * stored after each definition and reloaded before each use (8-byte slots, so the verifier keeps
 * tracking spilled pointers), then allocation starts again. A spilled constant or symbol address
 * (one definition, no register read) is computed again before each use instead: that costs what a
 * reload costs and no stack, and it is what lets the optimiser hoist constants (opt-hoist.ts)
 * without paying for it in spills — such values are also the first picked to spill.
 */
import { FP, FIRST_VREG, type Func, type Inst, R0, type VReg, defs, termUses, uses } from './ir.js';
import { liveness } from './liveness.js';
import { constKey } from './opt-hoist.js';

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
  // moves as (dst, src) pairs, flat; loops below index arrays instead of for-of (see simplify)
  const moves: VReg[] = [];
  const cost = new Float64Array(n);
  const crossesCall = new Uint8Array(n);
  const ndefs = new Uint32Array(n);
  const constDef = new Uint8Array(n);
  const liveOut = liveness(f);
  let d = 0;
  let copySrc = -1;
  const interfere = (l: number): void => {
    if (l !== copySrc) edge(d, l);
  };
  const markCall = (l: number): void => {
    crossesCall[l] = 1;
  };
  for (const b of f.blocks) {
    const live = liveOut.get(b.id)!.copy();
    const tu = termUses(b.term);
    for (let j = 0; j < tu.length; j++) {
      live.add(tu[j]);
      cost[tu[j]] += 1;
    }
    for (let k = b.insts.length - 1; k >= 0; k--) {
      const i = b.insts[k];
      const ds = defs(i);
      copySrc = isCopy(i) ? i.src.r : -1;
      if (isCopy(i)) moves.push(i.dst, i.src.r);
      for (let j = 0; j < ds.length; j++) {
        d = ds[j];
        live.forEach(interfere);
      }
      if (i.op === 'call' || i.op === 'callsub') live.forEach(markCall);
      for (let j = 0; j < ds.length; j++) {
        live.delete(ds[j]);
        cost[ds[j]] += 1;
        ndefs[ds[j]]++;
      }
      if (ds.length === 1 && constKey(i) !== undefined) constDef[ds[0]] = 1;
      const us = uses(i);
      for (let j = 0; j < us.length; j++) {
        live.add(us[j]);
        cost[us[j]] += 1;
      }
    }
  }
  // a class made only of constants is cheap to spill: it is computed again, not reloaded
  const cheap = new Uint8Array(n);
  // (not the copies rematerialisation made: they are unspillable, so they can never give way)
  for (let v = FIRST_VREG; v < n; v++) cheap[v] = ndefs[v] === 1 && constDef[v] && !unspillable.has(v) ? 1 : 0;
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
    for (let m = 0; m < moves.length; m += 2) {
      let a = find(moves[m]);
      let b = find(moves[m + 1]);
      if (a === b || a === FP || b === FP) continue;
      if (b < FIRST_VREG) [a, b] = [b, a]; // a: the physical one, if any
      if (b < FIRST_VREG) continue; // both physical
      if (adj[a].has(b)) continue;
      if (unspillable.has(b) && !(a < FIRST_VREG)) {
        // fine: merging keeps the temporary short-lived
      }
      let ok = true;
      const A = adj[a];
      if (a < FIRST_VREG) {
        // George: every neighbour of b already interferes with a, or is of low degree, or is a
        // constant (if it then finds no register it is computed again, never spilled): a hoisted
        // `1` used far away must not push the context out of r1
        adj[b].forEach((t) => {
          if (ok && !(t < FIRST_VREG ? A.has(t) || t === a : adj[t].has(a) || degree(t) < K || cheap[t])) ok = false;
        });
      } else {
        // Briggs: the merged node has fewer than K neighbours of significant degree
        let sig = 0;
        A.forEach((t) => {
          if (degree(t) >= K) sig++;
        });
        adj[b].forEach((t) => {
          if (!A.has(t) && degree(t) >= K) sig++;
        });
        ok = sig < K;
      }
      if (!ok) continue;
      parent[b] = a;
      const bb = b;
      adj[b].forEach((t) => {
        adj[t].delete(bb);
        if (t !== a) {
          adj[t].add(a);
          A.add(t);
        }
      });
      adj[b].clear();
      cost[a] += cost[b];
      crossesCall[a] |= crossesCall[b];
      cheap[a] &= cheap[b];
      if (unspillable.has(b)) unspillable.add(a);
      merged = true;
    }
  }

  // ---- simplify / select ----
  // (plain arrays and index loops: this runs once per build, mostly before V8 optimises it, and
  // iterating Sets there allocates an iterator result per element)
  const nodes: number[] = [];
  for (let v = FIRST_VREG; v < n; v++) if (find(v) === v && (adj[v].size > 0 || cost[v] > 0)) nodes.push(v);
  const deg = new Int32Array(n).fill(-1); // -1: not a node of the graph
  for (const v of nodes) deg[v] = adj[v].size;
  const gone = new Uint8Array(n);
  const stack: number[] = [];
  const lower = (t: number): void => {
    if (deg[t] >= 0) deg[t]--;
  };
  for (let left = nodes.length; left > 0; left--) {
    let pick = -1;
    for (let j = 0; j < nodes.length; j++) {
      const v = nodes[j];
      if (!gone[v] && deg[v] < K) { pick = v; break; }
    }
    if (pick < 0) {
      // optimistic: push the cheapest-to-spill node and hope a colour is left for it
      let best = Infinity;
      for (let j = 0; j < nodes.length; j++) {
        const v = nodes[j];
        if (gone[v]) continue;
        const c = unspillable.has(v) ? Infinity : (cheap[v] ? cost[v] / 4 : cost[v]) / (deg[v] + 1);
        if (pick < 0 || c < best) { best = c; pick = v; }
      }
    }
    gone[pick] = 1;
    stack.push(pick);
    adj[pick].forEach(lower);
  }
  const color = new Int32Array(n).fill(-1);
  for (let r = 0; r <= FP; r++) color[r] = r;
  const partners = new Map<number, number[]>();
  for (let m = 0; m < moves.length; m += 2) {
    const a = find(moves[m]), b = find(moves[m + 1]);
    if (a === b) continue;
    (partners.get(a) ?? partners.set(a, []).get(a)!).push(b);
    (partners.get(b) ?? partners.set(b, []).get(b)!).push(a);
  }
  const spills: VReg[] = [];
  while (stack.length) {
    const v = stack.pop()!;
    let used = 0; // bit c: colour c is taken by a neighbour
    adj[v].forEach((t) => {
      if (color[t] >= 0) used |= 1 << color[t];
    });
    let c = -1;
    for (const p of partners.get(v) ?? []) {
      const pc = color[p];
      if (pc >= 0 && pc < K && !(used & (1 << pc))) { c = pc; break; }
    }
    if (c < 0) {
      const order = crossesCall[v] ? [6, 7, 8, 9, ...ORDER] : ORDER;
      for (const r of order) if (!(used & (1 << r))) { c = r; break; }
    }
    if (c < 0) spills.push(v);
    else color[v] = c;
  }
  if (spills.length) {
    const victims = preferConstants(spills, adj, color, cost, cheap, crossesCall);
    // spill the original (pre-coalescing) registers of each spilled class
    const out: VReg[] = [];
    for (let v = FIRST_VREG; v < n; v++) if (victims.includes(find(v)) && !unspillable.has(v)) out.push(v);
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

/**
 * A value that found no register takes the place of a constant that holds one it could use: the
 * constant is computed again where it is needed, the value avoids a store and reloads. Returns the
 * classes to spill this round.
 */
function preferConstants(spills: number[], adj: Set<number>[], color: Int32Array, cost: Float64Array, cheap: Uint8Array, crossesCall: Uint8Array): number[] {
  const out = new Set<number>();
  for (const v of spills) {
    if (cheap[v]) {
      out.add(v);
      continue;
    }
    let pick = -1;
    adj[v].forEach((t) => {
      const c = color[t];
      if (t < FIRST_VREG || !cheap[t] || c < 0 || (crossesCall[v] && c < 6)) return;
      if (pick < 0 || cost[t] < cost[pick]) pick = t;
    });
    out.add(pick >= 0 ? pick : v);
  }
  return [...out];
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
  if (rematerialize(f, v, unspillable)) return;
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

/**
 * When `v` has one definition that reads no register (a constant, a map or global address), drops
 * it and computes the value again into a fresh register before each use. False otherwise.
 */
function rematerialize(f: Func, v: VReg, unspillable: Set<VReg>): boolean {
  let def: Inst | undefined;
  for (const b of f.blocks) {
    for (let k = 0; k < b.insts.length; k++) {
      const i = b.insts[k];
      if (!defs(i).includes(v)) continue;
      if (def || constKey(i) === undefined) return false;
      def = i;
    }
  }
  if (!def) return false;
  const proto = def;
  const fresh = (pos: number): { r: VReg; inst: Inst } => {
    const r = f.nregs++;
    unspillable.add(r);
    if (f.pointers.has(v)) f.pointers.add(r);
    return { r, inst: { ...proto, dst: r, pos } as Inst };
  };
  for (const b of f.blocks) {
    const out: Inst[] = [];
    // uses in one block share a computation until a call, so the copy never has to survive one
    let cur = -1;
    const get = (pos: number): VReg => {
      if (cur < 0) {
        const t = fresh(pos);
        out.push(t.inst);
        cur = t.r;
      }
      return cur;
    };
    for (const i of b.insts) {
      if (i === proto) continue;
      if (uses(i).includes(v)) {
        const t = get(i.pos);
        rewrite(i, (r) => (r === v ? t : r));
      }
      out.push(i);
      if (i.op === 'call' || i.op === 'callsub') cur = -1;
    }
    const term = b.term;
    if (term.op === 'jcc' && termUses(term).includes(v)) {
      const t = get(term.pos);
      if (term.a === v) term.a = t;
      if (term.b.r === v) term.b = { r: t };
    }
    b.insts = out;
  }
  return true;
}
