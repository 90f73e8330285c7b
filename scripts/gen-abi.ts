/**
 * Generates the kernel ABI tables in src/abi/*.gen.ts from the uapi headers:
 *   - helpers.gen.ts: every helper of the FN() mapper (id, name) with its C prototype(s) from
 *     the doc comment, parsed into return and argument types;
 *   - enums.gen.ts:   every named enum of linux/bpf.h (bpf_cmd, bpf_prog_type, xdp_action, …);
 *   - consts.gen.ts:  object-like #defines and anonymous-enum members of linux/bpf_common.h and
 *     linux/bpf.h (opcodes, BPF_PSEUDO_*, BPF_F_*, …) plus XDP_FLAGS_* / XDP_ATTACHED_* of
 *     linux/if_link.h.
 * Facts newer than the installed header come from scripts/uapi-supplement.h (see its rules):
 * its enum members are spliced into the header's enums ahead of their sentinels, its constants
 * added; entries the header has must agree with it, and new ones are marked with their version.
 *
 * Usage: node dist/scripts/gen-abi.js [path/to/linux/bpf.h] [--out DIR] [--check] [--no-supplement]
 * (default /usr/include/linux/bpf.h; bpf_common.h and if_link.h are read from the same folder).
 * `--check` writes nothing and exits 1 when a committed file differs from what would be written.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DEFAULT_HEADER = '/usr/include/linux/bpf.h';
/** Newer uapi facts merged over the header (committed next to this script). */
export const SUPPLEMENT_PATH = fileURLToPath(new URL('../../scripts/uapi-supplement.h', import.meta.url));

export interface AbiHeaders {
  /** Text of linux/bpf.h. */
  bpf: string;
  /** Text of linux/bpf_common.h. */
  common: string;
  /** Text of linux/if_link.h (only its XDP_* constants are used); '' to skip. */
  ifLink: string;
  /** Text of scripts/uapi-supplement.h; absent or '' for the header alone. */
  supplement?: string;
}

/** A parsed C prototype of one helper (the doc comment may list several for one helper). */
export interface ProtoSig {
  ret: string;
  args: { type: string; name: string }[];
  variadic: boolean;
}

export interface EnumDecl {
  name: string | null;
  members: [string, bigint][];
}

/** Thrown for a header the generator cannot make sense of; names the construct. */
export class HeaderParseError extends Error {}

// ---------------------------------------------------------------- C text handling

/** Removes comments and joins backslash-continued lines (line count is not preserved). */
function stripC(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '').replace(/\\\r?\n/g, ' ');
}

/** Evaluates an integer constant expression of a uapi header with bigint arithmetic. */
export function evalCExpr(expr: string, symbols: ReadonlyMap<string, bigint>): bigint | null {
  const tokens = expr.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[()|&^+\-*~]/g);
  if (!tokens || tokens.join('') !== expr.replace(/\s+/g, '')) return null;
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  // Binary operators by C precedence (higher number binds tighter).
  const prec: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6 };
  const primary = (): bigint | null => {
    const t = tokens[pos++];
    if (t === undefined) return null;
    if (t === '(') {
      const v = binary(0);
      if (tokens[pos++] !== ')') return null;
      return v;
    }
    if (t === '-' || t === '~' || t === '+') {
      const v = primary();
      if (v === null) return null;
      return t === '-' ? -v : t === '+' ? v : ~v;
    }
    if (/^\d|^0[xX]/.test(t)) return BigInt(t.replace(/[uUlL]+$/, ''));
    return symbols.get(t) ?? null;
  };
  const binary = (min: number): bigint | null => {
    let left = primary();
    while (left !== null) {
      const op = peek();
      const p = op === undefined ? undefined : prec[op];
      if (p === undefined || p <= min) break;
      pos++;
      const right = binary(p);
      if (right === null) return null;
      left = op === '|' ? left | right : op === '^' ? left ^ right : op === '&' ? left & right
        : op === '<<' ? left << right : op === '>>' ? left >> right : op === '+' ? left + right
        : op === '-' ? left - right : left * right;
    }
    return left;
  };
  const v = binary(0);
  return v !== null && pos === tokens.length ? v : null;
}

interface Decl { at: number; kind: 'define' | 'enum'; name: string | null; text: string }

