/** Predecessors and the dominator tree of a function's blocks, for the optimiser's walks. */
import { type Block, type Func, successors } from './ir.js';

export interface DomTree {
  preds: Map<Block, Block[]>;
  /** Immediate dominator of each reachable block (the entry is its own). */
  idom: Map<Block, Block>;
  /** Dominator-tree children. */
  children: Map<Block, Block[]>;
  /** Depth in the dominator tree (entry 0). */
  depth: Map<Block, number>;
}

export function domTree(f: Func): DomTree {
  const preds = new Map<Block, Block[]>();
  for (const b of f.blocks) for (const s of successors(b)) (preds.get(s) ?? preds.set(s, []).get(s)!).push(b);
  const idom = dominators(f, preds);
  const children = new Map<Block, Block[]>();
  const depth = new Map<Block, number>([[f.blocks[0], 0]]);
  const order: Block[] = [f.blocks[0]];
  for (const b of f.blocks) {
    const d = idom.get(b);
    if (d && d !== b) (children.get(d) ?? children.set(d, []).get(d)!).push(b);
  }
  for (let k = 0; k < order.length; k++) {
    const kids = children.get(order[k]) ?? [];
    for (let j = 0; j < kids.length; j++) {
      depth.set(kids[j], depth.get(order[k])! + 1);
      order.push(kids[j]);
    }
  }
  return { preds, idom, children, depth };
}

/** The nearest block dominating both `a` and `b`. */
export function commonDominator(t: DomTree, a: Block, b: Block): Block {
  while (a !== b) {
    if (t.depth.get(a)! >= t.depth.get(b)!) a = t.idom.get(a)!;
    else b = t.idom.get(b)!;
  }
  return a;
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
