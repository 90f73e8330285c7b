import { TsbpfError } from '../errors.js';

/** A malformed or unknown instruction encoding, or an instruction that cannot be encoded. */
export class InsnError extends TsbpfError {
  /** Index of the instruction (8-byte slot) the error is about, when known. */
  readonly index?: number;
  constructor(message: string, index?: number, hint?: string) {
    super('INSN', index === undefined ? message : `instruction ${index} (byte offset ${index * 8}): ${message}`, hint);
    this.index = index;
  }
}

/** An assembler error: unknown or duplicate label, jump out of range, bad operand. */
export class AsmError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('ASM', message, hint);
  }
}
