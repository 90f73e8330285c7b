/**
 * The supplement's enums and constants merged over linux/bpf.h (gen-abi). Entries the header has
 * must agree with it; the others need a `since` marker and must not reuse a value of their enum.
 * New members of a header enum are spliced into its text ahead of the sentinel, so C's rules
 * renumber the sentinel (and #defines naming it) as the newer header does.
 */
import { stripC } from './c-text.js';
import { HeaderParseError } from './errors.js';
import { SUPPLEMENT_NAME } from './files.js';
import { parseConstants, type EnumDecl } from './read-constants.js';
import { sinceMarks } from './since.js';

/** Enum sentinels (`__MAX_BPF_ATTACH_TYPE`, 6.1's `MAX_BPF_LINK_TYPE`): counts, not members. */
export const SENTINEL = /^_*MAX_/;

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

/** Merges a supplement's enums and constants over linux/bpf.h (see the file comment). */
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
