/**
 * The eBPF instruction as a typed value. Each kind names one family of encodings; field names
 * follow the encoding (`dst`, `src`, `off`, `imm`), so for loads `dst` is the destination and
 * `src` the base register, and for stores and atomics `dst` is the base and `src` the value.
 * A `lddw` (BPF_LD|BPF_IMM|BPF_DW) is one instruction occupying two 8-byte slots.
 */

/** r0..r10 (r10 is the read-only frame pointer). */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
export type Width = 32 | 64;
export type Size = 'u8' | 'u16' | 'u32' | 'u64';
/** Load sizes: zero-extending `uN` or sign-extending `sN` (BPF_MEMSX, ISA v4). */
export type LoadSize = Size | 's8' | 's16' | 's32';

export type AluOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod' | 'xor' | 'mov' | 'arsh';
export type JmpOp = 'eq' | 'gt' | 'ge' | 'set' | 'ne' | 'sgt' | 'sge' | 'lt' | 'le' | 'slt' | 'sle';
export type AtomicOp =
  | 'add' | 'and' | 'or' | 'xor' | 'fetch_add' | 'fetch_and' | 'fetch_or' | 'fetch_xor' | 'xchg' | 'cmpxchg'
  | 'load_acquire' | 'store_release';
/** What the `src` field of a `lddw` says its immediate is (BPF_PSEUDO_*). */
export type Pseudo = 'none' | 'map_fd' | 'map_value' | 'btf_id' | 'func' | 'map_idx' | 'map_idx_value';
/** Helper (src 0), bpf-to-bpf call (src 1, imm = relative target) or kfunc (src 2, imm = BTF id). */
export type CallKind = 'helper' | 'func' | 'kfunc';

/** Exactly one of a source register or an immediate. */
export type Operand = { src: Reg; imm?: undefined } | { imm: number; src?: undefined };

/** Two-operand arithmetic; sdiv/smod are div/mod with off = 1. */
export type AluInsn = { kind: 'alu'; width: Width; op: AluOp; dst: Reg } & Operand;
export interface NegInsn { kind: 'neg'; width: Width; dst: Reg }
/** Sign-extending move `dst = (sN)src` (ISA v4); 32-bit moves extend from 8 or 16 bits only. */
export interface MovsxInsn { kind: 'movsx'; width: Width; dst: Reg; src: Reg; from: 8 | 16 | 32 }
/** to_le / to_be (ALU) or unconditional byte swap (ALU64 `bswap`, ISA v4). */
export interface EndianInsn { kind: 'endian'; order: 'le' | 'be' | 'swap'; bits: 16 | 32 | 64; dst: Reg }
/** Arena pointer conversion `dst = addr_space_cast(src, dstAs, srcAs)`. */
export interface AddrSpaceCastInsn { kind: 'addr_space_cast'; dst: Reg; src: Reg; dstAs: number; srcAs: number }
/** Conditional jump; `off` counts instructions from the next one. */
export type JmpInsn = { kind: 'jmp'; width: Width; op: JmpOp; dst: Reg; off: number } & Operand;
/** `goto off` (16-bit offset). */
export interface JaInsn { kind: 'ja'; off: number }
/** `gotol off`: BPF_JMP32|BPF_JA with a 32-bit offset in imm (ISA v4). */
export interface GotolInsn { kind: 'gotol'; off: number }
export interface MayGotoInsn { kind: 'may_goto'; off: number }
/** `off` is used by kfunc calls only (index of the module BTF fd; 0 = vmlinux). */
export interface CallInsn { kind: 'call'; target: CallKind; imm: number; off?: number }
export interface ExitInsn { kind: 'exit' }
/** 64-bit immediate load. `imm` is the full 64-bit value: low word in slot 1, high word in slot 2. */
export interface LddwInsn { kind: 'lddw'; dst: Reg; pseudo: Pseudo; imm: bigint }
/** Legacy packet loads `r0 = *(size *)skb[imm]` / `skb[src + imm]`. */
export interface LdAbsInsn { kind: 'ldabs'; size: 'u8' | 'u16' | 'u32'; imm: number }
export interface LdIndInsn { kind: 'ldind'; size: 'u8' | 'u16' | 'u32'; src: Reg; imm: number }
export interface LdxInsn { kind: 'ldx'; size: LoadSize; dst: Reg; src: Reg; off: number }
export interface StInsn { kind: 'st'; size: Size; dst: Reg; off: number; imm: number }
export interface StxInsn { kind: 'stx'; size: Size; dst: Reg; src: Reg; off: number }
/**
 * STX|ATOMIC. Read-modify-write ops take u32/u64; load_acquire (dst = *(src + off)) and
 * store_release (*(dst + off) = src) also take u8/u16.
 */
export interface AtomicInsn { kind: 'atomic'; op: AtomicOp; size: Size; dst: Reg; src: Reg; off: number }

export type Insn =
  | AluInsn | NegInsn | MovsxInsn | EndianInsn | AddrSpaceCastInsn
  | JmpInsn | JaInsn | GotolInsn | MayGotoInsn | CallInsn | ExitInsn
  | LddwInsn | LdAbsInsn | LdIndInsn | LdxInsn | StInsn | StxInsn | AtomicInsn;

export type InsnKind = Insn['kind'];

/** The raw fields of one 8-byte slot. */
export interface RawSlot { code: number; dst: number; src: number; off: number; imm: number }