/** Collects object-like #defines and enums in source order and evaluates them. */
function parseConstants(text: string): { defines: Map<string, bigint>; enums: EnumDecl[]; hex: Set<string> } {
  const src = stripC(text);
  const decls: Decl[] = [];
  for (const m of src.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)(\(?)([^\n]*)$/gm)) {
    if (m[2] === '(') continue; // function-like macro
    decls.push({ at: m.index ?? 0, kind: 'define', name: m[1]!, text: m[3]!.trim() });
  }
  for (const m of src.matchAll(/\benum\s+(\w+\s*)?\{([^}]*)\}/g)) {
    decls.push({ at: m.index ?? 0, kind: 'enum', name: m[1]?.trim() ?? null, text: m[2]! });
  }
  decls.sort((a, b) => a.at - b.at);
  const symbols = new Map<string, bigint>();
  const defines = new Map<string, bigint>();
  const enums: EnumDecl[] = [];
  const pending: Decl[] = [];
  // Names whose header spelling is hex or a shift are printed in hex (opcodes, flags).
  const hex = new Set<string>();
  const style = (name: string, expr: string): void => { if (/0x|<</i.test(expr)) hex.add(name); };
  for (const d of decls) {
    if (d.kind === 'define') {
      const v = d.text === '' ? null : evalCExpr(d.text, symbols);
      if (v === null) pending.push(d);
      else { symbols.set(d.name!, v); defines.set(d.name!, v); style(d.name!, d.text); }
      continue;
    }
    // bpf_func_id is built by the FN() mapper macro: parseHelperIds reads it instead.
    if (d.name === 'bpf_func_id') continue;
    const members: [string, bigint][] = [];
    let next = 0n;
    // A #define may sit inside an enum body (BPF_F_REDIRECT_FLAGS); it is collected as a define.
    const body = d.text.replace(/^[ \t]*#[^\n]*$/gm, '');
    for (const item of body.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^(\w+)\s*(?:=\s*([\s\S]+))?$/.exec(item);
      if (!m) throw new HeaderParseError(`enum ${d.name ?? '(anonymous)'}: cannot parse member '${item}'`);
      const v = m[2] === undefined ? next : evalCExpr(m[2], symbols);
      if (v === null) throw new HeaderParseError(`enum ${d.name ?? '(anonymous)'}: cannot evaluate ${m[1]} = ${m[2]}`);
      members.push([m[1]!, v]);
      if (m[2] !== undefined) style(m[1]!, m[2]);
      symbols.set(m[1]!, v);
      next = v + 1n;
    }
    enums.push({ name: d.name, members });
  }
  // Defines referring to later declarations (MAX_BPF_ATTACH_TYPE): evaluate once everything is known.
  for (const d of pending) {
    const v = d.text === '' ? null : evalCExpr(d.text, symbols);
    if (v !== null) { symbols.set(d.name!, v); defines.set(d.name!, v); style(d.name!, d.text); }
  }
  return { defines, enums, hex };
}

// ---------------------------------------------------------------- helpers

/** Names (without bpf_) and ids of the FN() mapper, in either the ≤6.1 `FN(name)` or the ≥6.2 `FN(name, id, ##ctx)` form. */
export function parseHelperIds(text: string): [string, number][] {
  const src = stripC(text);
  const m = /#\s*define\s+_{2,3}BPF_FUNC_MAPPER\s*\([^)]*\)([^\n]*)/.exec(src);
  if (!m) throw new HeaderParseError('linux/bpf.h: no __BPF_FUNC_MAPPER(FN) macro found');
  const out: [string, number][] = [];
  for (const fn of m[1]!.matchAll(/\bFN\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?(?:,[^)]*)?\)/g)) {
    out.push([fn[1]!, fn[2] === undefined ? out.length : Number(fn[2])]);
  }
  if (out.length === 0) throw new HeaderParseError('linux/bpf.h: __BPF_FUNC_MAPPER lists no FN() entries');
  return out;
}

/** Normalises a C type's spelling: single spaces, `char *`, `struct x **`. */
function normType(t: string): string {
  return t.replace(/\s+/g, ' ').replace(/\s*\*\s*/g, '*').replace(/([^*\s])\*/, '$1 *').trim();
}

