/**
 * Call sites compiled once from the `.tsbpf.log` table, so that taking a record costs a few loads.
 *
 * A record is read in two steps. `readWords` (or, for an `aligned` site, the LogEntry
 * constructor with Int32Array loads) copies the argument bytes out of the ring at the
 * site's fixed offsets as int32 numbers into the record object's own slots (`w0`…`w7`: small
 * integers to V8, so taking a record allocates that one object; byte arrays, text and words past
 * the eighth go to `wx`), which is all a reader must do before the ring space is released. Text
 * and values are made from those words only when someone asks for them (`messageOf`,
 * `valuesOf`): a record that is counted or filtered is never formatted.
 */
import type { LogArg, LogHint, LogKind, LogLevelName, LogSite } from '../object/log-meta.js';
import { levelNumber } from '../object/log-meta.js';
import { HEX, escapeControl, hex32, hexOf, intText, ipv4Text, ipv6Text, macText, strBytes, strText } from './text.js';

/** What an argument decodes to: ≤32-bit integers → number, 64-bit → bigint, addresses → text, bytes → Uint8Array. */
export type LogValue = number | bigint | boolean | string | Uint8Array;

/**
 * A record's argument words: int32 numbers read at fixed offsets, in eight inline slots and then
 * `wx` (which also holds every copy of a byte array, at its word index).
 */
export interface Words {
  w0: number; w1: number; w2: number; w3: number; w4: number; w5: number; w6: number; w7: number;
  wx: (number | Uint8Array)[] | undefined;
}

/** Word `k` of a record. */
function word(w: Words, k: number): number {
  switch (k) {
    case 0: return w.w0;
    case 1: return w.w1;
    case 2: return w.w2;
    case 3: return w.w3;
    case 4: return w.w4;
    case 5: return w.w5;
    case 6: return w.w6;
    case 7: return w.w7;
    default: return w.wx![k] as number;
  }
}

function setWord(w: Words, k: number, v: number): void {
  switch (k) {
    case 0: w.w0 = v; break;
    case 1: w.w1 = v; break;
    case 2: w.w2 = v; break;
    case 3: w.w3 = v; break;
    case 4: w.w4 = v; break;
    case 5: w.w5 = v; break;
    case 6: w.w6 = v; break;
    case 7: w.w7 = v; break;
    default: w.wx![k] = v;
  }
}

// How each word is read (the `codes` of a site's read plan).
const R_U8 = 0, R_I8 = 1, R_U16 = 2, R_I16 = 3, R_I32 = 4, R_BE32 = 5, R_BE16 = 6, R_COPY = 7;

interface ArgCode {
  /** The argument as the message shows it, escaped. */
  text(w: Words): string;
  /** The argument's value. */
  value(w: Words): LogValue;
}

