/**
 * Generates src/abi/attr.gen.ts: the field offsets and sizes of `union bpf_attr`'s member structs
 * and of the info structs (`bpf_prog_info`, `bpf_map_info`, `bpf_link_info`, `bpf_btf_info`,
 * `bpf_func_info`, `bpf_line_info`), computed by parsing the C declarations of the uapi header
 * and laying them out with the x86-64/BPF C rules (natural alignment, `__aligned_u64`, bit-fields,
 * nested anonymous structs/unions flattened, named ones as `outer.inner`).
 *
 * Layouts newer than the installed header come from scripts/uapi-supplement.h: its `union
 * bpf_attr` members and info structs are laid out with the same rules and merged field by field
 * (fields both have must agree; new ones need a `since X.Y` comment on their line, repeated in
 * the output).
 *
 * Usage: node dist/scripts/gen-attr.js [path/to/linux/bpf.h] [--check] [--no-supplement]
 * (default header /usr/include/linux/bpf.h; --check compares instead of writing).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFAULT_HEADER = '/usr/include/linux/bpf.h';
export const OUTPUT_PATH = fileURLToPath(new URL('../../src/abi/attr.gen.ts', import.meta.url));
export const SUPPLEMENT_PATH = fileURLToPath(new URL('../../scripts/uapi-supplement.h', import.meta.url));
const SUPPLEMENT_NAME = 'scripts/uapi-supplement.h';

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
  | { kind: 'scalar'; type: string; name?: string; dims: number[]; bits?: number; line: number; since?: string }
  | { kind: 'agg'; agg: Aggregate; name?: string; line: number };

class Parser {
  p = 0;
  /** `since X.Y` comments by line (supplement fields name the release that added them). */
  readonly since = new Map<number, string>();
  constructor(readonly toks: Token[], readonly defines: Map<string, string>) {
    for (const t of toks) {
      const m = t.kind === 'comment' ? /\bsince (\d+\.\d+)\b/.exec(t.text) : null;
      if (m) this.since.set(t.line, m[1]);
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
      out.push({ kind: 'scalar', type, name, dims, bits, line: first.line, since: this.since.get(first.line) });
      const t = this.next();
      if (t.text === ';') return out;
      if (t.text !== ',') throw new GenAttrError(`line ${t.line}: expected ';' or ',', found '${t.text}'`);
      name = this.next().text;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Layout

export interface GenField {
  path: string; offset: number; size: number; type: string; count?: number; bitOffset?: number; bits?: number;
  /** Supplement fields: the Linux release that added the field. */
  since?: string;
}
export interface GenLayout { size: number; align: number; fields: GenField[] }

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const since = (m: { since?: string }): { since?: string } => (m.since ? { since: m.since } : {});

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
        if (m.name && m.bits > 0) fields.push({ path: m.name, offset: 0, size: s, type: m.type, bitOffset: 0, bits: m.bits, ...since(m) });
        continue;
      }
      if (m.bits === 0 || Math.floor(bitPos / unit) !== Math.floor((bitPos + m.bits - 1) / unit)) bitPos = alignUp(bitPos, unit);
      if (m.name) fields.push({ path: m.name, offset: Math.floor(bitPos / unit) * s, size: s, type: m.type, bitOffset: bitPos % unit, bits: m.bits, ...since(m) });
      bitPos += m.bits;
      continue;
    }
    const count = m.dims.reduce((x, y) => x * y, 1);
    align = Math.max(align, a);
    const off = place(s * count, a);
    size = Math.max(size, s * count);
    if (m.name) fields.push({ path: m.name, offset: off, size: s * count, type: m.type, ...(m.dims.length ? { count } : {}), ...since(m) });
  }
  const raw = agg.isUnion ? size : Math.ceil(bitPos / 8);
  return { size: alignUp(raw, align), align, fields };
}

// ---------------------------------------------------------------------------------------------
// Generation

export interface Generated { attrSize: number; attr: Map<string, GenLayout>; structs: Map<string, GenLayout> }

export function computeLayouts(header: string): Generated {
  const g = parseLayouts(header, false);
  // A header's own comments may say "since": only supplement fields carry a version.
  for (const l of [...g.attr.values(), ...g.structs.values()]) for (const f of l.fields) delete f.since;
  return g;
}

/**
 * Lays out `union bpf_attr` and the info structs of `text`. `partial` (a supplement): both are
 * optional, and only the info structs the generator knows may appear.
 */
