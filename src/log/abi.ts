/**
 * The log ABI between a kernel program and `tsbpf run` (docs/architecture.md, "log"), in one
 * place for the compiler and the reader:
 *
 * - `.tsbpf.log` (src/object/log-meta.ts): the interned call-site table, JSON version 1.
 * - map `tsbpf_logs`: BPF_MAP_TYPE_RINGBUF; each record = u32 site id at offset 0, then the
 *   arguments at the offsets the table gives (layoutRecord), nothing else. Time is taken when
 *   the reader receives the record.
 * - `.rodata` `tsbpf_log_levels`: u32[targets], 0 off … 5 trace, set by the loader before load
 *   (default info = 3); a call site at level L runs only when levels[target] ≥ L, and the verifier
 *   knows the value (frozen read-only map), so disabled calls are dead code it never walks.
 * - `.bss` `tsbpf_log_lost`: u64, incremented by the static function `tsbpf_log_count_lost`
 *   when bpf_ringbuf_output fails.
 * The instruction sequence is in ./emit.ts.
 */
import { LOG_KINDS, LOG_MAX_RECORD, hintAllowed, type LogHint, type LogKind } from '../object/log-meta.js';
import { TsbpfError } from '../errors.js';

export {
  LOG_META_SECTION, LOG_META_VERSION, LOG_MAX_RECORD, LOG_LEVELS, LOG_KINDS, LOG_HINTS, levelNumber, hintAllowed, isIntKind,
  validateLogMeta, parseLogMeta, readLogMeta, encodeLogMeta, addLogMeta,
  type LogMeta, type LogSite, type LogArg, type LogKind, type LogHint, type LogLevelName,
} from '../object/log-meta.js';

export const LOG_RINGBUF = 'tsbpf_logs';
export const LOG_LEVELS_VAR = 'tsbpf_log_levels';
export const LOG_LOST_VAR = 'tsbpf_log_lost';
export const LOG_LOST_FUNC = 'tsbpf_log_count_lost';
/** Ring size the compiler gives `tsbpf_logs` unless told otherwise (a power of 2, ≥ a page). */
export const LOG_RINGBUF_SIZE = 256 * 1024;
/** Level setting baked into the object: what a loader that knows nothing of logging gets. */
export const LOG_DEFAULT_LEVEL = 3;
export const BPF_FUNC_ringbuf_output = 130;

/** A format-string problem, with the 0-based character index in the format text. */
export class LogFormatError extends TsbpfError {
  constructor(message: string, readonly index: number) {
    super('LOG', message);
  }
}

export interface ParsedFormat {
  /** Literal pieces, one more than the holes. */
  text: string[];
  holes: LogHint[];
}

const HINT_TEXT: Record<string, LogHint> = { '': '', ':x': 'x', ':X': 'X', ':ip': 'ip', ':mac': 'mac' };

/** Splits `"src {:ip} port {}"` into pieces and holes; `{{` and `}}` are literal braces. */
export function parseFormat(fmt: string): ParsedFormat {
  const text: string[] = [];
  const holes: LogHint[] = [];
  let cur = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === '{' && fmt[i + 1] === '{') { cur += '{'; i++; continue; }
    if (c === '}' && fmt[i + 1] === '}') { cur += '}'; i++; continue; }
    if (c === '}') throw new LogFormatError(`unmatched '}' at column ${i + 1} of the format (write '}}' for a brace)`, i);
    if (c !== '{') { cur += c; continue; }
    const close = fmt.indexOf('}', i);
    const spec = close < 0 ? undefined : fmt.slice(i + 1, close);
    if (spec === undefined || !(spec in HINT_TEXT)) {
      const shown = close < 0 ? fmt.slice(i) : fmt.slice(i, close + 1);
      throw new LogFormatError(`'${shown}' at column ${i + 1} is not a placeholder: use {} {:x} {:X} {:ip} {:mac} (or '{{' for a brace)`, i);
    }
    text.push(cur);
    holes.push(HINT_TEXT[spec]!);
    cur = '';
    i = close!;
  }
  text.push(cur);
  return { text, holes };
}

/**
 * The kind a TypeScript argument type takes in a record for a hint, plus the byte swap the
 * compiler emits first (network-order integers are printed in host order, except be32 as an
 * IPv4 address, whose bytes are already the address). `type` is a tsbpf/kernel type name
 * (`u8`…`i64`, `bool`, `be16`, `be32`, `be64`), `u8[N]` for a FixedArray<u8, N> (raw bytes,
 * or an address with {:ip}/{:mac}) or `char[N]` for text up to a NUL (escaped when printed).
 * Returns a message (for a diagnostic on the argument) when the pair is not allowed.
 */
