/**
 * The builder lowering uses for one function: blocks, virtual registers, stack slots, the
 * bindings of locals (a register, a constant, a view, an unchecked packet header, a maybe-null
 * pointer) and the packet pointers (data/data_end, loaded once at entry and reloaded after
 * helpers that move the packet).
 */
import type { Diagnostics } from './diagnostics.js';
import { type Block, FIRST_VREG, FP, type Func, type Inst, type Opnd, type Term, type VReg } from './ir.js';
import type { LocalSym } from './typed.js';
import type { IntTy, Space, Ty } from './types.js';

/**
 * A scalar value: in a register or a constant. `dirty`: an 8/16-bit value not yet wrapped to its
 * width. `tmp`: the register is a temporary that only this value uses (an arithmetic result), so
 * the next operation may compute into it instead of a copy.
 */
export interface Val {
  r?: VReg;
  imm?: bigint;
  ty: Ty;
  dirty: boolean;
  tmp?: boolean;
}

/** Memory a view points at: base register (FP for the stack) plus a constant offset. */
export interface View {
  base: VReg;
  off: number;
  space: Space | 'unknown';
  /** The widest load the kernel allows here (context parts it checks field by field). */
  maxLoad?: number;
}

export type Binding =
  | { k: 'val'; r: VReg }
  /**
   * An inlined parameter whose argument is `rest + c` (never assigned, read once): the sum is
   * formed where it is read, so a packet offset folds `c` into the access (`ctx.header(off)`
   * with `off = 14 + ihl * 4` checks `data + ihl * 4 + 22` and reads at `+ 14`).
   */
  | { k: 'sum'; rest: LocalSym; c: bigint }
  | { k: 'const'; value: bigint }
  | { k: 'view'; view: View }
  /** ctx.header<T>(off) not yet checked: `ptr` gets the pointer when a test checks the length. */
  | { k: 'hdr'; varOff?: VReg; varMax: bigint; constOff: number; size: number; ptr?: VReg }
  /** A map value or ring-buffer record pointer that may be 0. */
  | { k: 'ptr'; r: VReg; space: Space }
  /** A stack buffer a helper filled (skb_load_bytes, probe reads): present when `ok` (the helper's result) is ≥ 0. */
  | { k: 'loaded'; ok: VReg; view: View }
  | { k: 'ctx'; r: VReg };

/** Where `return` goes inside an inlined function. */
export interface InlineFrame {
  result?: VReg;
  cont: Block;
}

export class FnBuilder {
  readonly blocks: Block[] = [];
  cur: Block;
  private nextReg = FIRST_VREG;
  private nextBlock = 0;
  private readonly closed = new Set<Block>();
  /** Current source position, stamped on every instruction. */
  pos = 0;
  readonly bindings = new Map<LocalSym, Binding>();
  readonly pointers = new Set<VReg>();
  /** Stack: permanent slots grow from the top; temporaries (map keys) live only during one call. */
  private frameTop = 0;
  private tempTop = 0;
  maxFrame = 0;
  ctx?: VReg;
  /** Where the context keeps the packet pointers (contexts.ts): data/data_end offsets and load width. */
  packet?: { data: number; end: number; width: 4 | 8 };
  dataReg?: VReg;
  endReg?: VReg;
  private entryInsert = 0;
  inline?: InlineFrame;
  /** A program returning nothing (tracing): `return;` returns 0. */
  voidReturnsZero = false;
  loops: { brk: Block; cont?: Block }[] = [];

  constructor(readonly name: string, readonly diags: Diagnostics, readonly fnPos: number) {
    this.cur = this.newBlock();
  }

  reg(pointer = false): VReg {
    const r = this.nextReg++;
    if (pointer) this.pointers.add(r);
    return r;
  }

  newBlock(): Block {
    const b: Block = { id: this.nextBlock++, insts: [], term: { op: 'exit', pos: -1 } };
    this.blocks.push(b);
    return b;
  }

  /** True while the current block has no terminator yet. */
  get open(): boolean {
    return !this.closed.has(this.cur);
  }

  emit(i: Inst): void {
    if (!this.open) {
      // code after a return/break (only reachable through a bug) goes to a dead block
      this.cur = this.newBlock();
    }
    if (i.op === 'st' && i.src.imm !== undefined && !i.keepImm) {
      // BPF_ST with an immediate is valid but LLVM 14's tools cannot show it: store a register
      i = { ...i, src: { r: this.constReg(i.src.imm, i.size === 'u64' ? 64 : 32) } };
    }
    this.cur.insts.push(i);
  }

  private consts = new Map<string, VReg>();
  private constsBlock?: Block;
  /** A register holding a constant, shared within the current block. */
  constReg(imm: number, w: 32 | 64): VReg {
    if (this.constsBlock !== this.cur) {
      this.consts.clear();
      this.constsBlock = this.cur;
    }
    const key = `${w}:${imm}`;
    let r = this.consts.get(key);
    if (r === undefined) {
      r = this.reg();
      this.cur.insts.push({ op: 'mov', w, dst: r, src: { imm }, pos: this.pos });
      this.consts.set(key, r);
    }
    return r;
  }

  private readonly rets = new Map<string, Block>();
  /** One shared `r0 = imm; exit` block per returned constant (branches jump straight to it). */
  retBlock(imm: number, w: 32 | 64): Block {
    const key = `${w}:${imm}`;
    let b = this.rets.get(key);
    if (!b) {
      b = this.newBlock();
      b.insts.push({ op: 'mov', w, dst: 0, src: { imm }, pos: this.pos });
      b.term = { op: 'exit', pos: this.pos };
      this.closed.add(b);
      this.rets.set(key, b);
    }
    return b;
  }

