/**
 * Opcode fields of the eBPF instruction encoding. The classic values come from the generated
 * uapi tables; the ones newer than the installed header (ISA v4 and later) are defined here
 * with the kernel version that introduced them.
 */
import * as abi from '../abi/consts.gen.js';
import type { AluOp, AtomicOp, CallKind, JmpOp, LoadSize, Pseudo, Size } from './types.js';

export const CLASS_MASK = 0x07;
export const SIZE_MASK = 0x18;
export const MODE_MASK = 0xe0;
export const OP_MASK = 0xf0;
export const SRC_X = abi.BPF_X;

export const LD = abi.BPF_LD;
export const LDX = abi.BPF_LDX;
export const ST = abi.BPF_ST;
export const STX = abi.BPF_STX;
export const ALU = abi.BPF_ALU;
export const JMP = abi.BPF_JMP;
export const JMP32 = abi.BPF_JMP32;
export const ALU64 = abi.BPF_ALU64;

export const MODE_IMM = abi.BPF_IMM;
export const MODE_ABS = abi.BPF_ABS;
export const MODE_IND = abi.BPF_IND;
export const MODE_MEM = abi.BPF_MEM;
/** Sign-extending load (kernel 6.6, ISA v4). */
export const MODE_MEMSX = 0x80;
export const MODE_ATOMIC = abi.BPF_ATOMIC;

/** `JMP|JCOND` with src 0 is `may_goto` (kernel 6.9). */
export const JCOND = 0xe0;
export const MAY_GOTO = 0;
/** `ALU64|MOV|X` with off 1 is `addr_space_cast` (kernel 6.9, arena programs). */
export const ADDR_SPACE_CAST_OFF = 1;
/** Atomic load-acquire / store-release immediates (kernel 6.15). */
export const LOAD_ACQ = 0x100;
export const STORE_REL = 0x110;

export const SIZE_CODE: Record<Size, number> = { u32: abi.BPF_W, u16: abi.BPF_H, u8: abi.BPF_B, u64: abi.BPF_DW };
export const SIZE_OF_CODE: Record<number, Size> = { [abi.BPF_W]: 'u32', [abi.BPF_H]: 'u16', [abi.BPF_B]: 'u8', [abi.BPF_DW]: 'u64' };
export const SIGNED_SIZE: Record<Size, LoadSize | undefined> = { u8: 's8', u16: 's16', u32: 's32', u64: undefined };

/** ALU operation codes; sdiv/smod share div/mod's code and set off = 1. */
export const ALU_CODE: Record<AluOp, number> = {
  add: abi.BPF_ADD, sub: abi.BPF_SUB, mul: abi.BPF_MUL, div: abi.BPF_DIV, sdiv: abi.BPF_DIV,
  or: abi.BPF_OR, and: abi.BPF_AND, lsh: abi.BPF_LSH, rsh: abi.BPF_RSH, mod: abi.BPF_MOD, smod: abi.BPF_MOD,
  xor: abi.BPF_XOR, mov: abi.BPF_MOV, arsh: abi.BPF_ARSH,
};
export const NEG = abi.BPF_NEG;
export const END = abi.BPF_END;
export const TO_BE = abi.BPF_TO_BE;

/** Two-operand ALU ops by code (neg, end and the signed variants are decoded separately). */
export const ALU_OP_OF_CODE: Record<number, AluOp> = {
  [abi.BPF_ADD]: 'add', [abi.BPF_SUB]: 'sub', [abi.BPF_MUL]: 'mul', [abi.BPF_DIV]: 'div', [abi.BPF_OR]: 'or',
  [abi.BPF_AND]: 'and', [abi.BPF_LSH]: 'lsh', [abi.BPF_RSH]: 'rsh', [abi.BPF_MOD]: 'mod', [abi.BPF_XOR]: 'xor',
  [abi.BPF_MOV]: 'mov', [abi.BPF_ARSH]: 'arsh',
};

export const JMP_CODE: Record<JmpOp, number> = {
  eq: abi.BPF_JEQ, gt: abi.BPF_JGT, ge: abi.BPF_JGE, set: abi.BPF_JSET, ne: abi.BPF_JNE, sgt: abi.BPF_JSGT,
  sge: abi.BPF_JSGE, lt: abi.BPF_JLT, le: abi.BPF_JLE, slt: abi.BPF_JSLT, sle: abi.BPF_JSLE,
};
export const JMP_OP_OF_CODE: Record<number, JmpOp> = Object.fromEntries(
  Object.entries(JMP_CODE).map(([k, v]) => [v, k as JmpOp]),
);
export const JA = abi.BPF_JA;
export const CALL = abi.BPF_CALL;
export const EXIT = abi.BPF_EXIT;

/** Read-modify-write atomics (the `imm` field of STX|ATOMIC). */
export const ATOMIC_IMM: Record<AtomicOp, number> = {
  add: abi.BPF_ADD, and: abi.BPF_AND, or: abi.BPF_OR, xor: abi.BPF_XOR,
  fetch_add: abi.BPF_ADD | abi.BPF_FETCH, fetch_and: abi.BPF_AND | abi.BPF_FETCH,
  fetch_or: abi.BPF_OR | abi.BPF_FETCH, fetch_xor: abi.BPF_XOR | abi.BPF_FETCH,
  xchg: abi.BPF_XCHG, cmpxchg: abi.BPF_CMPXCHG, load_acquire: LOAD_ACQ, store_release: STORE_REL,
};
export const ATOMIC_OP_OF_IMM: Record<number, AtomicOp> = Object.fromEntries(
  Object.entries(ATOMIC_IMM).map(([k, v]) => [v, k as AtomicOp]),
);

/** `src` field values of a 64-bit immediate load (BPF_PSEUDO_*). */
export const PSEUDO_CODE: Record<Pseudo, number> = {
  none: 0,
  map_fd: abi.BPF_PSEUDO_MAP_FD,
  map_value: abi.BPF_PSEUDO_MAP_VALUE,
  btf_id: abi.BPF_PSEUDO_BTF_ID,
  func: abi.BPF_PSEUDO_FUNC,
  map_idx: abi.BPF_PSEUDO_MAP_IDX,
  map_idx_value: abi.BPF_PSEUDO_MAP_IDX_VALUE,
};
export const PSEUDO_OF_CODE: Record<number, Pseudo> = Object.fromEntries(
  Object.entries(PSEUDO_CODE).map(([k, v]) => [v, k as Pseudo]),
);

/** `src` field values of a call. */
export const CALL_SRC: Record<CallKind, number> = { helper: 0, func: abi.BPF_PSEUDO_CALL, kfunc: abi.BPF_PSEUDO_KFUNC_CALL };
export const CALL_KIND_OF_SRC: Record<number, CallKind> = { 0: 'helper', [abi.BPF_PSEUDO_CALL]: 'func', [abi.BPF_PSEUDO_KFUNC_CALL]: 'kfunc' };
