/**
 * Generates src/abi/attr.gen.ts: the field offsets and sizes of `union bpf_attr`'s member structs
 * and of the info structs (`bpf_prog_info`, `bpf_map_info`, `bpf_link_info`, `bpf_btf_info`,
 * `bpf_func_info`, `bpf_line_info`), computed by parsing the C declarations of the uapi header
 * and laying them out with the x86-64/BPF C rules (natural alignment, `__aligned_u64`, bit-fields,
 * nested anonymous structs/unions flattened, named ones as `outer.inner`).
 *
 * Usage: node dist/scripts/gen-attr.js [path/to/linux/bpf.h] [--check]
 * (default header /usr/include/linux/bpf.h; --check compares instead of writing).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFAULT_HEADER = '/usr/include/linux/bpf.h';
export const OUTPUT_PATH = fileURLToPath(new URL('../../src/abi/attr.gen.ts', import.meta.url));

/** Info structs laid out besides the bpf_attr members. */
const INFO_STRUCTS = ['bpf_prog_info', 'bpf_map_info', 'bpf_link_info', 'bpf_btf_info', 'bpf_func_info', 'bpf_line_info'];

/** Names for bpf_attr's anonymous member structs, recognised by the comment at their opening brace. */
const ANON_NAMES: [RegExp, string][] = [
  [/BPF_MAP_CREATE/, 'map_create'],
  [/BPF_MAP_\*_ELEM/, 'map_elem'],
  [/BPF_PROG_LOAD/, 'prog_load'],
  [/BPF_OBJ_\*/, 'obj'],
  [/BPF_PROG_ATTACH/, 'prog_attach'],
  [/BPF_\*_GET_\*_ID/, 'get_id'],
  [/BPF_BTF_LOAD/, 'btf_load'],
];

/** [size, alignment] of the scalar types the uapi structs use. */
const SCALARS: Record<string, [number, number]> = {
  char: [1, 1], 'unsigned char': [1, 1], __u8: [1, 1], __s8: [1, 1],
  __u16: [2, 2], __s16: [2, 2], __be16: [2, 2], __le16: [2, 2], short: [2, 2], 'unsigned short': [2, 2],
  __u32: [4, 4], __s32: [4, 4], __be32: [4, 4], __le32: [4, 4], int: [4, 4], 'unsigned int': [4, 4], unsigned: [4, 4],
  __u64: [8, 8], __s64: [8, 8], __be64: [8, 8], __le64: [8, 8], 'unsigned long long': [8, 8], 'long long': [8, 8],
  __aligned_u64: [8, 8], __aligned_s64: [8, 8], __aligned_be64: [8, 8], __aligned_le64: [8, 8],
};

export class GenAttrError extends Error {}

// ---------------------------------------------------------------------------------------------
// Tokens

interface Token { kind: 'id' | 'num' | 'punct' | 'comment'; text: string; line: number }