/** A call site ready for decoding. `enabled` is the reader's filter decision, made once. */
export interface CompiledSite {
  readonly site: LogSite;
  readonly id: number;
  readonly level: LogLevelName;
  /** 1 (error) … 5 (trace). */
  readonly levelNo: number;
  readonly targetName: string;
  readonly file: string;
  readonly line: number;
  /** Bytes a record of this site has at least. */
  readonly size: number;
  /** The read plan: byte offset, read code and (for copies) size of each word. */
  readonly offs: readonly number[];
  readonly codes: readonly number[];
  readonly sizes: readonly number[];
  /** Whether records need `wx` (more than eight words, or byte arrays). */
  readonly extra: boolean;
  /**
   * Every word is an int32 at a 4-aligned offset (u32, i32, u64, i64 arguments: most sites) and the
   * host is little-endian like the records: the LogEntry constructor copies them with Int32Array
   * loads at these word indexes (offset / 4) instead of readWords' DataView reads.
   */
  readonly aligned: boolean;
  readonly wordIdx: readonly number[];
  /** Literal pieces with control characters escaped once, up front. */
  readonly text: readonly string[];
  readonly args: readonly ArgCode[];
  /** The message from a record's words. */
  readonly message: (w: Words) => string;
  /** The message as the inside of a JSON string (what JSON.stringify would make of it, without its quotes). */
  readonly jsonMessage: (w: Words) => string;
  /** Each argument as JSON text (64-bit integers as exact numbers, bytes as hex strings). */
  readonly json: readonly ((w: Words) => string)[];
  /** The JSON line around time, message and arguments: `,"level":…,"message":` and `,"file":…}`. */
  readonly jsonHead: string;
  readonly jsonTail: string;
  enabled: boolean;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TWO32 = 4294967296;
/** Below 2^21 in the high word a 64-bit value is exact as a double (≤ 2^53): number → text without BigInt. */
const SAFE_HI = 0x200000;

const u64Big = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const hex64 = (lo: number, hi: number): string => (hi === 0 ? (lo >>> 0).toString(16) : (hi >>> 0).toString(16) + hex32(lo));

/** The read plan and text/value functions of one argument whose first word is `k`. */
function compileArg(a: Pick<LogArg, 'kind' | 'hint' | 'offset' | 'size'>, k: number, plan: { offs: number[]; codes: number[]; sizes: number[] }): ArgCode {
  const read = (code: number, off: number, size = 0): void => { plan.offs.push(off); plan.codes.push(code); plan.sizes.push(size); };
  const { kind, hint, offset: o, size } = a;
  const hex = hint === 'x' || hint === 'X';
  const up = hint === 'X' ? (t: string): string => t.toUpperCase() : (t: string): string => t;
  const n = (w: Words): number => word(w, k);
  const n1 = (w: Words): number => word(w, k + 1);
  switch (kind) {
    case 'u8': case 'i8': case 'u16': case 'i16': case 'i32': case 'u32': {
      const code = ({ u8: R_U8, i8: R_I8, u16: R_U16, i16: R_I16, i32: R_I32, u32: R_I32 } as const)[kind];
      read(code, o);
      // Words are int32: a u32 is made unsigned when shown; hex shows the kind's own bits.
      const value = kind === 'u32' ? (w: Words): number => n(w) >>> 0 : n;
      const mask = kind === 'i8' ? 0xff : kind === 'i16' ? 0xffff : -1;
      if (!hex) return { text: kind === 'u32' ? (w) => intText(n(w) >>> 0) : (w) => `${n(w)}`, value };
      return { text: (w) => up(mask === -1 ? (n(w) >>> 0).toString(16) : (n(w) & mask).toString(16)), value };
    }
    case 'u64': case 'i64': {
      read(R_I32, o);
      read(R_I32, o + 4);
      const signed = kind === 'i64';
      const value = (w: Words): bigint => {
        const lo = n(w) >>> 0, hi = n1(w);
        if (signed) return hi >= -SAFE_HI && hi < SAFE_HI ? BigInt(hi * TWO32 + lo) : BigInt.asIntN(64, u64Big(lo, hi));
        return hi >= 0 && hi < SAFE_HI ? BigInt(hi * TWO32 + lo) : u64Big(lo, hi);
      };
      if (hex) return { text: (w) => up(hex64(n(w), n1(w))), value };
      return {
        text: (w) => {
          const lo = n(w) >>> 0, hi = n1(w);
          if (signed ? hi >= -SAFE_HI && hi < SAFE_HI : hi >= 0 && hi < SAFE_HI) return intText(hi * TWO32 + lo);
          return value(w).toString();
        },
        value,
      };
    }
    case 'bool': {
      read(R_U8, o);
      const value = (w: Words): boolean => n(w) !== 0;
      return { text: (w) => (n(w) !== 0 ? 'true' : 'false'), value };
    }
    case 'ipv4': {
      read(R_BE32, o);
      const value = (w: Words): string => ipv4Text(n(w));
      return { text: hex ? (w) => up(hex32(n(w))) : value, value };
    }
    case 'mac': {
      read(R_BE32, o);
      read(R_BE16, o + 4);
      const value = (w: Words): string => macText(n(w), n1(w));
      return { text: hex ? (w) => up(hex32(n(w)) + HEX[(n1(w)) >>> 8] + HEX[(n1(w)) & 255]) : value, value };
    }
    case 'ipv6': {
      for (let i = 0; i < 4; i++) read(R_BE32, o + 4 * i);
      const value = (w: Words): string => ipv6Text(n(w), n1(w), word(w, k + 2), word(w, k + 3));
      return { text: hex ? (w) => up(hex32(n(w)) + hex32(n1(w)) + hex32(word(w, k + 2)) + hex32(word(w, k + 3))) : value, value };
    }
    case 'bytes': {
      read(R_COPY, o, size);
      const b = (w: Words): Uint8Array => w.wx![k] as Uint8Array;
      return { text: (w) => (hex ? up(hexOf(b(w))) : `[${b(w).join(', ')}]`), value: b };
    }
    case 'str': {
      read(R_COPY, o, size);
      const bytes = (w: Words): Uint8Array => strBytes(w.wx![k] as Uint8Array);
      return {
        text: (w) => {
          if (hex) return up(hexOf(bytes(w)));
          const { text, valid } = strText(bytes(w));
          return valid ? escapeControl(text, true) : text; // the invalid form is escaped already
        },
        value: (w) => strText(bytes(w)).text,
      };
    }
    default: throw new Error(`unknown log argument kind ${String(kind)}`);
  }
}

const jsonInner = (t: string): string => JSON.stringify(t).slice(1, -1);

/** An argument as JSON text: the value, not its hint's form (hex is for the message). */
function jsonArg(a: LogArg, k: number): (w: Words) => string {
  const plan = { offs: [] as number[], codes: [] as number[], sizes: [] as number[] };
  const plain = compileArg({ ...a, hint: a.kind === 'bytes' ? 'x' : '' }, k, plan);
  switch (a.kind) {
    case 'ipv4': case 'ipv6': case 'mac': case 'bytes': return (w) => `"${plain.text(w)}"`; // hex digits, dots, colons
    case 'str': return (w) => JSON.stringify(plain.value(w));
    default: return plain.text; // integers (exact) and booleans
  }
}

/** Compiles a site of the table (its target's name given). */
export function compileSite(s: LogSite, targetName: string): CompiledSite {
  const plan = { offs: [] as number[], codes: [] as number[], sizes: [] as number[] };
  const firsts: number[] = [];
  const args = s.args.map((a) => {
    firsts.push(plan.offs.length);
    return compileArg(a, plan.offs.length, plan);
  });
  const text = s.text.map((t) => escapeControl(t));
  return {
    site: s, id: s.id, level: s.level, levelNo: levelNumber(s.level), targetName, file: s.file, line: s.line, size: s.size,
    ...plan, extra: plan.codes.length > 8 || plan.codes.includes(R_COPY), text, args,
    aligned: LITTLE_ENDIAN && plan.codes.length <= 8 && plan.codes.every((c, i) => c === R_I32 && plan.offs[i]! % 4 === 0),
    wordIdx: plan.offs.map((o) => o >> 2), message: messageFn(text, args),
    json: s.args.map((a, i) => jsonArg(a, firsts[i]!)),
    // Only `str` texts can hold `"` or `\` (their escapes): every other argument text is JSON-safe as is.
    jsonMessage: messageFn(text.map(jsonInner), args.map((a, i) => (s.args[i]!.kind === 'str' ? { ...a, text: (w: Words) => jsonInner(a.text(w)) } : a))),
    jsonHead: `,"level":"${s.level}","target":${JSON.stringify(targetName)},"message":`,
    jsonTail: `,"file":${JSON.stringify(s.file)},"line":${s.line},"id":${s.id}}`,
    enabled: true,
  };
}

/**
 * Copies a record's argument words out of the ring into `w` (a fresh record object): `view`/`bytes`
 * over the ring's data area, the record at `off`.
 */
export function readWords(s: CompiledSite, w: Words, view: DataView, bytes: Uint8Array, off: number): void {
  const n = s.codes.length;
  if (n === 0) return;
  if (s.extra) return readExtra(s, w, view, bytes, off);
  // Straight-line for the inline slots: no loop, no switch on the slot.
  const c = s.codes, o = s.offs;
  w.w0 = readInt(view, c[0]!, off + o[0]!);
  if (n === 1) return;
  w.w1 = readInt(view, c[1]!, off + o[1]!);
  if (n === 2) return;
  w.w2 = readInt(view, c[2]!, off + o[2]!);
  if (n === 3) return;
  w.w3 = readInt(view, c[3]!, off + o[3]!);
  if (n === 4) return;
  w.w4 = readInt(view, c[4]!, off + o[4]!);
  if (n === 5) return;
  w.w5 = readInt(view, c[5]!, off + o[5]!);
  if (n === 6) return;
  w.w6 = readInt(view, c[6]!, off + o[6]!);
  if (n === 7) return;
  w.w7 = readInt(view, c[7]!, off + o[7]!);
}

function readInt(view: DataView, code: number, o: number): number {
  switch (code) {
    case R_I32: return view.getInt32(o, true);
    case R_U8: return view.getUint8(o);
    case R_U16: return view.getUint16(o, true);
    case R_BE32: return view.getInt32(o, false);
    case R_BE16: return view.getUint16(o, false);
    case R_I8: return view.getInt8(o);
    default: return view.getInt16(o, true);
  }
}

/** Records with more than eight words or byte arrays: every word also goes through `wx`. */
function readExtra(s: CompiledSite, w: Words, view: DataView, bytes: Uint8Array, off: number): void {
  const n = s.codes.length;
  w.wx = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const o = off + s.offs[i]!;
    if (s.codes[i] === R_COPY) w.wx[i] = bytes.slice(o, o + s.sizes[i]!);
    else setWord(w, i, readInt(view, s.codes[i]!, o));
  }
}

