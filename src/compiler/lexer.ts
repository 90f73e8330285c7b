/**
 * Tokenizer for the TypeScript subset. Every token keeps its source offsets; numbers keep their
 * exact value as a bigint (TypeScript's own number would lose bits of 64-bit constants).
 * `>` is always a token of its own (with `adjacent` telling whether the next token touches it):
 * the parser joins `>` `>` into a shift only in expressions, so `Map<K, Ref<V>>` needs no rescans.
 */
import type { Diagnostics } from './diagnostics.js';

export type TokKind = 'ident' | 'num' | 'str' | 'template' | 'punct' | 'eof';

export interface Token {
  kind: TokKind;
  text: string;
  pos: number;
  end: number;
  /** A line break between the previous token and this one (automatic semicolon insertion). */
  nl: boolean;
  /** Numbers: exact integer value (null for floats). */
  num?: bigint | null;
  /** Strings and substitution-free templates: the decoded value. */
  str?: string;
  /** Templates: true when it contains `${…}` (not supported). */
  subst?: boolean;
  /** JSDoc comment (/** … *\/) right before this token. */
  doc?: string;
}

// Longest first within each leading character.
const PUNCT = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '++', '--', '<<', '&&', '||', '??', '?.', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**',
  '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '?', ':', '=', '.', '@', '#',
];

/** PUNCT by first character code (longest first), so a token tries only its own candidates. */
const PUNCT_BY_CHAR: string[][] = [];
for (const p of PUNCT) (PUNCT_BY_CHAR[p.charCodeAt(0)] ??= []).push(p);

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}

export function tokenize(src: string, diags: Diagnostics): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let nl = false;
  let doc: string | undefined;
  const n = src.length;
  while (true) {
    // whitespace and comments
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 10) { nl = true; i++; continue; }
      if (c === 32 || c === 9 || c === 13 || c === 0xfeff || c === 11 || c === 12 || c === 0xa0) { i++; continue; }
      if (c === 47 && src.charCodeAt(i + 1) === 47) {
        while (i < n && src.charCodeAt(i) !== 10) i++;
        continue;
      }
      if (c === 47 && src.charCodeAt(i + 1) === 42) {
        const close = src.indexOf('*/', i + 2);
        const end = close < 0 ? n : close + 2;
        if (close < 0) diags.error('LEX', i, 'unterminated comment');
        const body = src.slice(i, end);
        if (body.startsWith('/**')) doc = body;
        if (body.includes('\n')) nl = true;
        i = end;
        continue;
      }
      if (c === 35 && i === 0 && src.charCodeAt(1) === 33) { // #! line
        while (i < n && src.charCodeAt(i) !== 10) i++;
        continue;
      }
      break;
    }
    if (i >= n) {
      toks.push({ kind: 'eof', text: '', pos: n, end: n, nl: true, doc });
      return toks;
    }
    const start = i;
    const c = src.charCodeAt(i);
    const base = { pos: start, nl, doc };
    nl = false;
    doc = undefined;
    if (isIdStart(c) || c === 92) {
      while (i < n && isIdPart(src.charCodeAt(i))) i++;
      if (i === start) { // lone backslash
        diags.error('LEX', start, 'unicode escapes in names are not supported');
        i++;
      }
      toks.push({ kind: 'ident', text: src.slice(start, i), end: i, ...base });
      continue;
    }
    if ((c >= 48 && c <= 57) || (c === 46 && src.charCodeAt(i + 1) >= 48 && src.charCodeAt(i + 1) <= 57)) {
      i = lexNumber(src, i, diags, toks, base);
      continue;
    }
    if (c === 34 || c === 39) {
      i = lexString(src, i, c, diags, toks, base);
      continue;
    }
    if (c === 96) {
      i = lexTemplate(src, i, diags, toks, base);
      continue;
    }
    let p: string | undefined;
    if (c === 62) p = '>'; // see header comment
    else {
      const cands = c < 128 ? PUNCT_BY_CHAR[c] : undefined;
      if (cands) for (let k = 0; k < cands.length; k++) if (src.startsWith(cands[k], i)) { p = cands[k]; break; }
    }
    if (!p) {
      diags.error('LEX', i, `unexpected character '${src[i]}'`);
      i++;
      continue;
    }
    i += p.length;
    toks.push({ kind: 'punct', text: p, end: i, ...base });
  }
}

type Base = { pos: number; nl: boolean; doc?: string };