  /** Upper bounds of inlined parameters that the function never assigns. */
  readonly paramMax = new Map<LocalSym, bigint>();

  terminate(t: Term): void {
    if (!this.open) return;
    this.cur.term = t;
    this.closed.add(this.cur);
  }

  br(to: Block): void {
    this.terminate({ op: 'br', to, pos: this.pos });
  }

  setCur(b: Block): void {
    this.cur = b;
  }

  // ---- instruction helpers ----
  mov(dst: VReg, src: Opnd, w: 32 | 64 = 64): void {
    this.emit({ op: 'mov', w, dst, src, pos: this.pos });
  }
  alu(alu: Exclude<import('../insn/types.js').AluOp, 'mov'>, dst: VReg, src: Opnd, w: 32 | 64): void {
    this.emit({ op: 'alu', alu, w, dst, src, pos: this.pos });
  }

  /** Marks the end of the entry's parameter moves: lazily loaded packet pointers go after them. */
  markEntry(): void {
    this.entryInsert = this.blocks[0].insts.length;
  }

  /** Inserts an instruction in the entry block (after parameter moves). */
  private atEntry(i: Inst): void {
    this.blocks[0].insts.splice(this.entryInsert++, 0, i);
  }

  /** The packet start pointer (ctx->data), loaded at entry the first time it is needed. */
  data(): VReg {
    if (this.dataReg === undefined) this.loadPacket();
    return this.dataReg!;
  }
  end(): VReg {
    if (this.endReg === undefined) this.loadPacket();
    return this.endReg!;
  }
  private loadPacket(): void {
    if (this.ctx === undefined || !this.packet) throw new Error('packet access without a context');
    this.dataReg = this.reg(true);
    this.endReg = this.reg(true);
    const size = this.packet.width === 8 ? 'u64' : 'u32';
    this.atEntry({ op: 'ld', size, dst: this.dataReg, base: this.ctx, off: this.packet.data, pos: this.fnPos });
    this.atEntry({ op: 'ld', size, dst: this.endReg, base: this.ctx, off: this.packet.end, pos: this.fnPos });
  }
  /** After xdp_adjust_head/tail: old packet pointers are invalid; load them again. */
  reloadPacket(): void {
    if (this.ctx === undefined || !this.packet) return;
    // even if nothing read the packet yet: later reads must not use the entry values (dead
    // entry loads are removed by dead-code elimination)
    if (this.dataReg === undefined) this.loadPacket();
    const size = this.packet.width === 8 ? 'u64' : 'u32';
    this.emit({ op: 'ld', size, dst: this.dataReg!, base: this.ctx, off: this.packet.data, pos: this.pos });
    this.emit({ op: 'ld', size, dst: this.endReg!, base: this.ctx, off: this.packet.end, pos: this.pos });
  }

  // ---- stack ----
  /** A slot for the whole function (struct variables). Returns the (negative) offset from FP. */
  allocSlot(size: number, align: number): number {
    // below any live temporaries (a struct literal built while a map key waits for its call)
    this.frameTop = Math.ceil((this.frameTop + this.tempTop + size) / align) * align;
    this.maxFrame = Math.max(this.maxFrame, this.frameTop + this.tempTop);
    this.checkStack();
    return -this.frameTop;
  }
  private stackReported = false;
  private checkStack(): void {
    if (this.maxFrame > 512 && !this.stackReported) {
      this.stackReported = true;
      this.diags.error('STACK', this.pos, `'${this.name}' needs ${this.maxFrame} bytes of stack here; BPF allows 512`);
    }
  }
  /** A slot for one helper call's arguments; release with `releaseTemps(mark)`. */
  allocTemp(size: number, align: number): number {
    // aligned as an offset from r10 (8-aligned), whatever the permanent slots above it left
    this.tempTop = Math.ceil((this.frameTop + this.tempTop + size) / align) * align - this.frameTop;
    this.maxFrame = Math.max(this.maxFrame, this.frameTop + this.tempTop);
    this.checkStack();
    return -(this.frameTop + this.tempTop);
  }
  tempMark(): number {
    return this.tempTop;
  }
  releaseTemps(mark: number): void {
    this.tempTop = mark;
  }

  /** A register holding FP + off (for passing stack memory to helpers). */
  stackAddr(off: number): VReg {
    const r = this.reg(true);
    this.mov(r, { r: FP });
    this.alu('add', r, { imm: off }, 64);
    return r;
  }

  /** The address a view points at, in a register. */
  viewAddr(v: View): VReg {
    if (v.off === 0 && v.base !== FP) return v.base;
    const r = this.reg(true);
    this.mov(r, { r: v.base });
    this.alu('add', r, { imm: v.off }, 64);
    return r;
  }

  finish(nparams: number): Func {
    this.terminate({ op: 'exit', pos: this.pos });
    return { name: this.name, blocks: this.blocks, nregs: this.nextReg, frame: this.maxFrame, pointers: this.pointers, nparams, pos: this.fnPos };
  }
}

export function isSmall(t: Ty): t is IntTy {
  return t.k === 'int' && t.bits < 32;
}

export function width(t: Ty): 32 | 64 {
  return t.k === 'int' && t.bits === 64 ? 64 : 32;
}

