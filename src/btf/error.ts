import { TsbpfError } from '../errors.js';

/** Malformed BTF or BTF.ext, or a type query that cannot be answered (unknown id, no size). */
export class BtfError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('BTF', message, hint);
  }
}
