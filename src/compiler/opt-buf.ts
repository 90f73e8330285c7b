/**
 * Buffers filled where they are copied to. A helper that fills a stack buffer (get_current_comm,
 * probe reads, skb_load_bytes, sysctl_get_*) whose contents are then only copied into another
 * stack place — a log record's field, a struct literal's field, a key or value being built —
 * writes that place instead, and the copy goes: `log.info(ctx, "{}", get_current_comm())` passes
 * the record field's address to bpf_get_current_comm, as C code calling it on `rec.comm` does.
 *
 * The rewrite must not change what any instruction reads. Checked on every path from the call
 * (a walk over the blocks until the call runs again):
 *  - the buffer is read by nothing but one copy: consecutive load/store pairs covering each of its
 *    bytes once, at one distance, in a block the call dominates, reached once per call;
 *  - before that copy nothing reads or writes the destination (also on paths that never reach the
 *    copy, so what the destination held is never read there) and nothing writes the buffer.
 * Accesses whose bytes are not known count as touching all they could: loads and stores through
 * registers that may point into the stack, bpf-to-bpf calls given such a register, helpers given a
 * stack address without a known size (everything above that address). Map helpers read their
 * key and value (sizes from the lowering: `argBytes`) and write neither.
 */
import { domTree } from './dominators.js';
import { type MemArg, memArgs } from './effects.js';
import { type Block, FIRST_VREG, FP, type Func, type Inst, type VReg, defs, successors, termUses, uses } from './ir.js';
import { BYTES, stackPointers } from './mem-access.js';

/** Bytes [lo, hi) relative to r10. */
type Range = readonly [number, number];
const ANY: Range = [-(1 << 30), 1 << 30];

interface Access {
  reads: Range[];
  writes: Range[];
}
const NOTHING: Access = { reads: [], writes: [] };

/** What an argument register holds at a call: a stack address (offset known or not), a constant, or neither. */
interface ArgVal {
  stack: boolean;
  addr?: number;
  imm?: number;
  /** The `mov rN, x` that set it. */
  at?: number;
}

class Frame {
  /** Registers holding r10 + K (`x = r10; x += K`, nothing else defining them). */
  readonly addrs = new Map<VReg, number>();
  readonly mayStack: Set<VReg>;
  readonly ndefs: Uint32Array;
  readonly nuses: Uint32Array;

  constructor(readonly f: Func) {
    this.mayStack = stackPointers(f);
    this.ndefs = new Uint32Array(f.nregs);
    this.nuses = new Uint32Array(f.nregs);
    const cand = new Map<VReg, number>();
    for (const b of f.blocks) {
      for (let k = 0; k < b.insts.length; k++) {
        const i = b.insts[k];
        for (const d of defs(i)) this.ndefs[d]++;
        for (const u of uses(i)) this.nuses[u]++;
        const n = b.insts[k + 1];
        if (i.op === 'mov' && i.w === 64 && i.src.r === FP && i.dst >= FIRST_VREG && n?.op === 'alu' && n.alu === 'add' && n.w === 64 && n.dst === i.dst && n.src.imm !== undefined) {
          cand.set(i.dst, n.src.imm);
        }
      }
      for (const u of termUses(b.term)) this.nuses[u]++;
    }
    cand.forEach((off, r) => {
      if (this.ndefs[r] === 2) this.addrs.set(r, off);
    });
  }

  /** The value argument register `reg` holds at the call `b.insts[k]`. */
  arg(b: Block, k: number, reg: VReg): ArgVal {
    for (let j = k - 1; j >= 0; j--) {
      const i = b.insts[j];
      if (!defs(i).includes(reg)) continue;
      if (i.op === 'call' || i.op === 'callsub') return { stack: false }; // clobbered: no value
      if (i.op === 'mov' && i.src.imm !== undefined) return { stack: false, imm: i.w === 32 ? i.src.imm >>> 0 : i.src.imm, at: j };
      if (i.op === 'mov' && i.src.r !== undefined) {
        const r = i.src.r;
        if (r === FP) return { stack: true, addr: 0, at: j };
        if (this.addrs.has(r)) return { stack: true, addr: this.addrs.get(r), at: j };
        return { stack: this.mayStack.has(r), at: j };
      }
      return { stack: true };
    }
    return { stack: true };
  }

