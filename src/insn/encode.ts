/** Insn → 8-byte little-endian slots (two for `lddw`). Rejects values the encoding cannot hold. */
import { InsnError } from './errors.js';
import * as op from './opcodes.js';
import type { Insn, RawSlot } from './types.js';

export const SLOT_SIZE = 8;

/** Number of 8-byte slots an instruction occupies. */
export function slotCount(insn: Insn): 1 | 2 {
  return insn.kind === 'lddw' ? 2 : 1;
}

/** Total slots of a program (the unit jump offsets and call targets count in). */
export function programSlots(insns: readonly Insn[]): number {
  let n = 0;
  for (const i of insns) n += slotCount(i);
  return n;
}

/** Thrown internally and turned into InsnError; not an Error, so throwing it captures no stack (decoding junk is common in the disassembler). */
class EncodeFailure {
  constructor(readonly message: string) {}
}
const fail = (msg: string): never => { throw new EncodeFailure(msg); };

function reg(r: unknown, what: string): number {
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r > 10) fail(`${what} register ${String(r)} is not one of r0..r10`);
  return r as number;
}

function int(v: unknown, bits: 16 | 32, what: string, allowUnsigned = false): number {
  const min = -(2 ** (bits - 1));
  const max = allowUnsigned ? 2 ** bits - 1 : 2 ** (bits - 1) - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${what} ${String(v)} does not fit in a signed ${bits}-bit field`);
  return bits === 16 ? ((v as number) << 16) >> 16 : (v as number) | 0;
}

function lookup<T>(table: Record<string, T>, key: unknown, what: string): T {
  const v = typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
  if (v === undefined) return fail(`unknown ${what} '${String(key)}'`);
  return v;
}

const slot = (code: number, dst = 0, src = 0, off = 0, imm = 0): RawSlot => ({ code, dst, src, off, imm });

/** The raw slot fields of one instruction (throws InsnError without an index on bad fields). */
export function toSlots(insn: Insn): RawSlot[] {
  try {
    return slotsOf(insn);
  } catch (e) {
    if (e instanceof EncodeFailure) throw new InsnError(`cannot encode ${describe(insn)}: ${e.message}`);
    throw e;
  }
}

function describe(insn: Insn): string {
  return `${insn.kind}${'op' in insn ? ` ${String(insn.op)}` : ''}`;
}

function slotsOf(i: Insn): RawSlot[] {
  switch (i.kind) {
    case 'alu': {
      const cls = i.width === 64 ? op.ALU64 : i.width === 32 ? op.ALU : fail(`width ${String(i.width)} is not 32 or 64`);
      const code = lookup(op.ALU_CODE, i.op, 'ALU operation');
      const off = i.op === 'sdiv' || i.op === 'smod' ? 1 : 0;
      if (i.src !== undefined) {
        if (i.imm !== undefined) fail('both src and imm given');
        return [slot(cls | code | op.SRC_X, reg(i.dst, 'dst'), reg(i.src, 'src'), off, 0)];
      }
      return [slot(cls | code, reg(i.dst, 'dst'), 0, off, int(i.imm, 32, 'immediate', true))];
    }
    case 'neg':
      return [slot((i.width === 64 ? op.ALU64 : i.width === 32 ? op.ALU : fail('width must be 32 or 64')) | op.NEG, reg(i.dst, 'dst'))];
    case 'movsx': {
      const ok = i.width === 64 ? [8, 16, 32] : i.width === 32 ? [8, 16] : fail('width must be 32 or 64');
      if (!ok.includes(i.from)) fail(`a ${i.width}-bit sign-extending move extends from ${ok.join('/')} bits, not ${String(i.from)}`);
      return [slot((i.width === 64 ? op.ALU64 : op.ALU) | op.ALU_CODE.mov | op.SRC_X, reg(i.dst, 'dst'), reg(i.src, 'src'), i.from)];
    }
    case 'endian': {
      if (i.bits !== 16 && i.bits !== 32 && i.bits !== 64) fail(`byte swap width ${String(i.bits)} is not 16, 32 or 64`);
      const code = i.order === 'le' ? op.ALU | op.END : i.order === 'be' ? op.ALU | op.END | op.TO_BE
        : i.order === 'swap' ? op.ALU64 | op.END : fail(`byte order '${String(i.order)}' is not le, be or swap`);
      return [slot(code, reg(i.dst, 'dst'), 0, 0, i.bits)];
    }
    case 'addr_space_cast':
      if (!isU16(i.dstAs) || !isU16(i.srcAs)) fail('address spaces must be 0..65535');
      return [slot(op.ALU64 | op.ALU_CODE.mov | op.SRC_X, reg(i.dst, 'dst'), reg(i.src, 'src'), op.ADDR_SPACE_CAST_OFF, ((i.dstAs << 16) | i.srcAs) | 0)];
    case 'jmp': {
      const cls = i.width === 64 ? op.JMP : i.width === 32 ? op.JMP32 : fail(`width ${String(i.width)} is not 32 or 64`);
      const code = cls | lookup(op.JMP_CODE, i.op, 'jump condition');
      const off = int(i.off, 16, 'jump offset');
      if (i.src !== undefined) {
        if (i.imm !== undefined) fail('both src and imm given');
        return [slot(code | op.SRC_X, reg(i.dst, 'dst'), reg(i.src, 'src'), off, 0)];
      }
      return [slot(code, reg(i.dst, 'dst'), 0, off, int(i.imm, 32, 'immediate', true))];
    }
    case 'ja':
      return [slot(op.JMP | op.JA, 0, 0, int(i.off, 16, 'jump offset'))];
    case 'gotol':
      return [slot(op.JMP32 | op.JA, 0, 0, 0, int(i.off, 32, 'jump offset'))];
    case 'may_goto':
      return [slot(op.JMP | op.JCOND, 0, op.MAY_GOTO, int(i.off, 16, 'jump offset'))];
    case 'call': {
      const src = lookup(op.CALL_SRC, i.target, 'call target kind');
      const off = i.off ?? 0;
      if (off !== 0 && i.target !== 'kfunc') fail('only kfunc calls carry an offset (module BTF fd index)');
      return [slot(op.JMP | op.CALL, 0, src, int(off, 16, 'kfunc BTF fd index'), int(i.imm, 32, 'call immediate'))];
    }
    case 'exit':
      return [slot(op.JMP | op.EXIT)];
    case 'lddw': {
      const src = lookup(op.PSEUDO_CODE, i.pseudo, 'lddw pseudo source');
      if (typeof i.imm !== 'bigint' || i.imm < -(1n << 63n) || i.imm >= 1n << 64n) fail(`64-bit immediate ${String(i.imm)} out of range`);
      const u = BigInt.asUintN(64, i.imm);
      return [
        slot(op.LD | op.MODE_IMM | op.SIZE_CODE.u64, reg(i.dst, 'dst'), src, 0, Number(BigInt.asIntN(32, u))),
        slot(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n))),
      ];
    }
    case 'ldabs':
    case 'ldind': {
      if (i.size === ('u64' as string)) fail('legacy packet loads take u8, u16 or u32');
      const size = lookup(op.SIZE_CODE, i.size, 'size');
      const mode = i.kind === 'ldabs' ? op.MODE_ABS : op.MODE_IND;
      const src = i.kind === 'ldind' ? reg(i.src, 'src') : 0;
      return [slot(op.LD | mode | size, 0, src, 0, int(i.imm, 32, 'offset', true))];
    }
    case 'ldx': {
      const signed = i.size.startsWith('s');
      const size = lookup(op.SIZE_CODE, signed ? `u${i.size.slice(1)}` : i.size, 'load size');
      if (signed && i.size === ('s64' as string)) fail('there is no sign-extending 64-bit load');
      return [slot(op.LDX | (signed ? op.MODE_MEMSX : op.MODE_MEM) | size, reg(i.dst, 'dst'), reg(i.src, 'src'), int(i.off, 16, 'offset'))];
    }
    case 'st':
      return [slot(op.ST | op.MODE_MEM | lookup(op.SIZE_CODE, i.size, 'size'), reg(i.dst, 'dst'), 0, int(i.off, 16, 'offset'), int(i.imm, 32, 'immediate', true))];
    case 'stx':
      return [slot(op.STX | op.MODE_MEM | lookup(op.SIZE_CODE, i.size, 'size'), reg(i.dst, 'dst'), reg(i.src, 'src'), int(i.off, 16, 'offset'))];
    case 'atomic': {
      const imm = lookup(op.ATOMIC_IMM, i.op, 'atomic operation');
      const acqRel = i.op === 'load_acquire' || i.op === 'store_release';
      if (!acqRel && i.size !== 'u32' && i.size !== 'u64') fail(`atomic ${i.op} takes u32 or u64, not ${String(i.size)}`);
      const size = lookup(op.SIZE_CODE, i.size, 'size');
      return [slot(op.STX | op.MODE_ATOMIC | size, reg(i.dst, 'dst'), reg(i.src, 'src'), int(i.off, 16, 'offset'), imm)];
    }
    default:
      return fail(`unknown instruction kind '${String((i as { kind: unknown }).kind)}'`);
  }
}

const isU16 = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff;

/** Writes one raw slot at `byteOffset`. */
export function writeSlot(view: DataView, byteOffset: number, s: RawSlot): void {
  view.setUint8(byteOffset, s.code);
  view.setUint8(byteOffset + 1, ((s.src & 0xf) << 4) | (s.dst & 0xf));
  view.setInt16(byteOffset + 2, s.off, true);
  view.setInt32(byteOffset + 4, s.imm, true);
}

/** Encodes a program; errors name the instruction index (in slots). */
export function encode(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(programSlots(insns) * SLOT_SIZE);
  const view = new DataView(out.buffer);
  let at = 0;
  insns.forEach((insn) => {
    let slots: RawSlot[];
    try {
      slots = toSlots(insn);
    } catch (e) {
      if (e instanceof InsnError) throw new InsnError(e.message, at / SLOT_SIZE);
      throw e;
    }
    for (const s of slots) { writeSlot(view, at, s); at += SLOT_SIZE; }
  });
  return out;
}

/** Convenience for tests and builders: one instruction's bytes. */
export function encodeOne(insn: Insn): Uint8Array {
  return encode([insn]);
}

