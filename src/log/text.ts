/**
 * Text helpers for log values: escaping control characters (a value from the kernel — a packet's
 * bytes, a task name — must never reach the terminal as control characters), hex, addresses and
 * `str` arguments. Pure functions, shared by the per-site decoders and the formatters.
 */

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

export const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export const hexOf = (b: Uint8Array): string => { let s = ''; for (const x of b) s += HEX[x]; return s; };

/** An IPv4 address from its 4 bytes read as a big-endian u32. */
export const ipv4Text = (w: number): string => `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;

/** A MAC address from its first 4 bytes (big-endian u32) and last 2 (big-endian u16). */
export const macText = (hi: number, lo: number): string =>
  `${HEX[hi >>> 24]}:${HEX[(hi >>> 16) & 255]}:${HEX[(hi >>> 8) & 255]}:${HEX[hi & 255]}:${HEX[lo >>> 8]}:${HEX[lo & 255]}`;

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000'];

/**
 * An integer (|x| ≤ 2^53) as decimal text. V8 turns int32 values into text quickly but takes
 * ~120 ns for larger ones (the double path); two int32 halves of 9 digits take ~20.
 */
export function intText(x: number): string {
  // `| 0` keeps V8 on its small-integer path (a double-typed value, even 5, takes the slow one).
  if (x >= -0x80000000 && x <= 0x7fffffff) return `${x | 0}`;
  if (x < 0) return `-${intText(-x)}`;
  const hi = Math.floor(x / 1e9);
  const lo = `${(x - hi * 1e9) | 0}`;
  return `${hi > 0x7fffffff ? intText(hi) : hi | 0}${ZEROS[9 - lo.length]}${lo}`;
}

/** `w` as 8 hex digits. */
export const hex32 = (w: number): string => (w >>> 0).toString(16).padStart(8, '0');

/** An IPv6 address from its 16 bytes as four big-endian u32 words, in RFC 5952 form. */
export function ipv6Text(w0: number, w1: number, w2: number, w3: number): string {
  // Lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`, IPv4-mapped as ::ffff:a.b.c.d.
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  if (w0 === 0 && w1 === 0 && g[4] === 0 && g[5] === 0xffff) return `::ffff:${ipv4Text(w3)}`;
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

/** An argument as plain JSON data: 64-bit integers as numbers when exact, else decimal strings; bytes as hex. */
export function jsonValue(v: number | bigint | boolean | string | Uint8Array): number | boolean | string {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return hexOf(v);
  return v;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** A `str` argument: the bytes up to the first NUL. */
export function strBytes(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/** The bytes as UTF-8; invalid UTF-8 becomes printable ASCII with `\xNN` escapes (`valid: false`). */
export function strText(b: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: textDecoder.decode(b), valid: true };
  } catch {
    let s = '';
    for (const x of b) s += x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : `\\x${HEX[x]}`;
    return { text: s, valid: false };
  }
}