  /** The stack bytes `b.insts[k]` may read and write. */
  access(b: Block, k: number): Access {
    const i = b.insts[k];
    const at = (base: VReg, off: number, n: number): Range | undefined => {
      if (base === FP) return [off, off + n];
      const a = this.addrs.get(base);
      if (a !== undefined) return [a + off, a + off + n];
      // physical registers as bases are not the lowering's: assume the worst
      return this.mayStack.has(base) || base < FIRST_VREG ? ANY : undefined;
    };
    switch (i.op) {
      case 'ld': {
        const r = at(i.base, i.off, BYTES[i.size]);
        return r ? { reads: [r], writes: [] } : NOTHING;
      }
      case 'st': {
        const r = at(i.base, i.off, BYTES[i.size]);
        return r ? { reads: [], writes: [r] } : NOTHING;
      }
      case 'atomic': {
        const r = at(i.base, i.off, BYTES[i.size]);
        return r ? { reads: [r], writes: [r] } : NOTHING;
      }
      case 'call':
      case 'callsub':
        return this.callAccess(b, k, i);
      default:
        return NOTHING;
    }
  }

  private callAccess(b: Block, k: number, i: Inst & { op: 'call' | 'callsub' }): Access {
    const acc: Access = { reads: [], writes: [] };
    const known = memArgs(i);
    for (let reg = 1; reg <= i.nargs; reg++) {
      const a = this.arg(b, k, reg);
      if (!a.stack) continue;
      const m = known.find((x) => x.ptr === reg);
      const n = m ? this.arg(b, k, m.size).imm : i.op === 'call' ? i.argBytes?.[reg] : undefined;
      // a helper stays within the memory it is given; without a size, everything above the address
      const r: Range = a.addr === undefined || i.op === 'callsub' ? ANY : n !== undefined ? [a.addr, a.addr + n] : [a.addr, 0];
      if (!m || m.r || n === undefined) acc.reads.push(r);
      if (m ? m.w || n === undefined : i.op !== 'call' || i.argBytes?.[reg] === undefined) acc.writes.push(r);
    }
    return acc;
  }
}

const overlaps = (rs: Range[], x: Range): boolean => rs.some((r) => r[0] < x[1] && x[0] < r[1]);

const fillOf = (i: Inst): MemArg | undefined => memArgs(i).find((m) => m.w && !m.r);

export function forwardBuffers(f: Func): void {
  if (!f.blocks.some((b) => b.insts.some((i) => fillOf(i)))) return;
  const tried = new Set<Inst>();
  for (let again = true; again; ) {
    again = false;
    const fr = new Frame(f);
    for (const b of f.blocks) {
      for (let k = 0; k < b.insts.length && !again; k++) {
        const i = b.insts[k];
        if (!fillOf(i) || tried.has(i)) continue;
        tried.add(i);
        again = tryForward(fr, b, k);
      }
      if (again) break;
    }
  }
}

/** A copy of the buffer: `pairs` load/store pairs from `at` in `block`, to the buffer's offset + `delta`. */
interface Copy {
  block: Block;
  at: number;
  pairs: number;
  delta: number;
}

function tryForward(fr: Frame, cb: Block, k: number): boolean {
  const f = fr.f;
  const fill = fillOf(cb.insts[k]);
  if (!fill) return false;
  const p = fr.arg(cb, k, fill.ptr);
  const n = fr.arg(cb, k, fill.size).imm;
  if (p.addr === undefined || p.at === undefined || n === undefined || n <= 0) return false;
  const buf: Range = [p.addr, p.addr + n];
  const copy = findCopy(fr, cb, k, buf);
  if (!copy) return false;
  const dst: Range = [buf[0] + copy.delta, buf[1] + copy.delta];
  // the helper's own source (a probe read of stack memory) must not be the destination
  if (overlaps(fr.access(cb, k).reads, dst) || !walk(fr, cb, k, buf, dst, copy)) return false;
  // the helper writes the destination; the copy goes (before inserting, which moves indexes)
  copy.block.insts.splice(copy.at, 2 * copy.pairs);
  const y = f.nregs++;
  f.pointers.add(y);
  const mov = cb.insts[p.at] as Inst & { op: 'mov' };
  cb.insts[p.at] = { ...mov, src: { r: y } };
  cb.insts.splice(p.at, 0, { op: 'mov', w: 64, dst: y, src: { r: FP }, pos: mov.pos }, { op: 'alu', alu: 'add', w: 64, dst: y, src: { imm: dst[0] }, pos: mov.pos });
  return true;
}