/**
 * The message function of a site: the pieces and argument texts concatenated, unrolled for up to
 * six arguments (a loop over the argument functions costs ~50 % more for four).
 */
function messageFn(t: readonly string[], args: readonly ArgCode[]): (w: Words) => string {
  const [t0, t1, t2, t3, t4, t5, t6] = t as string[];
  const [a0, a1, a2, a3, a4, a5] = args.map((a) => a.text);
  switch (args.length) {
    case 0: return () => t0!;
    case 1: return (w) => t0! + a0!(w) + t1!;
    case 2: return (w) => t0! + a0!(w) + t1! + a1!(w) + t2!;
    case 3: return (w) => t0! + a0!(w) + t1! + a1!(w) + t2! + a2!(w) + t3!;
    case 4: return (w) => t0! + a0!(w) + t1! + a1!(w) + t2! + a2!(w) + t3! + a3!(w) + t4!;
    case 5: return (w) => t0! + a0!(w) + t1! + a1!(w) + t2! + a2!(w) + t3! + a3!(w) + t4! + a4!(w) + t5!;
    case 6: return (w) => t0! + a0!(w) + t1! + a1!(w) + t2! + a2!(w) + t3! + a3!(w) + t4! + a4!(w) + t5! + a5!(w) + t6!;
    default: return (w) => {
      let m = t0!;
      for (let i = 0; i < args.length; i++) m += args[i]!.text(w) + t[i + 1]!;
      return m;
    };
  }
}

/** The message of a record of `s` (escaped). */
export function messageOf(s: CompiledSite, w: Words): string {
  return s.message(w);
}

/** The argument values of a record of `s`. */
export function valuesOf(s: CompiledSite, w: Words): LogValue[] {
  return s.args.map((a) => a.value(w));
}

/** Empty words, for records built outside a reader. */
export function newWords(): Words {
  return { w0: 0, w1: 0, w2: 0, w3: 0, w4: 0, w5: 0, w6: 0, w7: 0, wx: undefined };
}

/** One argument of `kind`/`hint` alone in `b` (at offset 0): its text and value. */
export function decodeArg(kind: LogKind, hint: LogHint, b: Uint8Array): { text: string; value: LogValue } {
  const plan = { offs: [] as number[], codes: [] as number[], sizes: [] as number[] };
  const arg = compileArg({ kind, hint, offset: 0, size: b.length }, 0, plan);
  const site = { ...plan, extra: true } as unknown as CompiledSite;
  const w = newWords();
  readWords(site, w, new DataView(b.buffer, b.byteOffset, b.byteLength), b, 0);
  return { text: arg.text(w), value: arg.value(w) };
}
