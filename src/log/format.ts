/**
 * Turning log records into text: argument values by kind and hint, the seed's line format
 * `[2024-06-08T04:24:21Z INFO  hello_world] received a packet` (colours only when asked, i.e. on
 * a TTY), JSON lines, and escaping — a value from the kernel (a packet's bytes, a task name)
 * must never reach the terminal as control characters.
 */
import type { LogHint, LogKind, LogLevelName } from '../object/log-meta.js';

/** What an argument decodes to: ≤32-bit integers → number, 64-bit → bigint, addresses → text, bytes → Uint8Array. */
export type LogValue = number | bigint | boolean | string | Uint8Array;

export interface LogRecord {
  /** When the reader received the record (records carry no timestamp). */
  time: Date;
  level: LogLevelName;
  /** The program the call is in (or `tsbpf` for the reader's own notices). */
  target: string;
  /** The formatted message, control characters escaped. */
  message: string;
  /** Argument values in format order (strings unescaped). */
  args: LogValue[];
  file: string;
  line: number;
  /** Call-site id; absent on the reader's own notices. */
  id?: number;
  /** On a loss report: records the kernel could not write since the previous report. */
  lost?: number;
}

// C0 controls, DEL, C1 controls, and the invisible ones that reorder or break a terminal line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_OR_BACKSLASH = /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

