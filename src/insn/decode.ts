/**
 * 8-byte little-endian slots → Insn. Strict like the kernel's verifier: unknown opcodes,
 * registers above r10 and non-zero reserved fields are errors (LLVM's disassembler ignores some
 * of those fields; we do not print what the kernel would refuse to load).
 */
import { InsnError } from './errors.js';
import * as op from './opcodes.js';
import type { Insn, LoadSize, RawSlot, Reg, Size, Width } from './types.js';

/** Thrown internally and turned into InsnError; not an Error, so throwing it captures no stack (decoding junk is common in the disassembler). */
class DecodeFailure {
  constructor(readonly message: string) {}
}
const fail = (msg: string): never => { throw new DecodeFailure(msg); };

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Reads the raw fields of the slot at `byteOffset` (the caller checks 8 bytes are there). */
export function readSlot(view: DataView, byteOffset: number): RawSlot {
  const regs = view.getUint8(byteOffset + 1);
  return {
    code: view.getUint8(byteOffset),
    dst: regs & 0xf,
    src: regs >> 4,
    off: view.getInt16(byteOffset + 2, true),
    imm: view.getInt32(byteOffset + 4, true),
  };
}

function reg(n: number, what: string): Reg {
  if (n > 10) fail(`${what} register r${n} does not exist`);
  return n as Reg;
}

/** Requires reserved fields to be zero: `zero(s, 'src', 'off')`. */
function zero(s: RawSlot, ...fields: ('dst' | 'src' | 'off' | 'imm')[]): void {
  for (const f of fields) if (s[f] !== 0) fail(`reserved field ${f} is ${s[f]}, must be 0 (opcode ${hex(s.code)})`);
}

function decodeAlu(s: RawSlot): Insn {
  const width: Width = (s.code & op.CLASS_MASK) === op.ALU64 ? 64 : 32;
  const code = s.code & op.OP_MASK;
  const isX = (s.code & op.SRC_X) !== 0;
  const dst = reg(s.dst, 'dst');
  if (code === op.NEG) {
    if (isX) fail(`neg with BPF_X source (opcode ${hex(s.code)})`);
    zero(s, 'src', 'off', 'imm');
    return { kind: 'neg', width, dst };
  }
  if (code === op.END) {
    zero(s, 'src', 'off');
    if (s.imm !== 16 && s.imm !== 32 && s.imm !== 64) fail(`byte swap width ${s.imm} is not 16, 32 or 64`);
    if (width === 64 && isX) fail(`ALU64 byte swap with the to_be bit set (opcode ${hex(s.code)})`);
    return { kind: 'endian', order: width === 64 ? 'swap' : isX ? 'be' : 'le', bits: s.imm as 16 | 32 | 64, dst };
  }
  const name = op.ALU_OP_OF_CODE[code];
  if (name === undefined) fail(`unknown ALU operation (opcode ${hex(s.code)})`);
  if (name === 'mov' && isX) {
    if (width === 64 && s.off === op.ADDR_SPACE_CAST_OFF) {
      return { kind: 'addr_space_cast', dst, src: reg(s.src, 'src'), dstAs: (s.imm >>> 16) & 0xffff, srcAs: s.imm & 0xffff };
    }
    zero(s, 'imm');
    if (s.off === 0) return { kind: 'alu', width, op: 'mov', dst, src: reg(s.src, 'src') };
    if (s.off === 8 || s.off === 16 || (s.off === 32 && width === 64)) {
      return { kind: 'movsx', width, dst, src: reg(s.src, 'src'), from: s.off };
    }
    return fail(`sign-extending move from ${s.off} bits (only 8, 16${width === 64 ? ', 32' : ''})`);
  }
  let aluOp = name!;
  if (s.off === 1 && (aluOp === 'div' || aluOp === 'mod')) aluOp = aluOp === 'div' ? 'sdiv' : 'smod';
  else zero(s, 'off');
  if (isX) {
    zero(s, 'imm');
    return { kind: 'alu', width, op: aluOp, dst, src: reg(s.src, 'src') };
  }
  zero(s, 'src');
  return { kind: 'alu', width, op: aluOp, dst, imm: s.imm };
}