/** The first run of load/store pairs reading the buffer in a block the call dominates, if it copies all of it. */
function findCopy(fr: Frame, cb: Block, k: number, buf: Range): Copy | undefined {
  const t = domTree(fr.f);
  const dominated = (b: Block): boolean => {
    for (let x: Block | undefined = b; x; ) {
      if (x === cb) return true;
      const up: Block | undefined = t.idom.get(x);
      if (up === x) return false;
      x = up;
    }
    return false;
  };
  const readsBuf = (i: Inst): boolean => i.op === 'ld' && i.base === FP && i.off < buf[1] && buf[0] < i.off + BYTES[i.size];
  for (const b of fr.f.blocks) {
    if (!dominated(b)) continue;
    for (let j = b === cb ? k + 1 : 0; j < b.insts.length; j++) {
      if (readsBuf(b.insts[j])) return matchCopy(fr, b, j, buf, readsBuf);
    }
  }
  return undefined;
}

function matchCopy(fr: Frame, b: Block, at: number, buf: Range, readsBuf: (i: Inst) => boolean): Copy | undefined {
  let delta: number | undefined;
  const got = new Uint8Array(buf[1] - buf[0]);
  let j = at;
  for (; j + 1 < b.insts.length && readsBuf(b.insts[j]); j += 2) {
    const ld = b.insts[j] as Inst & { op: 'ld' };
    const st = b.insts[j + 1];
    if (st.op !== 'st' || st.base !== FP || st.src.r !== ld.dst || st.size !== ld.size) return undefined;
    if (fr.ndefs[ld.dst] !== 1 || fr.nuses[ld.dst] !== 1 || ld.dst < FIRST_VREG) return undefined;
    if (delta !== undefined && st.off - ld.off !== delta) return undefined;
    delta = st.off - ld.off;
    const lo = ld.off - buf[0];
    const hi = lo + BYTES[ld.size];
    if (lo < 0 || hi > got.length || got.subarray(lo, hi).some((x) => x)) return undefined;
    got.fill(1, lo, hi);
  }
  if (delta === undefined || got.some((x) => !x)) return undefined;
  const n = buf[1] - buf[0];
  if (Math.abs(delta) < n) return undefined; // overlapping source and destination
  return { block: b, at, pairs: (j - at) / 2, delta };
}

/**
 * Every path from the call until it runs again: before the copy, nothing may touch the
 * destination or write the buffer; anywhere, nothing but the copy (once) may read the buffer.
 */
function walk(fr: Frame, cb: Block, k: number, buf: Range, dst: Range, copy: Copy): boolean {
  const BEFORE = 2, AFTER = 1;
  const seen = new Map<Block, number>();
  const work: { b: Block; from: number; state: number }[] = [{ b: cb, from: k + 1, state: BEFORE }];
  while (work.length) {
    const w = work.pop()!;
    let state = w.state;
    // back at the call's block from its start: the walk ends at the call
    const atCall = w.b === cb && w.from === 0;
    const stop = atCall ? k : w.b.insts.length;
    for (let j = w.from; j < stop; j++) {
      if (state === BEFORE && w.b === copy.block && j === copy.at) {
        state = AFTER;
        j += 2 * copy.pairs - 1;
        continue;
      }
      const a = fr.access(w.b, j);
      if (overlaps(a.reads, buf)) return false;
      if (state === BEFORE && (overlaps(a.reads, dst) || overlaps(a.writes, dst) || overlaps(a.writes, buf))) return false;
    }
    if (atCall) continue;
    // each block once per state: before the copy the checks are stricter, but only after it does
    // reaching the copy again count as a read of the buffer
    for (const s of successors(w.b)) {
      const was = seen.get(s) ?? 0;
      if (was & state) continue;
      seen.set(s, was | state);
      work.push({ b: s, from: 0, state });
    }
  }
  return true;
}
