/**
 * The assembler: build a program instruction by instruction with named labels, symbolic
 * references (maps, globals, functions, kfuncs) and source locations. `finish()` resolves jumps
 * and returns the instructions plus the relocations an object writer turns into ELF relocations.
 *
 *   const a = new Assembler();
 *   a.at({ file: 'hello.bpf.ts', line: 3, column: 3 })
 *     .ldMapValue(r1, '.rodata.str', 0).mov32(r2, 18).call('trace_printk')
 *     .mov32(r0, 2).exit();
 *   const { insns, relocs, lines } = a.finish();
 *
 * Symbolic references follow clang's object conventions: `r1 = 0 ll` (imm = addend) for maps,
 * globals and function addresses, `call -1` (src 1) for bpf-to-bpf and kfunc calls.
 */
import { helperByName, type HelperName } from '../abi/index.js';
import { AsmError, InsnError } from './errors.js';
import { slotCount, toSlots } from './encode.js';
import type { AluOp, AtomicOp, Insn, JmpOp, LoadSize, Reg, Size, Width } from './types.js';

export type RegName = 'r0' | 'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6' | 'r7' | 'r8' | 'r9' | 'r10';
export const r0 = 'r0', r1 = 'r1', r2 = 'r2', r3 = 'r3', r4 = 'r4', r5 = 'r5';
export const r6 = 'r6', r7 = 'r7', r8 = 'r8', r9 = 'r9', r10 = 'r10';
/** A source operand: a register or a 32-bit immediate. */
export type Src = RegName | number;

export interface SourceLoc {
  file: string;
  line: number;
  column: number;
  /** The source line's text, for BTF line_info (optional). */
  text?: string;
}

/** map: `lddw` of a map; map_value: of a global (offset in addend); func: `lddw` of a function's address or a bpf-to-bpf call; kfunc: a kfunc call. */
export type RelocKind = 'map' | 'map_value' | 'func' | 'kfunc';

export interface AsmReloc {
  /** Index into `insns`. */
  index: number;
  /** Position in 8-byte slots (byte offset / 8). */
  slot: number;
  kind: RelocKind;
  symbol: string;
  addend: number;
}

export interface AsmLine { index: number; slot: number; loc: SourceLoc }
export interface AsmSymbol { name: string; index: number; slot: number }

export interface AsmProgram {
  insns: Insn[];
  relocs: AsmReloc[];
  /** One entry wherever the source location changes (the form BTF line_info takes). */
  lines: AsmLine[];
  labels: AsmSymbol[];
  /** Functions marked with `func(name)`, with their length in slots. */
  funcs: (AsmSymbol & { slots: number })[];
  /** Program length in 8-byte slots. */
  slots: number;
}

export interface FinishOptions {
  /** Resolve `callFunc` to functions marked in this program into relative calls (no relocation). */
  resolveLocalCalls?: boolean;
}

type JumpKind = 'jmp' | 'ja' | 'gotol' | 'may_goto';
interface Entry {
  insn: Insn;
  loc?: SourceLoc;
  label?: string;
  reloc?: { kind: RelocKind; symbol: string; addend: number };
}

const REGS: Record<string, Reg> = { r0: 0, r1: 1, r2: 2, r3: 3, r4: 4, r5: 5, r6: 6, r7: 7, r8: 8, r9: 9, r10: 10 };

function reg(r: unknown, what = 'register'): Reg {
  const n = typeof r === 'string' ? REGS[r] : undefined;
  if (n === undefined) throw new AsmError(`${what} ${JSON.stringify(r)} is not one of r0..r10`);
  return n;
}

function operand(src: Src): { src: Reg } | { imm: number } {
  if (typeof src === 'number') {
    if (!Number.isInteger(src) || src < -(2 ** 31) || src >= 2 ** 32) {
      throw new AsmError(`immediate ${src} does not fit in 32 bits`, 'use ld64() for 64-bit constants');
    }
    return { imm: src | 0 };
  }
  return { src: reg(src, 'source register') };
}

export class Assembler {
  private readonly entries: Entry[] = [];
  private readonly labelAt = new Map<string, number>();
  private readonly duplicate: string[] = [];
  private readonly funcAt: AsmSymbol[] = [];
  private loc: SourceLoc | undefined;

  /** Number of instructions emitted so far. */
  get length(): number { return this.entries.length; }

  /** Sets the source location of the instructions emitted from now on (undefined clears it). */
  at(loc: SourceLoc | undefined): this { this.loc = loc; return this; }

