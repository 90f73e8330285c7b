/**
 * File descriptors of kernel objects (maps, programs, links, BTF). Ownership is explicit: the
 * code that created an `Fd` (or received it from a function documented as returning a new one)
 * must `close()` it; loaded objects close theirs in their own `close()`. There is deliberately no
 * FinalizationRegistry: closing a program or link fd can detach it from the kernel, and that must
 * never depend on when the garbage collector runs. An fd that is never closed stays open until
 * the process exits (the kernel then releases it).
 */
import { closeSync } from 'node:fs';
import { E, SysError } from './errors.js';

export class Fd {
  #fd: number;
  /** What the fd refers to, for messages (`map 'drops'`, `prog 'xdp_pass'`). */
  readonly what: string;

  constructor(fd: number, what = 'fd') {
    if (!Number.isInteger(fd) || fd < 0) throw new SysError(`Fd(${what})`, E.EBADF, `not a file descriptor: ${fd}`);
    this.#fd = fd;
    this.what = what;
  }

  /** The descriptor number; throws once closed so a stale number is never reused by mistake. */
  get value(): number {
    if (this.#fd < 0) throw new SysError(`use of ${this.what}`, E.EBADF, 'its file descriptor was already closed');
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the descriptor; closing twice is a no-op. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    try {
      closeSync(fd);
    } catch {
      // EBADF here means someone else closed the number behind our back; nothing left to release.
    }
  }

  /** Gives up ownership: returns the number and marks this object closed without closing it. */
  release(): number {
    const fd = this.value;
    this.#fd = -1;
    return fd;
  }

  toString(): string {
    return this.#fd < 0 ? `${this.what} (closed)` : `${this.what} (fd ${this.#fd})`;
  }
}

/** An `Fd` or a raw descriptor number the caller keeps owning. */
export type FdLike = Fd | number;

export function fdNum(fd: FdLike): number {
  return typeof fd === 'number' ? fd : fd.value;
}