function decodeJmp(s: RawSlot): Insn {
  const cls = s.code & op.CLASS_MASK;
  const width: Width = cls === op.JMP ? 64 : 32;
  const code = s.code & op.OP_MASK;
  const isX = (s.code & op.SRC_X) !== 0;
  if (code === op.JA) {
    if (isX) fail(`goto with BPF_X source (opcode ${hex(s.code)})`);
    zero(s, 'dst', 'src');
    if (cls === op.JMP32) { zero(s, 'off'); return { kind: 'gotol', off: s.imm }; }
    zero(s, 'imm');
    return { kind: 'ja', off: s.off };
  }
  if (code === op.CALL || code === op.EXIT) {
    if (cls === op.JMP32) fail(`${code === op.CALL ? 'call' : 'exit'} in the JMP32 class (opcode ${hex(s.code)})`);
    if (isX) fail(`${code === op.CALL ? 'call' : 'exit'} with BPF_X source (opcode ${hex(s.code)})`);
    if (code === op.EXIT) { zero(s, 'dst', 'src', 'off', 'imm'); return { kind: 'exit' }; }
    zero(s, 'dst');
    const target = op.CALL_KIND_OF_SRC[s.src];
    if (target === undefined) fail(`call with src ${s.src} (0 helper, 1 bpf-to-bpf, 2 kfunc)`);
    if (target !== 'kfunc') zero(s, 'off');
    return target === 'kfunc' && s.off !== 0 ? { kind: 'call', target, imm: s.imm, off: s.off } : { kind: 'call', target: target!, imm: s.imm };
  }
  if (code === op.JCOND) {
    if (cls !== op.JMP || isX || s.src !== op.MAY_GOTO) fail(`unknown conditional pseudo-jump (opcode ${hex(s.code)}, src ${s.src})`);
    zero(s, 'dst', 'imm');
    return { kind: 'may_goto', off: s.off };
  }
  const cond = op.JMP_OP_OF_CODE[code];
  if (cond === undefined) fail(`unknown jump operation (opcode ${hex(s.code)})`);
  const dst = reg(s.dst, 'dst');
  if (isX) {
    zero(s, 'imm');
    return { kind: 'jmp', width, op: cond!, dst, src: reg(s.src, 'src'), off: s.off };
  }
  zero(s, 'src');
  return { kind: 'jmp', width, op: cond!, dst, imm: s.imm, off: s.off };
}

function decodeLd(s: RawSlot, next: RawSlot | undefined): Insn {
  const mode = s.code & op.MODE_MASK;
  const size = op.SIZE_OF_CODE[s.code & op.SIZE_MASK]!;
  if (mode === op.MODE_IMM) {
    if (size !== 'u64') fail(`64-bit immediate load with size ${size} (opcode ${hex(s.code)})`);
    zero(s, 'off');
    const pseudo = op.PSEUDO_OF_CODE[s.src];
    if (pseudo === undefined) fail(`64-bit immediate load with unknown pseudo source ${s.src}`);
    if (!next) fail('64-bit immediate load is missing its second slot');
    if (next!.code !== 0 || next!.dst !== 0 || next!.src !== 0 || next!.off !== 0) {
      fail('second slot of a 64-bit immediate load must have opcode, registers and offset 0');
    }
    if ((pseudo === 'map_fd' || pseudo === 'map_idx' || pseudo === 'func') && next!.imm !== 0) {
      fail(`high word of a ${pseudo} load must be 0, is ${next!.imm}`);
    }
    const imm = BigInt.asIntN(64, (BigInt(next!.imm >>> 0) << 32n) | BigInt(s.imm >>> 0));
    return { kind: 'lddw', dst: reg(s.dst, 'dst'), pseudo: pseudo!, imm };
  }
  if (mode === op.MODE_ABS || mode === op.MODE_IND) {
    if (size === 'u64') fail(`legacy packet load of size u64 (opcode ${hex(s.code)})`);
    zero(s, 'dst', 'off');
    const sz = size as 'u8' | 'u16' | 'u32';
    if (mode === op.MODE_ABS) { zero(s, 'src'); return { kind: 'ldabs', size: sz, imm: s.imm }; }
    return { kind: 'ldind', size: sz, src: reg(s.src, 'src'), imm: s.imm };
  }
  return fail(`unknown BPF_LD mode (opcode ${hex(s.code)})`);
}

