/**
 * Turning log records into text: the seed's line format
 * `[2024-06-08T04:24:21Z INFO  hello_world] received a packet` (colours only when asked, i.e. on
 * a TTY), JSON lines, and single arguments by kind and hint. Times are formatted from
 * milliseconds with the text of the current second cached, so a burst of records makes no Date.
 */
import type { LogHint, LogKind, LogLevelName } from '../object/log-meta.js';
import { decodeArg, type LogValue } from './site.js';
import { LogEntry } from './record.js';
import { escapeControl, jsonValue } from './text.js';

export { escapeControl, jsonValue } from './text.js';
export type { LogValue } from './site.js';

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

/** The argument's value from its bytes. */
export function decodeValue(kind: LogKind, b: Uint8Array): LogValue {
  return decodeArg(kind, '', b).value;
}

/** The argument as the message shows it, already escaped. */
export function formatArg(kind: LogKind, hint: LogHint, b: Uint8Array): string {
  return decodeArg(kind, hint, b).text;
}

export const LEVEL_LABEL: Record<LogLevelName, string> = { error: 'ERROR', warn: 'WARN ', info: 'INFO ', debug: 'DEBUG', trace: 'TRACE' };
const LEVEL_COLOUR: Record<LogLevelName, string> = { error: '\x1b[1;31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[34m', trace: '\x1b[36m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

// Records come in bursts within one second: the second's text is made once (and the line
// prefixes per level and target, see linePrefix).
let lastSecond = NaN;
let lastText = '';
let lastIso = '';

function second(ms: number): void {
  const sec = Math.floor(ms / 1000);
  if (sec === lastSecond) return;
  lastSecond = sec;
  const iso = new Date(sec * 1000).toISOString(); // 2024-06-08T04:24:21.000Z
  lastText = `${iso.slice(0, 19)}Z`;
  lastIso = iso.slice(0, 20);
  prefixes.clear();
}

/** RFC 3339 in UTC to the second, as env_logger prints it: `2024-06-08T04:24:21Z`. */
export function formatTime(d: Date | number): string {
  second(typeof d === 'number' ? d : d.getTime());
  return lastText;
}

/** ISO 8601 with milliseconds (`Date.prototype.toISOString`'s form) from a millisecond time. */
function isoTime(ms: number): string {
  second(ms);
  const frac = ms - lastSecond * 1000;
  return `${lastIso}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

// Reader records carry the time as a number: no Date is made for them.
const msOf = (r: LogRecord): number => (r instanceof LogEntry ? r.timeMs : r.time.getTime());

/** `[time LEVEL target] ` for this second by target, then level (+5 with colour): most lines reuse one. */
const prefixes = new Map<string, string[]>();
const LEVEL_INDEX: Record<LogLevelName, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

function linePrefix(ms: number, level: LogLevelName, target: string, color: boolean): string {
  second(ms);
  let byLevel = prefixes.get(target);
  if (byLevel === undefined) {
    byLevel = [];
    if (prefixes.size < 256) prefixes.set(target, byLevel);
  }
  const i = LEVEL_INDEX[level] + (color ? 5 : 0);
  let p = byLevel[i];
  if (p === undefined) {
    const t = escapeControl(target);
    p = color ? `${DIM}[${RESET}${lastText} ${LEVEL_COLOUR[level]}${LEVEL_LABEL[level]}${RESET} ${t}${DIM}]${RESET} ` : `[${lastText} ${LEVEL_LABEL[level]} ${t}] `;
    byLevel[i] = p;
  }
  return p;
}

/** `[2024-06-08T04:24:21Z INFO  hello_world] received a packet` (no newline). */
export function formatLine(r: LogRecord, o: { color?: boolean } = {}): string {
  return linePrefix(msOf(r), r.level, r.target, o.color === true) + r.message;
}

/** An argument as JSON text: 64-bit integers as exact JSON numbers. */
function jsonArg(v: LogValue): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(jsonValue(v));
}

/**
 * One JSON object per record: `{"time","level","target","message","args","file","line"}` (+ `id`,
 * or `lost` on loss reports). 64-bit integers are written as exact JSON numbers.
 */
export function formatJson(r: LogRecord): string {
  if (r instanceof LogEntry) return r.jsonLine(isoTime(r.timeMs));
  const args = r.args;
  let a = '';
  for (let i = 0; i < args.length; i++) a += (i ? ',' : '') + jsonArg(args[i]!);
  let s = `{"time":"${isoTime(msOf(r))}","level":"${r.level}","target":${JSON.stringify(r.target)},"message":${JSON.stringify(r.message)},"args":[${a}],"file":${JSON.stringify(r.file)},"line":${r.line}`;
  if (r.id !== undefined) s += `,"id":${r.id}`;
  if (r.lost !== undefined) s += `,"lost":${r.lost}`;
  return `${s}}`;
}