function escapeChar(c: string): string {
  const n = NAMED[c];
  if (n) return n;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Escapes control characters (`\n`, `\x1b`, `\u{202e}` …). With `backslash` (argument values)
 * backslashes are doubled too, so an escape in the output always stands for a control character.
 */
export function escapeControl(s: string, backslash = false): string {
  return s.replace(backslash ? CONTROL_OR_BACKSLASH : CONTROL, escapeChar);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hexOf = (b: Uint8Array): string => { let s = ''; for (const x of b) s += HEX[x]; return s; };

function ipv6Text(b: Uint8Array): string {
  // RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`, IPv4-mapped as ::ffff:a.b.c.d.
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** A `str` argument: the bytes up to the first NUL, as UTF-8 (invalid bytes become `\xNN` when printed). */
function strBytes(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

function strText(b: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: textDecoder.decode(b), valid: true };
  } catch {
    let s = '';
    for (const x of b) s += x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : `\\x${HEX[x]}`;
    return { text: s, valid: false };
  }
}

const macText = (b: Uint8Array, o: number): string => `${HEX[b[o]!]}:${HEX[b[o + 1]!]}:${HEX[b[o + 2]!]}:${HEX[b[o + 3]!]}:${HEX[b[o + 4]!]}:${HEX[b[o + 5]!]}`;

/**
 * Reads one argument of a record: pushes its value to `out` and returns its text for the message
 * (escaped). Built once per call site, so decoding a record is a few loads and string concatenations.
 */
export type ArgReader = (rec: Uint8Array, out: LogValue[]) => string;

type Num = (r: Uint8Array, o: number) => number;
// Byte arithmetic: cheaper than DataView getters on the engines we run on.
const u32le = (r: Uint8Array, o: number): number => (r[o]! | (r[o + 1]! << 8) | (r[o + 2]! << 16)) + r[o + 3]! * 0x1000000;
const NUM: Partial<Record<LogKind, Num>> = {
  u8: (r, o) => r[o]!, u16: (r, o) => r[o]! | (r[o + 1]! << 8), u32: u32le,
  i8: (r, o) => (r[o]! << 24) >> 24, i16: (r, o) => ((r[o]! | (r[o + 1]! << 8)) << 16) >> 16, i32: (r, o) => r[o]! | (r[o + 1]! << 8) | (r[o + 2]! << 16) | (r[o + 3]! << 24),
};
const u64le = (r: Uint8Array, o: number): bigint => (BigInt(u32le(r, o + 4)) << 32n) | BigInt(u32le(r, o));

export function argReader(kind: LogKind, hint: LogHint, o: number, size: number): ArgReader {
  const hex = hint === 'x' || hint === 'X';
  const up = hint === 'X' ? (t: string) => t.toUpperCase() : (t: string) => t;
  const num = NUM[kind];
  if (num) {
    if (!hex) return (r, out) => { const v = num(r, o); out.push(v); return `${v}`; };
    const mask = size === 4 ? (v: number) => v >>> 0 : (v: number) => v & (size === 1 ? 0xff : 0xffff);
    return (r, out) => { const v = num(r, o); out.push(v); return up(mask(v).toString(16)); };
  }
  switch (kind) {
    case 'u64':
    case 'i64': {
      const get = kind === 'u64' ? (r: Uint8Array) => u64le(r, o) : (r: Uint8Array) => BigInt.asIntN(64, u64le(r, o));
      return (r, out) => { const v = get(r); out.push(v); return hex ? up(BigInt.asUintN(64, v).toString(16)) : v.toString(); };
    }
    case 'bool': return (r, out) => { const v = r[o] !== 0; out.push(v); return v ? 'true' : 'false'; };
    case 'ipv4': return (r, out) => { const v = `${r[o]}.${r[o + 1]}.${r[o + 2]}.${r[o + 3]}`; out.push(v); return hex ? up(hexOf(r.subarray(o, o + 4))) : v; };
    case 'ipv6': return (r, out) => { const b = r.subarray(o, o + 16); const v = ipv6Text(b); out.push(v); return hex ? up(hexOf(b)) : v; };
    case 'mac': return (r, out) => { const v = macText(r, o); out.push(v); return hex ? up(hexOf(r.subarray(o, o + 6))) : v; };
    case 'bytes': return (r, out) => { const b = r.slice(o, o + size); out.push(b); return hex ? up(hexOf(b)) : `[${b.join(', ')}]`; };
    case 'str': return (r, out) => {
      const b = strBytes(r.subarray(o, o + size));
      const { text, valid } = strText(b);
      out.push(text);
      if (hex) return up(hexOf(b));
      return valid ? escapeControl(text, true) : text; // the invalid form is escaped already
    };
    default: throw new Error(`unknown log argument kind ${String(kind)}`);
  }
}

/** The argument's value from its bytes. */
export function decodeValue(kind: LogKind, b: Uint8Array): LogValue {
  const out: LogValue[] = [];
  argReader(kind, '', 0, b.length)(b, out);
  return out[0]!;
}

/** The argument as the message shows it, already escaped. */
export function formatArg(kind: LogKind, hint: LogHint, b: Uint8Array): string {
  return argReader(kind, hint, 0, b.length)(b, []);
}

export const LEVEL_LABEL: Record<LogLevelName, string> = { error: 'ERROR', warn: 'WARN ', info: 'INFO ', debug: 'DEBUG', trace: 'TRACE' };
const LEVEL_COLOUR: Record<LogLevelName, string> = { error: '\x1b[1;31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[34m', trace: '\x1b[36m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** RFC 3339 in UTC to the second, as env_logger prints it: `2024-06-08T04:24:21Z`. */
export function formatTime(d: Date): string {
  const sec = Math.floor(d.getTime() / 1000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastText = `${d.toISOString().slice(0, 19)}Z`;
  }
  return lastText;
}
// Lines come in bursts within one second: format each second once.
let lastSecond = NaN;
let lastText = '';

/** `[2024-06-08T04:24:21Z INFO  hello_world] received a packet` (no newline). */
export function formatLine(r: LogRecord, o: { color?: boolean } = {}): string {
  const target = escapeControl(r.target);
  if (!o.color) return `[${formatTime(r.time)} ${LEVEL_LABEL[r.level]} ${target}] ${r.message}`;
  return `${DIM}[${RESET}${formatTime(r.time)} ${LEVEL_COLOUR[r.level]}${LEVEL_LABEL[r.level]}${RESET} ${target}${DIM}]${RESET} ${r.message}`;
}

/** An argument as plain JSON data: 64-bit integers as numbers when exact, else decimal strings; bytes as hex. */
export function jsonValue(v: LogValue): number | boolean | string {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return hexOf(v);
  return v;
}

/**
 * One JSON object per record: `{"time","level","target","message","args","file","line"}` (+ `id`,
 * or `lost` on loss reports). 64-bit integers are written as exact JSON numbers.
 */
export function formatJson(r: LogRecord): string {
  const args = r.args.map((v) => (typeof v === 'bigint' ? v.toString() : JSON.stringify(jsonValue(v)))).join(',');
  let s = `{"time":${JSON.stringify(r.time.toISOString())},"level":"${r.level}","target":${JSON.stringify(r.target)},"message":${JSON.stringify(r.message)},"args":[${args}],"file":${JSON.stringify(r.file)},"line":${r.line}`;
  if (r.id !== undefined) s += `,"id":${r.id}`;
  if (r.lost !== undefined) s += `,"lost":${r.lost}`;
  return `${s}}`;
}
