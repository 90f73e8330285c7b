/**
 * IR optimisations before register allocation:
 *  - dead code elimination (results nobody reads, e.g. packet pointers a path never uses);
 *  - redundant load elimination: a load of the same (base, offset, size) as an earlier one on
 *    every path, with no store, call or redefinition in between, reuses the earlier value.
 */
import { type Block, type Func, type Inst, type VReg, defs, hasSideEffects, successors, termUses, uses } from './ir.js';
import { liveness } from './liveness.js';

export function optimize(f: Func): void {
  reuseLoads(f);
  deadCode(f);
}

export function deadCode(f: Func): void {
  for (let round = 0; round < 20; round++) {
    const liveOut = liveness(f);
    let removed = false;
    for (const b of f.blocks) {
      const live = liveOut.get(b.id)!.copy();
      const tu = termUses(b.term);
      for (let j = 0; j < tu.length; j++) live.add(tu[j]);
      const keep: Inst[] = [];
      // index loops, not for-of: this runs cold (unoptimised) in a one-shot build, where for-of
      // allocates an iterator result per element
      for (let k = b.insts.length - 1; k >= 0; k--) {
        const i = b.insts[k];
        const ds = defs(i);
        let dead = !hasSideEffects(i) && ds.length > 0;
        for (let j = 0; dead && j < ds.length; j++) if (live.has(ds[j])) dead = false;
        if (dead) {
          removed = true;
          continue;
        }
        for (let j = 0; j < ds.length; j++) live.delete(ds[j]);
        const us = uses(i);
        for (let j = 0; j < us.length; j++) live.add(us[j]);
        keep.push(i);
      }
      b.insts = keep.reverse();
    }
    if (!removed) return;
  }
}

interface Avail {
  base: VReg;
  off: number;
  size: string;
  dst: VReg;
}

/**
 * Dominator-tree walk carrying the loads available on entry. A value is reused only while neither
 * its register nor the base register is redefined and no store/call/atomic intervenes.
 */
function reuseLoads(f: Func): void {
  const preds = new Map<Block, Block[]>();
  for (const b of f.blocks) for (const s of successors(b)) (preds.get(s) ?? preds.set(s, []).get(s)!).push(b);
  const idom = dominators(f, preds);
  const children = new Map<Block, Block[]>();
  for (const b of f.blocks) {
    const d = idom.get(b);
    if (d && d !== b) (children.get(d) ?? children.set(d, []).get(d)!).push(b);
  }
  const walk = (b: Block, avail: Avail[]): void => {
    // a block with one predecessor sees exactly the state at its end; joins start afresh
    let cur = (preds.get(b)?.length ?? 0) === 1 ? avail : [];
    const out: Inst[] = [];
    for (const i of b.insts) {
      if (i.op === 'ld') {
        const hit = cur.find((a) => a.base === i.base && a.off === i.off && a.size === i.size);
        if (hit && hit.dst !== i.dst) {
          out.push({ op: 'mov', w: 64, dst: i.dst, src: { r: hit.dst }, pos: i.pos });
          cur = cur.filter((a) => a.dst !== i.dst && a.base !== i.dst);
          continue;
        }
      }
      if (i.op === 'st' || i.op === 'call' || i.op === 'callsub' || i.op === 'atomic') cur = [];
      const ds = defs(i);
      if (ds.length) cur = cur.filter((a) => !ds.includes(a.dst) && !ds.includes(a.base));
      if (i.op === 'ld' && i.dst !== i.base) cur.push({ base: i.base, off: i.off, size: i.size, dst: i.dst });
      out.push(i);
    }
    b.insts = out;
    for (const c of children.get(b) ?? []) walk(c, cur);
  };
  walk(f.blocks[0], []);
}

/** Immediate dominators (Cooper–Harvey–Kennedy). */
function dominators(f: Func, preds: Map<Block, Block[]>): Map<Block, Block> {
  const rpo: Block[] = [];
  const seen = new Set<Block>();
  const visit = (b: Block): void => {
    seen.add(b);
    for (const s of successors(b)) if (!seen.has(s)) visit(s);
    rpo.push(b);
  };
  visit(f.blocks[0]);
  rpo.reverse();
  const index = new Map(rpo.map((b, i) => [b, i]));
  const idom = new Map<Block, Block>([[rpo[0], rpo[0]]]);
  const intersect = (a: Block, b: Block): Block => {
    while (a !== b) {
      while (index.get(a)! > index.get(b)!) a = idom.get(a)!;
      while (index.get(b)! > index.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const b of rpo.slice(1)) {
      let nd: Block | undefined;
      for (const p of preds.get(b) ?? []) {
        if (!idom.has(p)) continue;
        nd = nd ? intersect(p, nd) : p;
      }
      if (nd && idom.get(b) !== nd) {
        idom.set(b, nd);
        changed = true;
      }
    }
  }
  return idom;
}
