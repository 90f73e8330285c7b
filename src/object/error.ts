import { TsbpfError } from '../errors.js';

/** A BPF object whose ELF/BTF is well-formed but whose BPF content is not (bad program layout, relocation, map definition). */
export class ObjectError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('OBJECT', message, hint);
  }
}
