import { TsbpfError } from '../errors.js';

/** The object cannot be loaded as asked: unknown program/map/variable names, unsupported features. */
export class LoadError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('LOAD', message, hint);
  }
}
