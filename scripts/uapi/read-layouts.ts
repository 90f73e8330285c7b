/**
 * The layouts gen-attr generates: `union bpf_attr`'s member structs (anonymous ones named after
 * the command in their opening comment) and the info structs, from a header or a supplement.
 */
import { tokenize } from './c-tokens.js';
import { GenAttrError } from './errors.js';
import { layout, type GenLayout } from './layout.js';
import { Parser } from './read-structs.js';

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

export interface Generated { attrSize: number; attr: Map<string, GenLayout>; structs: Map<string, GenLayout> }

/** The layouts of a uapi header. */
export function computeLayouts(header: string): Generated {
  const g = parseLayouts(header, false);
  // A header's own comments may say "since": only supplement fields carry a version.
  for (const l of [...g.attr.values(), ...g.structs.values()]) for (const f of l.fields) delete f.since;
  return g;
}

/** The layouts a supplement declares (fields it adds carry `since`). */
export function supplementLayouts(text: string): Generated {
  return parseLayouts(text, true);
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
