/**
 * gen-attr's C declaration parser: a struct or union body (scalar members, arrays with #defined
 * bounds, bit-fields, nested anonymous or named-member structs/unions, `__attribute__((aligned))`)
 * read from header tokens into an Aggregate for layout.ts.
 */
import { CExprError, evaluateCExpr } from './c-expr.js';
import type { Token } from './c-tokens.js';
import { GenAttrError } from './errors.js';
import { sinceIn } from './since.js';

/** [size, alignment] of the scalar types the uapi structs use (x86-64 and BPF agree). */
export const SCALARS: Record<string, [number, number]> = {
  char: [1, 1], 'unsigned char': [1, 1], __u8: [1, 1], __s8: [1, 1],
  __u16: [2, 2], __s16: [2, 2], __be16: [2, 2], __le16: [2, 2], short: [2, 2], 'unsigned short': [2, 2],
  __u32: [4, 4], __s32: [4, 4], __be32: [4, 4], __le32: [4, 4], int: [4, 4], 'unsigned int': [4, 4], unsigned: [4, 4],
  __u64: [8, 8], __s64: [8, 8], __be64: [8, 8], __le64: [8, 8], 'unsigned long long': [8, 8], 'long long': [8, 8],
  __aligned_u64: [8, 8], __aligned_s64: [8, 8], __aligned_be64: [8, 8], __aligned_le64: [8, 8],
};

export interface Aggregate { isUnion: boolean; members: Member[]; align: number; comment?: string }
export type Member =
  | { kind: 'scalar'; type: string; name?: string; dims: number[]; bits?: number; line: number; since?: string }
  | { kind: 'agg'; agg: Aggregate; name?: string; line: number };

/** Value of `text` whose names are #defines (name → value text), each evaluated when used. */
function defineValue(text: string, defines: ReadonlyMap<string, string>, depth: number): bigint {
  if (depth > 20) throw new GenAttrError(`constant expression nests too deeply: ${text}`);
  try {
    return evaluateCExpr(text, (name) => {
      const d = defines.get(name);
      return d === undefined ? null : defineValue(d, defines, depth + 1);
    });
  } catch (e) {
    throw e instanceof CExprError ? new GenAttrError(e.message) : e;
  }
}

/** An array bound, bit-field width or alignment. */
export function evalConst(text: string, defines: ReadonlyMap<string, string>): number {
  return Number(defineValue(text, defines, 0));
}

export class Parser {
  p = 0;
  /** `since X.Y` comments by line (supplement fields name the release that added them). */
  readonly since = new Map<number, string>();
  constructor(readonly toks: Token[], readonly defines: Map<string, string>) {
    for (const t of toks) {
      const v = t.kind === 'comment' ? sinceIn(t.text) : undefined;
      if (v) this.since.set(t.line, v);
    }
  }

  peek(): Token | undefined {
    while (this.toks[this.p]?.kind === 'comment') this.p++;
    return this.toks[this.p];
  }
  next(): Token {
    const t = this.peek();
    if (!t) throw new GenAttrError('unexpected end of header');
    this.p++;
    return t;
  }
  expect(text: string): Token {
    const t = this.next();
    if (t.text !== text) throw new GenAttrError(`line ${t.line}: expected '${text}', found '${t.text}'`);
    return t;
  }

  /** Position of `struct|union NAME {` at file scope, or -1. */
  find(keyword: string, name: string): number {
    const t = this.toks;
    for (let i = 0; i + 2 < t.length; i++) {
      if (t[i]!.text === keyword && t[i + 1]!.text === name && t[i + 2]!.text === '{') return i;
    }
    return -1;
  }

  /** Skips `__attribute__((...))` groups; returns the aligned(N) value found, if any. */
  attributes(): number {
    let align = 0;
    while (this.peek()?.text === '__attribute__') {
      this.next();
      const start = this.p;
      let depth = 0;
      do {
        const t = this.next();
        if (t.text === '(') depth++;
        else if (t.text === ')') depth--;
      } while (depth > 0);
      const text = this.toks.slice(start, this.p).map((t) => t.text).join(' ');
      const m = /aligned \( (.+?) \)/.exec(text);
      if (m) align = Math.max(align, evalConst(m[1]!, this.defines));
    }
    return align;
  }

  /** Parses `{ members } attributes` after the struct/union keyword (and optional tag). */
  body(isUnion: boolean): Aggregate {
    const open = this.expect('{');
    // The comment right after the brace names anonymous bpf_attr members ("used by BPF_MAP_CREATE").
    const c = this.toks[this.p];
    const comment = c?.kind === 'comment' && c.line === open.line ? c.text : undefined;
    const members: Member[] = [];
    while (this.peek()?.text !== '}') members.push(...this.member());
    this.expect('}');
    const align = this.attributes();
    return { isUnion, members, align, comment };
  }

  member(): Member[] {
    const first = this.peek()!;
    if (first.text === 'struct' || first.text === 'union') {
      this.next();
      if (this.peek()?.kind === 'id') {
        throw new GenAttrError(`line ${first.line}: named struct types inside the layouts are not supported (${this.peek()!.text})`);
      }
      const agg = this.body(first.text === 'union');
      const name = this.peek()?.kind === 'id' ? this.next().text : undefined;
      if (this.peek()?.text === '[') throw new GenAttrError(`line ${first.line}: arrays of structs are not supported`);
      this.attributes();
      this.expect(';');
      return [{ kind: 'agg', agg, name, line: first.line }];
    }
    const words: string[] = [];
    while (this.peek()?.kind === 'id' && this.peek()!.text !== '__attribute__') words.push(this.next().text);
    if (words.length === 0) throw new GenAttrError(`line ${first.line}: expected a declaration, found '${first.text}'`);
    let type: string;
    let name: string | undefined;
    if (SCALARS[words.join(' ')]) type = words.join(' ');
    else { name = words.pop(); type = words.join(' '); }
    if (!SCALARS[type]) throw new GenAttrError(`line ${first.line}: unknown type '${type}'`);
    const out: Member[] = [];
    for (;;) {
      const dims: number[] = [];
      while (this.peek()?.text === '[') {
        this.next();
        const start = this.p;
        while (this.peek()?.text !== ']') this.next();
        dims.push(evalConst(this.toks.slice(start, this.p).filter((t) => t.kind !== 'comment').map((t) => t.text).join(' '), this.defines));
        this.expect(']');
      }
      let bits: number | undefined;
      if (this.peek()?.text === ':') { this.next(); bits = evalConst(this.next().text, this.defines); }
      this.attributes();
      out.push({ kind: 'scalar', type, name, dims, bits, line: first.line, since: this.since.get(first.line) });
      const t = this.next();
      if (t.text === ';') return out;
      if (t.text !== ',') throw new GenAttrError(`line ${t.line}: expected ';' or ',', found '${t.text}'`);
      name = this.next().text;
    }
  }
}
