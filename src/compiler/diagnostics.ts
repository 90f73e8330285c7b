/**
 * Every diagnostic the compiler can report, in one table (code → title and default hint), and the
 * collector the phases share. Diagnostics are data, not exceptions: each phase records what it
 * finds and carries on, so one run reports all errors.
 */
import { TsbpfError } from '../errors.js';

export interface DiagInfo {
  code: number;
  title: string;
  hint?: string;
}

/** The diagnostic codes. Keep numbers stable: tests and users refer to them. */
export const DIAG = {
  SYNTAX: { code: 1, title: 'syntax error' },
  LEX: { code: 2, title: 'invalid token' },
  NUMBER: { code: 3, title: 'invalid number literal' },
  UNSUPPORTED: { code: 10, title: 'unsupported construct', hint: 'kernel programs use a subset of TypeScript: see docs/architecture.md (compiler)' },
  CLOSURE: { code: 11, title: 'closure', hint: 'declare helper functions at module level (function f(…) {…}); they are inlined or become bpf-to-bpf calls' },
  OBJECT: { code: 12, title: 'object value', hint: 'declare an interface for the struct and annotate the variable: const v: MyStruct = { … }' },
  STRING: { code: 13, title: 'string value', hint: 'strings exist only as literal format strings of printk' },
  FLOAT: { code: 14, title: 'floating point', hint: 'BPF has no floating point: use an integer type (u32, i64, …)' },
  EXCEPTION: { code: 15, title: 'exception', hint: 'return an error value instead (e.g. XdpAction.ABORTED)' },
  UNBOUNDED_LOOP: { code: 16, title: 'unbounded loop', hint: 'write for (let i = 0; i < CONSTANT; i++) so the loop has a constant bound' },
  RECURSION: { code: 17, title: 'recursion', hint: 'BPF forbids recursive calls; rewrite as a bounded loop' },
  ANY: { code: 18, title: 'untyped value', hint: 'give the value an integer type (u8 … u64, i8 … i64), bool or a struct interface' },
  ASYNC: { code: 19, title: 'async code', hint: 'BPF programs run to completion: remove async/await/yield' },
  UNKNOWN_NAME: { code: 20, title: 'unknown name' },
  UNKNOWN_MEMBER: { code: 21, title: 'unknown member' },
  UNKNOWN_TYPE: { code: 22, title: 'unknown type' },
  IMPORT: { code: 23, title: 'import', hint: 'kernel programs import only from "tsbpf/kernel"' },
  DUPLICATE: { code: 24, title: 'duplicate declaration' },
  TYPE_MISMATCH: { code: 30, title: 'type mismatch' },
  CONST_RANGE: { code: 31, title: 'constant out of range' },
  MIXED_SIGN: { code: 32, title: 'mixed signedness', hint: 'convert one side explicitly with `as`, e.g. (x as i64)' },
  BAD_OPERAND: { code: 33, title: 'invalid operand' },
  NOT_CONSTANT: { code: 34, title: 'not a compile-time constant' },
  NULLABLE: { code: 35, title: 'possibly null', hint: 'check it first: if (!x) return XdpAction.PASS;' },
  ASSIGN_CONST: { code: 36, title: 'assignment to a constant' },
  ARGS: { code: 37, title: 'wrong arguments' },
  SIGNED_DIV: { code: 38, title: 'signed division', hint: 'BPF (v3) divides unsigned only: cast the operands to an unsigned type' },
  NOT_PLACE: { code: 39, title: 'not a memory place', hint: 'atomics work on globals (let at module level) and fields of map values' },
  STALE_VIEW: { code: 40, title: 'stale packet view', hint: 'read the header again with ctx.header<T>(offset) after changing the packet' },
  RETURN: { code: 41, title: 'return value' },
  PRINTK: { code: 42, title: 'printk' },
  PROGRAM: { code: 43, title: 'program declaration', hint: 'declare programs at module level: export const name = xdp((ctx) => { … });' },
  MAP: { code: 44, title: 'map declaration', hint: 'declare maps at module level: const m = new HashMap<u32, u64>({ maxEntries: 1024 });' },
  STACK: { code: 45, title: 'stack too large', hint: 'BPF programs have 512 bytes of stack: keep large structs in a map (e.g. a PerCpuArray) instead' },
  TOO_COMPLEX: { code: 46, title: 'too complex' },
  NO_PROGRAM: { code: 47, title: 'no program', hint: 'export a program: export const hello = xdp((ctx) => XdpAction.PASS);' },
  BREAK: { code: 48, title: 'break/continue outside a loop' },
  RINGBUF: { code: 50, title: 'ring buffer record', hint: 'submit or discard a reserved record exactly once on every path where it is not null' },
  LOG: { code: 51, title: 'log call' },
  SOCKMAP: { code: 52, title: 'socket map', hint: 'an sk_msg program reaches the sockets of a SockHash/SockMap only through msg_redirect_hash/msg_redirect_map; user space adds them (map.set(key, socketFd))' },
  INTERNAL: { code: 99, title: 'internal compiler error', hint: 'this is a tsbpf bug: please report it with the source file' },
} as const satisfies Record<string, DiagInfo>;

export type DiagKind = keyof typeof DIAG;

export interface Diagnostic {
  kind: DiagKind;
  code: number;
  file: string;
  /** Byte offset of the start in the source text. */
  pos: number;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

/** Maps source offsets to 1-based line/column. */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  lineCol(pos: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: pos - this.starts[lo] + 1 };
  }
  /** The text of a 1-based line, without its newline. */
  lineText(line: number): string {
    const s = this.starts[line - 1] ?? this.text.length;
    const e = line < this.starts.length ? this.starts[line] - 1 : this.text.length;
    return this.text.slice(s, e).replace(/\r$/, '');
  }
}

/** Collects diagnostics for one source file. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  constructor(readonly file: string, readonly lines: LineMap) {}

  error(kind: DiagKind, pos: number, message: string, hint?: string): void {
    const key = `${pos}:${kind}:${message}`;
    if (this.seen.has(key)) return; // inlined functions are checked once but could report twice
    this.seen.add(key);
    const { line, col } = this.lines.lineCol(pos);
    const info: DiagInfo = DIAG[kind];
    this.list.push({ kind, code: info.code, file: this.file, pos, line, col, message, hint: hint ?? info.hint });
  }

  get hasErrors(): boolean {
    return this.list.length > 0;
  }

  sorted(): Diagnostic[] {
    return [...this.list].sort((a, b) => a.pos - b.pos || a.code - b.code);
  }
}

export function formatCode(code: number): string {
  return `TSBPF${String(code).padStart(3, '0')}`;
}

/** `file:line:col: error TSBPFnnn: message` and, on the next line, `  hint: …`. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.col}: error ${formatCode(d.code)}: ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

/** Thrown by `compileOrThrow` when a source has errors; `diagnostics` holds all of them. */
export class CompileError extends TsbpfError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const first = diagnostics[0];
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
    super('COMPILE', first ? `${first.file}:${first.line}:${first.col}: ${formatCode(first.code)}: ${first.message}${more}` : 'compilation failed', first?.hint);
    this.diagnostics = diagnostics;
  }
}

/** Raised inside a phase for an impossible state; the driver turns it into an INTERNAL diagnostic. */
export class InternalError extends Error {
  constructor(message: string, readonly pos = 0) {
    super(message);
  }
}