  /** Appends any instruction as is. */
  emit(insn: Insn): this { return this.push({ insn }); }

  private push(e: Entry): this {
    if (this.loc) e.loc = this.loc;
    this.entries.push(e);
    return this;
  }

  // ---------------------------------------------------------------- ALU

  alu(op: AluOp, width: Width, dst: RegName, src: Src): this {
    const o = operand(src);
    if ('imm' in o) {
      if ((op === 'lsh' || op === 'rsh' || op === 'arsh') && (o.imm < 0 || o.imm >= width)) {
        throw new AsmError(`${op}${width}: shift by ${o.imm} is outside 0..${width - 1}`);
      }
      if ((op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod') && o.imm === 0) {
        throw new AsmError(`${op}${width}: division by the constant 0`);
      }
    }
    return this.emit({ kind: 'alu', width, op, dst: reg(dst), ...o } as Insn);
  }
  mov64(d: RegName, s: Src): this { return this.alu('mov', 64, d, s); }
  mov32(d: RegName, s: Src): this { return this.alu('mov', 32, d, s); }
  add64(d: RegName, s: Src): this { return this.alu('add', 64, d, s); }
  add32(d: RegName, s: Src): this { return this.alu('add', 32, d, s); }
  sub64(d: RegName, s: Src): this { return this.alu('sub', 64, d, s); }
  sub32(d: RegName, s: Src): this { return this.alu('sub', 32, d, s); }
  mul64(d: RegName, s: Src): this { return this.alu('mul', 64, d, s); }
  mul32(d: RegName, s: Src): this { return this.alu('mul', 32, d, s); }
  div64(d: RegName, s: Src): this { return this.alu('div', 64, d, s); }
  div32(d: RegName, s: Src): this { return this.alu('div', 32, d, s); }
  sdiv64(d: RegName, s: Src): this { return this.alu('sdiv', 64, d, s); }
  sdiv32(d: RegName, s: Src): this { return this.alu('sdiv', 32, d, s); }
  mod64(d: RegName, s: Src): this { return this.alu('mod', 64, d, s); }
  mod32(d: RegName, s: Src): this { return this.alu('mod', 32, d, s); }
  smod64(d: RegName, s: Src): this { return this.alu('smod', 64, d, s); }
  smod32(d: RegName, s: Src): this { return this.alu('smod', 32, d, s); }
  or64(d: RegName, s: Src): this { return this.alu('or', 64, d, s); }
  or32(d: RegName, s: Src): this { return this.alu('or', 32, d, s); }
  and64(d: RegName, s: Src): this { return this.alu('and', 64, d, s); }
  and32(d: RegName, s: Src): this { return this.alu('and', 32, d, s); }
  xor64(d: RegName, s: Src): this { return this.alu('xor', 64, d, s); }
  xor32(d: RegName, s: Src): this { return this.alu('xor', 32, d, s); }
  lsh64(d: RegName, s: Src): this { return this.alu('lsh', 64, d, s); }
  lsh32(d: RegName, s: Src): this { return this.alu('lsh', 32, d, s); }
  rsh64(d: RegName, s: Src): this { return this.alu('rsh', 64, d, s); }
  rsh32(d: RegName, s: Src): this { return this.alu('rsh', 32, d, s); }
  arsh64(d: RegName, s: Src): this { return this.alu('arsh', 64, d, s); }
  arsh32(d: RegName, s: Src): this { return this.alu('arsh', 32, d, s); }
  neg64(d: RegName): this { return this.emit({ kind: 'neg', width: 64, dst: reg(d) }); }
  neg32(d: RegName): this { return this.emit({ kind: 'neg', width: 32, dst: reg(d) }); }
  /** `dst = (sN)src`, 64-bit (ISA v4). */
  movsx64(d: RegName, s: RegName, from: 8 | 16 | 32): this { return this.emit({ kind: 'movsx', width: 64, dst: reg(d), src: reg(s), from }); }
  /** `wdst = (sN)wsrc` (ISA v4). */
  movsx32(d: RegName, s: RegName, from: 8 | 16): this { return this.emit({ kind: 'movsx', width: 32, dst: reg(d), src: reg(s), from }); }
  /** Host → little-endian (a truncation to `bits` on BPF's little-endian targets). */
  le(d: RegName, bits: 16 | 32 | 64): this { return this.emit({ kind: 'endian', order: 'le', bits, dst: reg(d) }); }
  /** Host ↔ big-endian (network order). */
  be(d: RegName, bits: 16 | 32 | 64): this { return this.emit({ kind: 'endian', order: 'be', bits, dst: reg(d) }); }
  /** Unconditional byte swap (ISA v4). */
  bswap(d: RegName, bits: 16 | 32 | 64): this { return this.emit({ kind: 'endian', order: 'swap', bits, dst: reg(d) }); }
  addrSpaceCast(d: RegName, s: RegName, dstAs: number, srcAs: number): this {
    return this.emit({ kind: 'addr_space_cast', dst: reg(d), src: reg(s), dstAs, srcAs });
  }

  // ---------------------------------------------------------------- memory

  /** `dst = *(size *)(src + off)`; `s8`/`s16`/`s32` sign-extend (ISA v4). */
  ldx(size: LoadSize, dst: RegName, src: RegName, off = 0): this { return this.emit({ kind: 'ldx', size, dst: reg(dst), src: reg(src), off }); }
  /** `*(size *)(dst + off) = imm`. */
  st(size: Size, dst: RegName, off: number, imm: number): this { return this.emit({ kind: 'st', size, dst: reg(dst), off, imm }); }
  /** `*(size *)(dst + off) = src`. */
  stx(size: Size, dst: RegName, off: number, src: RegName): this { return this.emit({ kind: 'stx', size, dst: reg(dst), off, src: reg(src) }); }
  /** Atomic read-modify-write on `*(size *)(dst + off)` with `src` (cmpxchg compares with r0). */
  atomic(op: Exclude<AtomicOp, 'load_acquire' | 'store_release'>, size: 'u32' | 'u64', dst: RegName, off: number, src: RegName): this {
    return this.emit({ kind: 'atomic', op, size, dst: reg(dst), src: reg(src), off });
  }
  /** `dst = load_acquire((size *)(src + off))`. */
  loadAcquire(size: Size, dst: RegName, src: RegName, off = 0): this { return this.emit({ kind: 'atomic', op: 'load_acquire', size, dst: reg(dst), src: reg(src), off }); }
  /** `store_release((size *)(dst + off), src)`. */
  storeRelease(size: Size, dst: RegName, off: number, src: RegName): this { return this.emit({ kind: 'atomic', op: 'store_release', size, dst: reg(dst), src: reg(src), off }); }
  /** Legacy `r0 = *(size *)skb[imm]` (socket filters; r6 holds the skb). */
  ldAbs(size: 'u8' | 'u16' | 'u32', imm: number): this { return this.emit({ kind: 'ldabs', size, imm }); }
  /** Legacy `r0 = *(size *)skb[src + imm]`. */
  ldInd(size: 'u8' | 'u16' | 'u32', src: RegName, imm = 0): this { return this.emit({ kind: 'ldind', size, src: reg(src), imm }); }

  // ---------------------------------------------------------------- 64-bit immediates

  /** `dst = value ll`. */
  ld64(dst: RegName, value: bigint | number): this {
    const v = BigInt(value);
    if (v < -(1n << 63n) || v >= 1n << 64n) throw new AsmError(`ld64: ${v} does not fit in 64 bits`);
    return this.emit({ kind: 'lddw', dst: reg(dst), pseudo: 'none', imm: BigInt.asIntN(64, v) });
  }
  /** `dst = map` (relocated to the map's fd at load time). */
  ldMap(dst: RegName, map: string): this { return this.symbolic(dst, 'map', map, 0); }
  /** `dst = &global + offset` (a global in .data/.rodata/.bss; relocated to the map value). */
  ldMapValue(dst: RegName, global: string, offset = 0): this { return this.symbolic(dst, 'map_value', global, offset); }
  /** `dst = &function` (callbacks for bpf_loop, bpf_for_each_map_elem, timers). */
  ldFunc(dst: RegName, func: string): this { return this.symbolic(dst, 'func', func, 0); }

  private symbolic(dst: RegName, kind: RelocKind, symbol: string, addend: number): this {
    if (typeof symbol !== 'string' || symbol === '') throw new AsmError(`${kind} reference needs a symbol name`);
    if (!Number.isInteger(addend) || addend < -(2 ** 31) || addend >= 2 ** 31) throw new AsmError(`offset ${addend} into '${symbol}' does not fit in 32 bits`);
    return this.push({ insn: { kind: 'lddw', dst: reg(dst), pseudo: 'none', imm: BigInt(addend) }, reloc: { kind, symbol, addend } });
  }

  // ---------------------------------------------------------------- jumps

  /** Defines a label at the next instruction. */
  label(name: string): this {
    if (this.labelAt.has(name)) this.duplicate.push(name);
    else this.labelAt.set(name, this.entries.length);
    return this;
  }

  jmp(op: JmpOp, width: Width, dst: RegName, src: Src, target: string): this {
    return this.push({ insn: { kind: 'jmp', width, op, dst: reg(dst), off: 0, ...operand(src) } as Insn, label: target });
  }
  jeq(d: RegName, s: Src, t: string): this { return this.jmp('eq', 64, d, s, t); }
  jne(d: RegName, s: Src, t: string): this { return this.jmp('ne', 64, d, s, t); }
  jgt(d: RegName, s: Src, t: string): this { return this.jmp('gt', 64, d, s, t); }
  jge(d: RegName, s: Src, t: string): this { return this.jmp('ge', 64, d, s, t); }
  jlt(d: RegName, s: Src, t: string): this { return this.jmp('lt', 64, d, s, t); }
  jle(d: RegName, s: Src, t: string): this { return this.jmp('le', 64, d, s, t); }
  jsgt(d: RegName, s: Src, t: string): this { return this.jmp('sgt', 64, d, s, t); }
  jsge(d: RegName, s: Src, t: string): this { return this.jmp('sge', 64, d, s, t); }
  jslt(d: RegName, s: Src, t: string): this { return this.jmp('slt', 64, d, s, t); }
  jsle(d: RegName, s: Src, t: string): this { return this.jmp('sle', 64, d, s, t); }
  jset(d: RegName, s: Src, t: string): this { return this.jmp('set', 64, d, s, t); }
  jeq32(d: RegName, s: Src, t: string): this { return this.jmp('eq', 32, d, s, t); }
  jne32(d: RegName, s: Src, t: string): this { return this.jmp('ne', 32, d, s, t); }
  jgt32(d: RegName, s: Src, t: string): this { return this.jmp('gt', 32, d, s, t); }
  jge32(d: RegName, s: Src, t: string): this { return this.jmp('ge', 32, d, s, t); }
  jlt32(d: RegName, s: Src, t: string): this { return this.jmp('lt', 32, d, s, t); }
  jle32(d: RegName, s: Src, t: string): this { return this.jmp('le', 32, d, s, t); }
  jsgt32(d: RegName, s: Src, t: string): this { return this.jmp('sgt', 32, d, s, t); }
  jsge32(d: RegName, s: Src, t: string): this { return this.jmp('sge', 32, d, s, t); }
  jslt32(d: RegName, s: Src, t: string): this { return this.jmp('slt', 32, d, s, t); }
  jsle32(d: RegName, s: Src, t: string): this { return this.jmp('sle', 32, d, s, t); }
  jset32(d: RegName, s: Src, t: string): this { return this.jmp('set', 32, d, s, t); }
  /** `goto label` (16-bit offset). */
  ja(target: string): this { return this.push({ insn: { kind: 'ja', off: 0 }, label: target }); }
  /** `gotol label` (32-bit offset, ISA v4). */
  gotol(target: string): this { return this.push({ insn: { kind: 'gotol', off: 0 }, label: target }); }
  /** `may_goto label` (bounded loops, kernel 6.9). */
  mayGoto(target: string): this { return this.push({ insn: { kind: 'may_goto', off: 0 }, label: target }); }

  // ---------------------------------------------------------------- calls

  /**
   * Helper call by name (`trace_printk` or `bpf_trace_printk`) or id. Names must be in the uapi
   * table; ids need not be (the running kernel may know helpers newer than the header).
   */
  call(helper: HelperName | `bpf_${HelperName}` | number): this {
    if (typeof helper === 'number') {
      if (!Number.isInteger(helper) || helper < 1 || helper >= 2 ** 31) throw new AsmError(`helper id ${helper} is not a positive 32-bit integer`);
      return this.emit({ kind: 'call', target: 'helper', imm: helper });
    }
    const h = helperByName(helper);
    if (!h) throw new AsmError(`unknown helper ${JSON.stringify(helper)}`, 'helper names are those of linux/bpf.h, with or without the bpf_ prefix');
    return this.emit({ kind: 'call', target: 'helper', imm: h.id });
  }
  /** bpf-to-bpf call of a function by symbol: `call -1` with a `func` relocation. */
  callFunc(symbol: string): this {
    return this.push({ insn: { kind: 'call', target: 'func', imm: -1 }, reloc: { kind: 'func', symbol, addend: 0 } });
  }
  /** kfunc call by symbol: `call -1` with a `kfunc` relocation (the loader sets src 2 and the BTF id), as clang emits it. */
  callKfunc(symbol: string): this {
    return this.push({ insn: { kind: 'call', target: 'func', imm: -1 }, reloc: { kind: 'kfunc', symbol, addend: 0 } });
  }
  exit(): this { return this.emit({ kind: 'exit' }); }

  /** Marks the start of a function (a global symbol) at the next instruction. */
  func(name: string): this {
    if (this.funcAt.some((f) => f.name === name)) throw new AsmError(`function '${name}' is defined twice`);
    this.funcAt.push({ name, index: this.entries.length, slot: -1 });
    return this;
  }

  // ---------------------------------------------------------------- finish

  /** Resolves labels and returns the program; throws AsmError naming the label and instruction. */
  finish(opts: FinishOptions = {}): AsmProgram {
    if (this.duplicate.length) {
      const name = this.duplicate[0]!;
      throw new AsmError(`label '${name}' is defined twice (first before instruction ${this.labelAt.get(name)})`);
    }
    const slotOf: number[] = [];
    let slots = 0;
    for (const e of this.entries) { slotOf.push(slots); slots += slotCount(e.insn); }
    slotOf.push(slots);
    const where = (i: number): string => {
      const loc = this.entries[i]?.loc;
      return `instruction ${i} (slot ${slotOf[i]})${loc ? ` at ${loc.file}:${loc.line}:${loc.column}` : ''}`;
    };
    const funcs = this.funcAt.map((f, k) => {
      const end = this.funcAt[k + 1]?.index ?? this.entries.length;
      return { name: f.name, index: f.index, slot: slotOf[f.index]!, slots: slotOf[end]! - slotOf[f.index]! };
    });
    const funcSlot = new Map(funcs.map((f) => [f.name, f.slot]));
    const insns: Insn[] = [];
    const relocs: AsmReloc[] = [];
    const lines: AsmLine[] = [];
    let lastLoc: SourceLoc | undefined;
    this.entries.forEach((e, i) => {
      let insn = e.insn;
      if (e.label !== undefined) insn = this.resolveJump(insn, e.label, i, slotOf, where);
      if (e.reloc) {
        const local = opts.resolveLocalCalls && e.reloc.kind === 'func' && insn.kind === 'call' ? funcSlot.get(e.reloc.symbol) : undefined;
        if (local !== undefined) insn = { kind: 'call', target: 'func', imm: local - slotOf[i]! - 1 };
        else relocs.push({ index: i, slot: slotOf[i]!, ...e.reloc });
      }
      try {
        toSlots(insn);
      } catch (err) {
        if (err instanceof InsnError) throw new AsmError(`${where(i)}: ${err.message}`);
        throw err;
      }
      if (e.loc && !sameLoc(e.loc, lastLoc)) lines.push({ index: i, slot: slotOf[i]!, loc: e.loc });
      lastLoc = e.loc;
      insns.push(insn);
    });
    const labels = [...this.labelAt].map(([name, index]) => ({ name, index, slot: slotOf[index]! }));
    return { insns, relocs, lines, labels, funcs, slots };
  }

  private resolveJump(insn: Insn, label: string, i: number, slotOf: number[], where: (i: number) => string): Insn {
    const target = this.labelAt.get(label);
    if (target === undefined) throw new AsmError(`${where(i)}: jump to unknown label '${label}'`);
    if (target >= this.entries.length) throw new AsmError(`${where(i)}: label '${label}' is at the end of the program; a jump there leaves it`);
    const off = slotOf[target]! - slotOf[i]! - 1;
    const kind = insn.kind as JumpKind;
    const limit = kind === 'gotol' ? 2 ** 31 : 2 ** 15;
    if (off < -limit || off >= limit) {
      throw new AsmError(`${where(i)}: jump to label '${label}' is ${off} instructions away, outside the ${kind === 'gotol' ? 32 : 16}-bit range`, kind === 'gotol' ? undefined : 'use gotol() for long jumps');
    }
    return { ...insn, off } as Insn;
  }
}

function sameLoc(a: SourceLoc, b: SourceLoc | undefined): boolean {
  return !!b && a.file === b.file && a.line === b.line && a.column === b.column;
}

/** `new Assembler()` for those who prefer a function. */
export const asm = (): Assembler => new Assembler();