function parseLayouts(text: string, partial: boolean): Generated {
  const defines = new Map<string, string>();
  const toks = tokenize(text, defines);
  const parser = new Parser(toks, defines);
  const attr = new Map<string, GenLayout>();
  let attrSize = 0;
  const at = parser.find('union', 'bpf_attr');
  if (at < 0 && !partial) throw new GenAttrError('union bpf_attr not found in the header');
  if (at >= 0) {
    parser.p = at + 2;
    const attrAgg = parser.body(true);
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
    attrSize = layout(attrAgg).size;
  }
  const structs = new Map<string, GenLayout>();
  for (const s of INFO_STRUCTS) {
    const pos = parser.find('struct', s);
    if (pos < 0) {
      if (partial) continue;
      throw new GenAttrError(`struct ${s} not found in the header`);
    }
    parser.p = pos + 2;
    structs.set(s, layout(parser.body(false)));
  }
  if (partial) {
    for (let i = 0; i + 2 < toks.length; i++) {
      if (toks[i]!.text === 'struct' && toks[i + 1]!.kind === 'id' && toks[i + 2]!.text === '{' && !INFO_STRUCTS.includes(toks[i + 1]!.text)) {
        throw new GenAttrError(`line ${toks[i]!.line}: struct ${toks[i + 1]!.text} is not one of the structs laid out (${INFO_STRUCTS.join(', ')})`);
      }
    }
  }
  return { attrSize, attr, structs };
}

/** The layouts a supplement declares (fields it adds carry `since`). */
export function supplementLayouts(text: string): Generated {
  return parseLayouts(text, true);
}

function sameField(a: GenField, b: GenField): boolean {
  return a.offset === b.offset && a.size === b.size && a.type === b.type && a.count === b.count && a.bitOffset === b.bitOffset && a.bits === b.bits;
}

function mergeLayout(where: string, h: GenLayout | undefined, s: GenLayout): GenLayout {
  const fields = h ? h.fields.map((f) => ({ ...f })) : [];
  for (const f of s.fields) {
    const have = fields.find((x) => x.path === f.path);
    if (have) {
      if (!sameField(have, f)) {
        throw new GenAttrError(`${SUPPLEMENT_NAME}: ${where}.${f.path} is at offset ${f.offset} (size ${f.size}, ${f.type}) there, but at offset ${have.offset} (size ${have.size}, ${have.type}) in linux/bpf.h`);
      }
      continue;
    }
    if (!f.since) throw new GenAttrError(`${SUPPLEMENT_NAME}: ${where}.${f.path} is not in linux/bpf.h and has no "since X.Y" comment on its line`);
    fields.push(f);
  }
  return { size: Math.max(h?.size ?? 0, s.size), align: Math.max(h?.align ?? 1, s.align), fields };
}

/** The header's layouts with a supplement's merged in (see the file comment). */
export function mergeLayouts(header: Generated, supp: Generated): Generated {
  const attr = new Map(header.attr);
  for (const [name, l] of supp.attr) attr.set(name, mergeLayout(`bpf_attr.${name}`, header.attr.get(name), l));
  const structs = new Map(header.structs);
  for (const [name, l] of supp.structs) structs.set(name, mergeLayout(`struct ${name}`, header.structs.get(name), l));
  return { attrSize: Math.max(header.attrSize, supp.attrSize), attr, structs };
}

function renderLayout(l: GenLayout, indent: string): string {
  const lines = [`${indent}size: ${l.size},`, `${indent}fields: {`];
  for (const f of l.fields) {
    const key = /^[A-Za-z_]\w*$/.test(f.path) ? f.path : `'${f.path}'`;
    const extra = [
      f.count !== undefined ? `, count: ${f.count}` : '',
      f.bits !== undefined ? `, bitOffset: ${f.bitOffset}, bits: ${f.bits}` : '',
    ].join('');
    const note = f.since ? ` // since Linux ${f.since} (${SUPPLEMENT_NAME})` : '';
    lines.push(`${indent}  ${key}: { offset: ${f.offset}, size: ${f.size}, type: '${f.type}'${extra} },${note}`);
  }
  lines.push(`${indent}},`);
  return lines.join('\n');
}

/** The installed supplement's text, or null when there is none. */
export function readSupplement(path: string = SUPPLEMENT_PATH): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/**
 * The text of src/abi/attr.gen.ts for a header's contents, with scripts/uapi-supplement.h merged
 * in (`supplement`: its text; by default the committed file; null for the header alone).
 */
export function generateAttr(header: string, supplement: string | null = readSupplement()): string {
  const g = supplement ? mergeLayouts(computeLayouts(header), supplementLayouts(supplement)) : computeLayouts(header);
  const out: string[] = [
    `// Generated by scripts/gen-attr.ts from uapi linux/bpf.h${supplement ? ` and ${SUPPLEMENT_NAME}` : ''}; do not edit.`,
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
  const text = generateAttr(readFileSync(header, 'utf8'), argv.includes('--no-supplement') ? null : readSupplement());
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