function decodeMem(s: RawSlot): Insn {
  const cls = s.code & op.CLASS_MASK;
  const mode = s.code & op.MODE_MASK;
  const size: Size = op.SIZE_OF_CODE[s.code & op.SIZE_MASK]!;
  if (cls === op.LDX) {
    if (mode !== op.MODE_MEM && mode !== op.MODE_MEMSX) fail(`unknown BPF_LDX mode (opcode ${hex(s.code)})`);
    zero(s, 'imm');
    let ls: LoadSize = size;
    if (mode === op.MODE_MEMSX) {
      const signed = op.SIGNED_SIZE[size];
      if (!signed) fail('sign-extending load of size u64');
      ls = signed!;
    }
    return { kind: 'ldx', size: ls, dst: reg(s.dst, 'dst'), src: reg(s.src, 'src'), off: s.off };
  }
  if (cls === op.ST) {
    if (mode !== op.MODE_MEM) fail(`unknown BPF_ST mode (opcode ${hex(s.code)})`);
    zero(s, 'src');
    return { kind: 'st', size, dst: reg(s.dst, 'dst'), off: s.off, imm: s.imm };
  }
  // STX
  if (mode === op.MODE_MEM) {
    zero(s, 'imm');
    return { kind: 'stx', size, dst: reg(s.dst, 'dst'), src: reg(s.src, 'src'), off: s.off };
  }
  if (mode !== op.MODE_ATOMIC) fail(`unknown BPF_STX mode (opcode ${hex(s.code)})`);
  const atomic = op.ATOMIC_OP_OF_IMM[s.imm];
  if (atomic === undefined) fail(`unknown atomic operation imm ${hex(s.imm >>> 0)}`);
  const acqRel = atomic === 'load_acquire' || atomic === 'store_release';
  if (!acqRel && size !== 'u32' && size !== 'u64') fail(`atomic ${atomic} of size ${size} (only u32 and u64)`);
  return { kind: 'atomic', op: atomic!, size, dst: reg(s.dst, 'dst'), src: reg(s.src, 'src'), off: s.off };
}

/** Decodes one instruction from raw slots (`next` is the following slot, for `lddw`); throws InsnError. */
export function decodeSlots(s: RawSlot, next?: RawSlot): Insn {
  try {
    return decodeRaw(s, next);
  } catch (e) {
    if (e instanceof DecodeFailure) throw new InsnError(e.message);
    throw e;
  }
}

function decodeRaw(s: RawSlot, next?: RawSlot): Insn {
  switch (s.code & op.CLASS_MASK) {
    case op.ALU: case op.ALU64: return decodeAlu(s);
    case op.JMP: case op.JMP32: return decodeJmp(s);
    case op.LD: return decodeLd(s, next);
    default: return decodeMem(s);
  }
}

export type DecodeResult = { ok: true; insn: Insn; size: 8 | 16 } | { ok: false; error: string; size: number };

/**
 * Decodes the instruction at `byteOffset` without throwing, for the disassembler. On failure
 * `size` is how far to skip, as llvm-objdump does: 8 bytes, or 1 byte when fewer than 8 (or,
 * for a `lddw` opcode, fewer than 16) bytes are left.
 */
export function tryDecodeAt(bytes: Uint8Array, byteOffset: number): DecodeResult {
  const left = bytes.length - byteOffset;
  if (left < 8) return { ok: false, error: `truncated instruction: ${left} byte(s) left`, size: 1 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = readSlot(view, byteOffset);
  const wide = s.code === (op.LD | op.MODE_IMM | op.SIZE_CODE.u64);
  if (wide && left < 16) return { ok: false, error: 'truncated 64-bit immediate load: second slot missing', size: 1 };
  try {
    const insn = decodeRaw(s, wide ? readSlot(view, byteOffset + 8) : undefined);
    return { ok: true, insn, size: wide ? 16 : 8 };
  } catch (e) {
    if (e instanceof DecodeFailure) return { ok: false, error: e.message, size: 8 };
    throw e;
  }
}

/** Decodes a whole program. Throws InsnError naming the instruction index on the first bad encoding. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % 8 !== 0) throw new InsnError(`program size ${bytes.length} is not a multiple of 8 bytes`);
  const out: Insn[] = [];
  for (let at = 0; at < bytes.length;) {
    const r = tryDecodeAt(bytes, at);
    if (!r.ok) throw new InsnError(r.error, at / 8);
    out.push(r.insn);
    at += r.size;
  }
  return out;
}
