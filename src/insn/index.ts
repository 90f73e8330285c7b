/** The eBPF instruction set: types, encode/decode, LLVM-syntax text, and the assembler. */
export type * from './types.js';
export { InsnError, AsmError } from './errors.js';
export { encode, encodeOne, toSlots, writeSlot, slotCount, programSlots, SLOT_SIZE } from './encode.js';
export { decode, decodeSlots, readSlot, tryDecodeAt, type DecodeResult } from './decode.js';
export { formatInsn, branchOffset } from './format.js';
export {
  Assembler, asm, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10,
  type RegName, type Src, type SourceLoc, type RelocKind, type AsmReloc, type AsmLine, type AsmSymbol, type AsmProgram,
  type FinishOptions,
} from './asm.js';
