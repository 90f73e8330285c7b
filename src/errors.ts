/**
 * The error type every layer throws for bad input or a failed operation. The CLI prints
 * `message` (and `hint` when present) as one clear line instead of a stack trace.
 */
export class TsbpfError extends Error {
  /** Short machine-readable kind, e.g. 'ELF', 'BTF', 'ASM', 'SYS', 'VERIFIER', 'COMPILE'. */
  readonly kind: string;
  /** What the user can do about it, if we know. */
  readonly hint?: string;

  constructor(kind: string, message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    this.hint = hint;
  }
}

/** Formats any thrown value for a terminal: our errors as one line (+ hint), others with their message. */
export function describeError(err: unknown): string {
  if (err instanceof TsbpfError) {
    return err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