function tokenize(src: string, defines: Map<string, string>): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let atLineStart = true;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; atLineStart = true; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    if (c === '#' && atLineStart) {
      // A preprocessor line (with backslash continuations): keep #define NAME VALUE.
      let j = i;
      let text = '';
      while (j < src.length && src[j] !== '\n') {
        if (src[j] === '\\' && src[j + 1] === '\n') { j += 2; line++; text += ' '; continue; }
        text += src[j++];
      }
      const m = /^#\s*define\s+([A-Za-z_]\w*)(?!\()\s+(.*)$/.exec(text);
      if (m) defines.set(m[1], m[2].replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '').trim());
      i = j;
      continue;
    }
    atLineStart = false;
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      const text = src.slice(i, stop);
      out.push({ kind: 'comment', text, line });
      line += text.split('\n').length - 1;
      i = stop;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      out.push({ kind: 'comment', text: src.slice(i, stop), line });
      i = stop;
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(i, i + 128));
    if (id) { out.push({ kind: 'id', text: id[0], line }); i += id[0].length; continue; }
    const num = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*/.exec(src.slice(i, i + 64));
    if (num) { out.push({ kind: 'num', text: num[0], line }); i += num[0].length; continue; }
    if (c === '"' || c === "'") {
      // Strings only appear in macros we skip; step over them so their contents are not tokens.
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    out.push({ kind: 'punct', text: c, line });
    i++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Constant expressions (array bounds): numbers, #defined names, + - * / << and parentheses.

function evalConst(text: string, defines: Map<string, string>, depth = 0): number {
  if (depth > 20) throw new GenAttrError(`constant expression nests too deeply: ${text}`);
  const toks = text.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[-+*/()]/g) ?? [];
  let p = 0;
  const primary = (): number => {
    const t = toks[p++];
    if (t === undefined) throw new GenAttrError(`incomplete constant expression: ${text}`);
    if (t === '(') { const v = sum(); if (toks[p++] !== ')') throw new GenAttrError(`missing ) in ${text}`); return v; }
    if (t === '-') return -primary();
    if (/^\d|^0[xX]/.test(t)) return Number(t.replace(/[uUlL]+$/, ''));
    const d = defines.get(t);
    if (d === undefined) throw new GenAttrError(`unknown constant ${t} in ${text}`);
    return evalConst(d, defines, depth + 1);
  };
  const product = (): number => {
    let v = primary();
    while (toks[p] === '*' || toks[p] === '/') v = toks[p++] === '*' ? v * primary() : Math.trunc(v / primary());
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (toks[p] === '+' || toks[p] === '-') v = toks[p++] === '+' ? v + product() : v - product();
    return v;
  };
  const shift = (): number => {
    let v = sum();
    while (toks[p] === '<<' || toks[p] === '>>') v = toks[p++] === '<<' ? v << sum() : v >> sum();
    return v;
  };
  const v = shift();
  if (p !== toks.length) throw new GenAttrError(`cannot evaluate constant expression: ${text}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Declarations

interface Aggregate { isUnion: boolean; members: Member[]; align: number; comment?: string }
type Member =
  | { kind: 'scalar'; type: string; name?: string; dims: number[]; bits?: number; line: number }
  | { kind: 'agg'; agg: Aggregate; name?: string; line: number };

class Parser {
  p = 0;
  constructor(readonly toks: Token[], readonly defines: Map<string, string>) {}

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
      if (t[i].text === keyword && t[i + 1].text === name && t[i + 2].text === '{') return i;
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
      if (m) align = Math.max(align, evalConst(m[1], this.defines));
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
      out.push({ kind: 'scalar', type, name, dims, bits, line: first.line });
      const t = this.next();
      if (t.text === ';') return out;
      if (t.text !== ',') throw new GenAttrError(`line ${t.line}: expected ';' or ',', found '${t.text}'`);
      name = this.next().text;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Layout

export interface GenField { path: string; offset: number; size: number; type: string; count?: number; bitOffset?: number; bits?: number }
export interface GenLayout { size: number; align: number; fields: GenField[] }

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export function layout(agg: Aggregate): GenLayout {
  const fields: GenField[] = [];
  let align = Math.max(1, agg.align);
  let bitPos = 0; // struct: next free bit
  let size = 0; // union: largest member
  const place = (bytes: number, a: number): number => {
    if (agg.isUnion) return 0;
    const off = alignUp(Math.ceil(bitPos / 8), a);
    bitPos = (off + bytes) * 8;
    return off;
  };
  for (const m of agg.members) {
    if (m.kind === 'agg') {
      const inner = layout(m.agg);
      align = Math.max(align, inner.align);
      const off = place(inner.size, inner.align);
      size = Math.max(size, inner.size);
      for (const f of inner.fields) fields.push({ ...f, path: m.name ? `${m.name}.${f.path}` : f.path, offset: f.offset + off });
      continue;
    }
    const [s, a] = SCALARS[m.type];
    if (m.bits !== undefined) {
      const unit = s * 8;
      if (m.bits > unit) throw new GenAttrError(`line ${m.line}: bit-field wider than its type`);
      if (m.name) align = Math.max(align, a);
      if (agg.isUnion) {
        size = Math.max(size, s);
        if (m.name && m.bits > 0) fields.push({ path: m.name, offset: 0, size: s, type: m.type, bitOffset: 0, bits: m.bits });
        continue;
      }
      if (m.bits === 0 || Math.floor(bitPos / unit) !== Math.floor((bitPos + m.bits - 1) / unit)) bitPos = alignUp(bitPos, unit);
      if (m.name) fields.push({ path: m.name, offset: Math.floor(bitPos / unit) * s, size: s, type: m.type, bitOffset: bitPos % unit, bits: m.bits });
      bitPos += m.bits;
      continue;
    }
    const count = m.dims.reduce((x, y) => x * y, 1);
    align = Math.max(align, a);
    const off = place(s * count, a);
    size = Math.max(size, s * count);
    if (m.name) fields.push({ path: m.name, offset: off, size: s * count, type: m.type, ...(m.dims.length ? { count } : {}) });
  }
  const raw = agg.isUnion ? size : Math.ceil(bitPos / 8);
  return { size: alignUp(raw, align), align, fields };
}

// ---------------------------------------------------------------------------------------------
// Generation

export interface Generated { attrSize: number; attr: Map<string, GenLayout>; structs: Map<string, GenLayout> }

export function computeLayouts(header: string): Generated {
  const defines = new Map<string, string>();
  const toks = tokenize(header, defines);
  const parser = new Parser(toks, defines);
  const at = parser.find('union', 'bpf_attr');
  if (at < 0) throw new GenAttrError('union bpf_attr not found in the header');
  parser.p = at + 2;
  const attrAgg = parser.body(true);
  const attr = new Map<string, GenLayout>();
  for (const m of attrAgg.members) {
    if (m.kind !== 'agg') throw new GenAttrError(`line ${m.line}: unexpected scalar member of bpf_attr`);
    let name = m.name;
    if (!name) {
      const comment = m.agg.comment ?? '';
      name = ANON_NAMES.find(([re]) => re.test(comment))?.[1];
      const cmd = /BPF_[A-Z_]+[A-Z]/.exec(comment);
      if (!name && cmd) name = cmd[0].slice(4).toLowerCase();
      if (!name) throw new GenAttrError(`line ${m.line}: cannot name an anonymous bpf_attr member (comment: ${comment || 'none'})`);
    }
    if (attr.has(name)) throw new GenAttrError(`line ${m.line}: two bpf_attr members named ${name}`);
    attr.set(name, layout(m.agg));
  }
  const structs = new Map<string, GenLayout>();
  for (const s of INFO_STRUCTS) {
    const pos = parser.find('struct', s);
    if (pos < 0) throw new GenAttrError(`struct ${s} not found in the header`);
    parser.p = pos + 2;
    structs.set(s, layout(parser.body(false)));
  }
  return { attrSize: layout(attrAgg).size, attr, structs };
}

function renderLayout(l: GenLayout, indent: string): string {
  const lines = [`${indent}size: ${l.size},`, `${indent}fields: {`];
  for (const f of l.fields) {
    const key = /^[A-Za-z_]\w*$/.test(f.path) ? f.path : `'${f.path}'`;
    const extra = [
      f.count !== undefined ? `, count: ${f.count}` : '',
      f.bits !== undefined ? `, bitOffset: ${f.bitOffset}, bits: ${f.bits}` : '',
    ].join('');
    lines.push(`${indent}  ${key}: { offset: ${f.offset}, size: ${f.size}, type: '${f.type}'${extra} },`);
  }
  lines.push(`${indent}},`);
  return lines.join('\n');
}

/** The text of src/abi/attr.gen.ts for a header's contents. */
export function generateAttr(header: string): string {
  const g = computeLayouts(header);
  const out: string[] = [
    '// Generated by scripts/gen-attr.ts from uapi linux/bpf.h; do not edit.',
    '// Regenerate: npx tsc -p . && node dist/scripts/gen-attr.js',
    '',
    '/** One field: byte offset and size (whole array for arrays; the storage unit for bit-fields). */',
    'export interface FieldLayout {',
    '  readonly offset: number;',
    '  readonly size: number;',
    '  /** C element type, e.g. `__u32`, `__aligned_u64`, `char`. */',
    '  readonly type: string;',
    '  readonly count?: number;',
    '  readonly bitOffset?: number;',
    '  readonly bits?: number;',
    '}',
    '',
    '/** A struct\'s size and its fields by C access path (`perf_event.bpf_cookie` for named nested members). */',
    'export interface StructLayout {',
    '  readonly size: number;',
    '  readonly fields: { readonly [name: string]: FieldLayout };',
    '}',
    '',
    '/** sizeof(union bpf_attr) in this header. */',
    `export const BPF_ATTR_SIZE = ${g.attrSize};`,
    '',
    '/** The member structs of union bpf_attr, named as in the header (anonymous ones after the command they serve). */',
    'export const attr = {',
  ];
  for (const [name, l] of g.attr) out.push(`  ${name}: {`, renderLayout(l, '    '), '  },');
  out.push('} as const satisfies Record<string, StructLayout>;', '');
  out.push('/** Info and record structs passed by pointer (OBJ_GET_INFO_BY_FD, func/line info). */');
  out.push('export const structs = {');
  for (const [name, l] of g.structs) out.push(`  ${name}: {`, renderLayout(l, '    '), '  },');
  out.push('} as const satisfies Record<string, StructLayout>;', '');
  return out.join('\n');
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const header = argv.find((a) => !a.startsWith('--')) ?? DEFAULT_HEADER;
  const text = generateAttr(readFileSync(header, 'utf8'));
  if (check) {
    let current = '';
    try { current = readFileSync(OUTPUT_PATH, 'utf8'); } catch { /* missing counts as different */ }
    if (current !== text) { console.error(`${OUTPUT_PATH} is out of date with ${header}`); return 1; }
    console.log(`${OUTPUT_PATH} is up to date`);
    return 0;
  }
  writeFileSync(OUTPUT_PATH, text);
  console.log(`wrote ${OUTPUT_PATH} from ${header}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`gen-attr: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