export function argKindFor(type: string, hint: LogHint): { kind: LogKind; size: number; swap?: 16 | 32 | 64 } | string {
  const arr = /^u8\[(\d+)\]$/.exec(type);
  const shown = hint ? `{:${hint}}` : '{}';
  if (arr) {
    const n = Number(arr[1]);
    if (n < 1 || n > LOG_MAX_RECORD - 8) return `a byte array of ${n} cannot be logged (1..${LOG_MAX_RECORD - 8} bytes)`;
    if (hint === 'ip') return n === 4 ? { kind: 'ipv4', size: 4 } : n === 16 ? { kind: 'ipv6', size: 16 } : `${shown} needs 4 or 16 bytes (an IPv4 or IPv6 address), not ${n}`;
    if (hint === 'mac') return n === 6 ? { kind: 'mac', size: 6 } : `${shown} needs 6 bytes (a MAC address), not ${n}`;
    return { kind: 'bytes', size: n };
  }
  const chars = /^char\[(\d+)\]$/.exec(type);
  if (chars) {
    const n = Number(chars[1]);
    if (n < 1 || n > LOG_MAX_RECORD - 8) return `a char array of ${n} cannot be logged (1..${LOG_MAX_RECORD - 8} bytes)`;
    return hint === 'ip' || hint === 'mac' ? `${shown} does not apply to text` : { kind: 'str', size: n };
  }
  if (type === 'be32' && hint === 'ip') return { kind: 'ipv4', size: 4 };
  const be = /^be(16|32|64)$/.exec(type);
  const base = be ? `u${be[1]}` : type;
  if (!(base in LOG_KINDS) || LOG_KINDS[base as LogKind].size === 0 || base === 'ipv4' || base === 'ipv6' || base === 'mac') {
    return `a value of type ${type} cannot be logged (integers, bool, be16/be32/be64 and u8 arrays can)`;
  }
  const kind = base as LogKind;
  if (!hintAllowed(kind, hint)) return `${shown} does not apply to ${type}${hint === 'ip' ? ' (use a be32 or a u8[4]/u8[16] address)' : hint === 'mac' ? ' (use a u8[6])' : ''}`;
  const size = LOG_KINDS[kind].size;
  return be && size > 1 ? { kind, size, swap: (size * 8) as 16 | 32 | 64 } : { kind, size };
}

export interface RecordLayout {
  /** Offset of each argument, in argument order. */
  offsets: number[];
  /** Record length (the size given to bpf_ringbuf_output). */
  size: number;
  /** Stack bytes to reserve for it: size rounded up to 8, at least 8 (the id is stored as a u64). */
  stack: number;
}

const ALIGN_ORDER = [8, 4, 2, 1];

/**
 * Places arguments so that the record has no holes (the verifier wants every byte passed to
 * bpf_ringbuf_output initialised, and a hole would cost a store): the id is written as a u64 at
 * 0 (zeroing 4..8); the first 4-aligned argument goes at 4; then 8-, 4-, 2- and 1-aligned ones,
 * each group a multiple of its alignment in size, so every offset is naturally aligned — as the
 * verifier requires for stack stores.
 */
export function layoutRecord(args: { kind: LogKind; size: number }[]): RecordLayout {
  const offsets = new Array<number>(args.length).fill(-1);
  const byAlign = (al: number) => args.map((a, i) => ({ a, i })).filter(({ a }) => LOG_KINDS[a.kind].align === al);
  const four = byAlign(4);
  let at = 4;
  if (four.length) {
    offsets[four.shift()!.i] = 4;
    at = 8;
  } else if (byAlign(8).length) {
    at = 8; // bytes 4..8 are zeroed by the u64 id store
  }
  for (const al of ALIGN_ORDER) {
    for (const { a, i } of al === 4 ? four : byAlign(al)) {
      offsets[i] = at;
      at += a.size;
    }
  }
  if (at > LOG_MAX_RECORD) throw new TsbpfError('LOG', `the log record needs ${at} bytes; at most ${LOG_MAX_RECORD} fit`, 'log fewer or smaller arguments in one call');
  return { offsets, size: at, stack: Math.max(8, (at + 7) & ~7) };
}