/** Parses `long bpf_name(const char *fmt, u32 size, ...)` into name and signature. */
export function parseProto(line: string): { name: string; sig: ProtoSig } {
  const m = /^(.*?)\b(bpf_\w+)\s*\((.*)\)\s*$/.exec(line.trim());
  if (!m) throw new HeaderParseError(`helper prototype '${line.trim()}': not of the form TYPE bpf_NAME(ARGS)`);
  const args: ProtoSig['args'] = [];
  let variadic = false;
  const list = m[3]!.trim();
  if (list !== '' && list !== 'void') {
    for (const raw of list.split(',').map((s) => s.trim())) {
      if (raw === '...') { variadic = true; continue; }
      const a = /^(.*?)(\w+)$/.exec(raw);
      if (!a || a[1]!.trim() === '') throw new HeaderParseError(`helper ${m[2]}: cannot parse argument '${raw}'`);
      args.push({ type: normType(a[1]!), name: a[2]! });
    }
  }
  return { name: m[2]!.slice('bpf_'.length), sig: { ret: normType(m[1]!), args, variadic } };
}

/** Prototypes from the helper doc comment: a ` * PROTO` line followed by ` * \tDescription`. */
export function parseHelperProtos(text: string): Map<string, ProtoSig[]> {
  const lines = text.split('\n');
  const out = new Map<string, ProtoSig[]>();
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^ \* (\S.*\))\s*$/.exec(lines[i]!);
    if (!m || !/^ \*\s+Description\s*$/.test(lines[i + 1]!)) continue;
    const { name, sig } = parseProto(m[1]!);
    const list = out.get(name) ?? [];
    list.push(sig);
    out.set(name, list);
  }
  return out;
}

// ---------------------------------------------------------------- supplement

const SUPPLEMENT_NAME = 'scripts/uapi-supplement.h';
/** Enum sentinels (`__MAX_BPF_ATTACH_TYPE`, 6.1's `MAX_BPF_LINK_TYPE`): counts, not members. */
const SENTINEL = /^_*MAX_/;

/** `since X.Y` markers of a supplement, by the enum member or #define declared on the marked line. */
export function sinceMarks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const v = /\bsince (\d+\.\d+)\b/.exec(line);
    if (!v) continue;
    const name = /^\s*#\s*define\s+(\w+)/.exec(line)?.[1] ?? /^\s*([A-Za-z_]\w*)\s*(?:=|,)/.exec(line)?.[1];
    if (name) out.set(name, v[1]!);
  }
  return out;
}

/** Inserts `members` into enum `name` of (comment-free) header text, ahead of its sentinel. */
function spliceEnum(text: string, name: string, members: [string, bigint][]): string {
  const m = new RegExp(`\\benum\\s+${name}\\s*\\{([^}]*)\\}`).exec(text);
  if (!m) throw new HeaderParseError(`linux/bpf.h: enum ${name} not found`);
  const body = m[1]!;
  const bodyAt = m.index + m[0].indexOf('{') + 1;
  const items = members.map(([n, v]) => `\t${n} = ${v},\n`).join('');
  const s = /(^|,)(\s*)(_*MAX_\w*)\b/.exec(body);
  let at: number;
  let insert = items;
  if (s) at = s.index + s[1]!.length + s[2]!.length;
  else {
    at = body.length;
    if (!/(^|,)\s*$/.test(body)) insert = `,\n${items}`;
  }
  return text.slice(0, bodyAt + at) + insert + text.slice(bodyAt + at);
}

export interface SupplementMerge {
  /** linux/bpf.h without comments, the supplement's members spliced into its enums. */
  bpf: string;
  /** Constants (#defines, anonymous-enum members) the header lacks. */
  consts: Map<string, bigint>;
  /** Named enums the header lacks. */
  enums: EnumDecl[];
  /** Every name the supplement added → the Linux version that introduced it. */
  added: Map<string, string>;
  hex: Set<string>;
}

/**
 * Merges a supplement's enums and constants over linux/bpf.h. Entries the header has must agree
 * with it; the others need a `since` marker and must not reuse a value of their enum.
 */