function lexNumber(src: string, i: number, diags: Diagnostics, toks: Token[], base: Base): number {
  const start = i;
  let radix = 10;
  if (src[i] === '0' && /[xXbBoO]/.test(src[i + 1] ?? '')) {
    radix = { x: 16, b: 2, o: 8 }[src[i + 1].toLowerCase() as 'x' | 'b' | 'o'];
    i += 2;
  }
  const digitRe = radix === 16 ? /[0-9a-fA-F_]/ : radix === 8 ? /[0-7_]/ : radix === 2 ? /[01_]/ : /[0-9_]/;
  while (i < src.length && digitRe.test(src[i])) i++;
  let float = false;
  if (radix === 10) {
    if (src[i] === '.' && /[0-9]/.test(src[i + 1] ?? '')) { float = true; i++; while (/[0-9_]/.test(src[i] ?? '')) i++; }
    else if (src[i] === '.' && !/[a-zA-Z_$.]/.test(src[i + 1] ?? '')) { float = true; i++; }
    if (/[eE]/.test(src[i] ?? '')) {
      float = true;
      i++;
      if (/[+-]/.test(src[i] ?? '')) i++;
      while (/[0-9]/.test(src[i] ?? '')) i++;
    }
  }
  let bigintSuffix = false;
  if (src[i] === 'n') { bigintSuffix = true; i++; }
  const text = src.slice(start, i);
  if (isIdStart(src.charCodeAt(i)) || /[0-9]/.test(src[i] ?? '')) {
    diags.error('NUMBER', start, `invalid number literal '${text}${src[i]}'`);
    while (i < src.length && isIdPart(src.charCodeAt(i))) i++;
    toks.push({ kind: 'num', text, end: i, num: 0n, ...base });
    return i;
  }
  let num: bigint | null = null;
  if (!float) {
    const digits = text.slice(radix === 10 ? 0 : 2, bigintSuffix ? -1 : undefined).replace(/_/g, '');
    if (digits === '' || text.includes('__') || text.endsWith('_') || text.endsWith('_n')) diags.error('NUMBER', start, `invalid number literal '${text}'`);
    else if (radix === 10 && digits.length > 1 && digits[0] === '0') diags.error('NUMBER', start, `legacy octal literal '${text}'`, 'write 0o17 for octal');
    else num = BigInt(radix === 10 ? digits : `0${'xbo'[[16, 2, 8].indexOf(radix)]}${digits}`);
    if (num === null) num = 0n;
  }
  toks.push({ kind: 'num', text, end: i, num, ...base });
  return i;
}

const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', v: '\v' };

/** Decodes one escape at src[i] (after the backslash); returns [text, next index]. */
function escape(src: string, i: number, diags: Diagnostics): [string, number] {
  const e = src[i];
  if (e in ESC && !(e === '0' && /[0-9]/.test(src[i + 1] ?? ''))) return [ESC[e], i + 1];
  if (e === 'x') {
    const h = src.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(h)) return [String.fromCharCode(parseInt(h, 16)), i + 3];
  } else if (e === 'u') {
    const m = /^\{([0-9a-fA-F]{1,6})\}|^([0-9a-fA-F]{4})/.exec(src.slice(i + 1));
    if (m) {
      const cp = parseInt(m[1] ?? m[2], 16);
      if (cp <= 0x10ffff) return [String.fromCodePoint(cp), i + 1 + m[0].length];
    }
  } else if (e === '\r' && src[i + 1] === '\n') return ['', i + 2];
  else if (e === '\n') return ['', i + 1];
  else if (e !== undefined && !/[0-9]/.test(e)) return [e, i + 1];
  diags.error('LEX', i - 1, 'invalid escape sequence');
  return ['', i + 1];
}

function lexString(src: string, i: number, q: number, diags: Diagnostics, toks: Token[], base: Base): number {
  const start = i;
  i++;
  let out = '';
  while (true) {
    if (i >= src.length || src.charCodeAt(i) === 10) {
      diags.error('LEX', start, 'unterminated string literal');
      break;
    }
    const c = src.charCodeAt(i);
    if (c === q) { i++; break; }
    if (c === 92) {
      const [t, next] = escape(src, i + 1, diags);
      out += t;
      i = next;
      continue;
    }
    out += src[i];
    i++;
  }
  toks.push({ kind: 'str', text: src.slice(start, i), end: i, str: out, ...base });
  return i;
}

function lexTemplate(src: string, i: number, diags: Diagnostics, toks: Token[], base: Base): number {
  const start = i;
  i++;
  let out = '';
  let subst = false;
  let depth = 0;
  while (true) {
    if (i >= src.length) {
      diags.error('LEX', start, 'unterminated template literal');
      break;
    }
    const c = src[i];
    if (depth === 0 && c === '`') { i++; break; }
    if (c === '\\') {
      const [t, next] = escape(src, i + 1, diags);
      if (depth === 0) out += t;
      i = next;
      continue;
    }
    if (depth === 0 && c === '$' && src[i + 1] === '{') { subst = true; depth = 1; i += 2; continue; }
    if (depth > 0 && c === '{') depth++;
    if (depth > 0 && c === '}') depth--;
    if (depth === 0 && c !== '}') out += c;
    i++;
  }
  toks.push({ kind: 'template', text: src.slice(start, i), end: i, str: out, subst, ...base });
  return i;
}
