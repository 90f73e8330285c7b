/** `readelf --btf`: the .BTF type table in the raw format of `bpftool btf dump file`. */
import type { Btf } from '../btf/btf.js';
import { LINKAGE_NAMES, type BtfType } from '../btf/types.js';

const anon = (n: string): string => `'${n || '(anon)'}'`;
const INT_ENCODING: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };

function linkage(n: number): string {
  return LINKAGE_NAMES[n] ?? `(unknown)`;
}

function typeLines(btf: Btf, t: BtfType): string[] {
  const head = `[${t.id}] ${t.kind} ${anon(t.name)}`;
  switch (t.kind) {
    case 'INT':
      return [`${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${INT_ENCODING[t.encoding] ?? '(none)'}`];
    case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
      return [`${head} type_id=${t.type}`];
    case 'ARRAY':
      return [`${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`];
    case 'STRUCT': case 'UNION':
      return [`${head} size=${t.size} vlen=${t.members.length}`, ...t.members.map((m) =>
        `\t${anon(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitSize ? ` bitfield_size=${m.bitSize}` : ''}`)];
    case 'ENUM': case 'ENUM64':
      return [`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
        ...t.values.map((v: { name: string; value: number | bigint }) => `\t${anon(v.name)} val=${v.value}`)];
    case 'FWD':
      return [`${head} fwd_kind=${t.union ? 'union' : 'struct'}`];
    case 'FUNC':
      return [`${head} type_id=${t.type} linkage=${linkage(t.linkage)}`];
    case 'FUNC_PROTO':
      return [`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`, ...t.params.map((p) => `\t${anon(p.name)} type_id=${p.type}`)];
    case 'VAR':
      return [`${head} type_id=${t.type}, linkage=${linkage(t.linkage)}`];
    case 'DATASEC':
      return [`${head} size=${t.size} vlen=${t.vars.length}`, ...t.vars.map((v) => {
        const vt = btf.type(v.type);
        return `\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${vt.kind} ${anon(vt.name)})`;
      })];
    case 'FLOAT':
      return [`${head} size=${t.size}`];
    case 'DECL_TAG':
      return [`${head} type_id=${t.type} component_idx=${t.componentIdx}`];
  }
}

export function renderBtf(btf: Btf): string {
  const lines: string[] = [];
  for (const t of btf.types) lines.push(...typeLines(btf, t));
  return lines.length ? `${lines.join('\n')}\n` : '';
}