export function mergeSupplement(bpfText: string, supplement: string): SupplementMerge {
  const header = parseConstants(bpfText);
  const supp = parseConstants(supplement);
  const since = sinceMarks(supplement);
  const added = new Map<string, string>();
  const mark = (n: string): void => {
    const v = since.get(n);
    if (!v) throw new HeaderParseError(`${SUPPLEMENT_NAME}: ${n} is not in linux/bpf.h and has no "since X.Y" comment on its line`);
    added.set(n, v);
  };
  let bpf = stripC(bpfText);
  const enums: EnumDecl[] = [];
  for (const e of supp.enums) {
    if (e.name === null) continue; // constants, below
    const h = header.enums.find((x) => x.name === e.name);
    if (!h) {
      for (const [n] of e.members) mark(n);
      enums.push(e);
      continue;
    }
    const inserts: [string, bigint][] = [];
    for (const [n, v] of e.members) {
      const have = h.members.find(([x]) => x === n);
      if (have) {
        if (have[1] !== v) throw new HeaderParseError(`${SUPPLEMENT_NAME}: enum ${e.name}: ${n} = ${v}, but linux/bpf.h has ${have[1]}`);
        continue;
      }
      const clash = h.members.find(([x, hv]) => hv === v && !SENTINEL.test(x));
      if (clash) throw new HeaderParseError(`${SUPPLEMENT_NAME}: enum ${e.name}: ${n} = ${v} is the value of ${clash[0]} in linux/bpf.h`);
      mark(n);
      inserts.push([n, v]);
    }
    if (inserts.length) bpf = spliceEnum(bpf, e.name, inserts);
  }
  const headerConsts = new Map<string, bigint>(header.defines);
  for (const e of header.enums) if (e.name === null) for (const [n, v] of e.members) headerConsts.set(n, v);
  const consts = new Map<string, bigint>();
  const suppConsts: [string, bigint][] = [...supp.defines];
  for (const e of supp.enums) if (e.name === null) suppConsts.push(...e.members);
  for (const [n, v] of suppConsts) {
    const hv = headerConsts.get(n);
    if (hv !== undefined) {
      if (hv !== v) throw new HeaderParseError(`${SUPPLEMENT_NAME}: ${n} = ${v}, but linux/bpf.h has ${hv}`);
      continue;
    }
    mark(n);
    consts.set(n, v);
  }
  return { bpf, consts, enums, added, hex: supp.hex };
}

// ---------------------------------------------------------------- output

const q = (s: string): string => `'${s}'`;

function num(v: bigint, hex: boolean): string {
  const big = v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER);
  const text = hex && v >= 0n ? `0x${v.toString(16)}` : v.toString();
  return big ? `${text}n` : text;
}

function banner(source: string, what: string): string {
  return `// GENERATED by scripts/gen-abi.ts (npm run gen:abi) from ${source}. Do not edit.\n// ${what}\n`;
}

