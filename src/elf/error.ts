import { TsbpfError } from '../errors.js';

/** Malformed or unsupported ELF input. `offset` is the file offset the message names, when known. */
export class ElfError extends TsbpfError {
  readonly offset?: number;
  constructor(message: string, offset?: number, hint?: string) {
    super('ELF', message, hint);
    this.offset = offset;
  }
}

/** `0x1f` style hex used in every ELF/BTF message. */
export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