/** Builds the contents of every generated file, keyed by file name in src/abi/. */
export function generateAbi(h: AbiHeaders): Record<string, string> {
  const sha = (t: string): string => createHash('sha256').update(t).digest('hex').slice(0, 16);
  const supplement = h.supplement ? mergeSupplement(h.bpf, h.supplement) : undefined;
  const source = `uapi linux/bpf.h (sha256 ${sha(h.bpf)}), linux/bpf_common.h, linux/if_link.h${h.supplement ? ` + ${SUPPLEMENT_NAME} (sha256 ${sha(h.supplement)})` : ''}`;
  // Entries from the supplement say which release added them.
  const note = (n: string): string => {
    const v = supplement?.added.get(n);
    return v ? ` // since Linux ${v} (${SUPPLEMENT_NAME})` : '';
  };

  // helpers
  const ids = parseHelperIds(h.bpf);
  const protos = parseHelperProtos(h.bpf);
  const helperLines: string[] = [];
  const names: string[] = [];
  for (const [name, id] of ids) {
    if (name === 'unspec') continue;
    const sigs = protos.get(name);
    if (!sigs) throw new HeaderParseError(`helper ${name} (id ${id}) has no prototype in the doc comment`);
    const sigText = sigs.map((s) => `{ ret: ${q(s.ret)}, args: [${s.args.map((a) => `[${q(a.type)}, ${q(a.name)}]`).join(', ')}]${s.variadic ? ', variadic: true' : ''} }`);
    helperLines.push(`  [${id}, ${q(name)}, [${sigText.join(', ')}]],`);
    names.push(name);
  }
  const helpers = `${banner(source, 'Every helper of the FN() mapper: [id, name without bpf_, C signatures from the doc comment].')}
import type { HelperRow } from './types.js';

export const HELPER_ROWS: readonly HelperRow[] = [
${helperLines.join('\n')}
];

/** Helper names as the kernel spells them without the \`bpf_\` prefix. */
export type HelperName =
${names.map((n) => `  | ${q(n)}`).join('\n')};
`;

  // enums and constants
  const common = parseConstants(h.common);
  const bpf = parseConstants(supplement?.bpf ?? h.bpf);
  const link = h.ifLink ? parseConstants(h.ifLink) : { defines: new Map<string, bigint>(), enums: [] as EnumDecl[], hex: new Set<string>() };
  const isHex = (n: string): boolean => common.hex.has(n) || bpf.hex.has(n) || link.hex.has(n) || (supplement?.hex.has(n) ?? false);
  const consts = new Map<string, bigint>();
  const add = (n: string, v: bigint): void => { if (!n.startsWith('_') && !consts.has(n)) consts.set(n, v); };
  for (const [n, v] of common.defines) add(n, v);
  for (const [n, v] of bpf.defines) add(n, v);
  for (const e of bpf.enums) if (e.name === null) for (const [n, v] of e.members) add(n, v);
  for (const [n, v] of supplement?.consts ?? []) add(n, v);
  for (const [n, v] of link.defines) if (n.startsWith('XDP_')) add(n, v);
  for (const e of link.enums) for (const [n, v] of e.members) if (e.name === null && n.startsWith('XDP_ATTACHED_')) add(n, v);
  const constsText = `${banner(source, 'Object-like #defines and anonymous-enum members (opcodes, BPF_PSEUDO_*, BPF_F_*, XDP_FLAGS_*, …).')}
${[...consts].map(([n, v]) => `export const ${n} = ${num(v, isHex(n))};${note(n)}`).join('\n')}
`;

  const named = [...bpf.enums.filter((e) => e.name !== null), ...(supplement?.enums ?? [])];
  const enumsText = `${banner(source, 'Every named enum of linux/bpf.h except bpf_func_id (see helpers.gen.ts); sentinels (__MAX_…, MAX_…) left out.')}
${named.map((e) => `export const ${e.name} = {\n${e.members.filter(([n]) => !n.startsWith('_') && !SENTINEL.test(n)).map(([n, v]) => `  ${n}: ${num(v, isHex(n))},${note(n)}`).join('\n')}\n} as const;\n`).join('\n')}`;

  return { 'helpers.gen.ts': helpers, 'consts.gen.ts': constsText, 'enums.gen.ts': enumsText };
}

/**
 * Reads bpf.h and its siblings, and the supplement (`null`: none); missing if_link.h is tolerated
 * (XDP_FLAGS_* are then absent).
 */
export function readHeaders(bpfPath: string = DEFAULT_HEADER, supplementPath: string | null = SUPPLEMENT_PATH): AbiHeaders {
  const dir = dirname(bpfPath);
  const ifLink = join(dir, 'if_link.h');
  return {
    bpf: readFileSync(bpfPath, 'utf8'),
    common: readFileSync(join(dir, 'bpf_common.h'), 'utf8'),
    ifLink: existsSync(ifLink) ? readFileSync(ifLink, 'utf8') : '',
    supplement: supplementPath === null ? '' : readFileSync(supplementPath, 'utf8'),
  };
}

/** Folder of the committed generated files (src/abi relative to the repository root). */
export const ABI_DIR = fileURLToPath(new URL('../../src/abi/', import.meta.url));

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 ? argv[outIdx + 1] : ABI_DIR;
  const header = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--out') ?? DEFAULT_HEADER;
  if (!out || !existsSync(header)) {
    process.stderr.write(`gen-abi: header ${header} not found (install linux-libc-dev)\n`);
    return 1;
  }
  const files = generateAbi(readHeaders(header, argv.includes('--no-supplement') ? null : SUPPLEMENT_PATH));
  let stale = 0;
  for (const [name, text] of Object.entries(files)) {
    const path = join(out, name);
    if (check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) { stale++; process.stderr.write(`gen-abi: ${path} is out of date\n`); }
    } else {
      writeFileSync(path, text);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return stale ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
