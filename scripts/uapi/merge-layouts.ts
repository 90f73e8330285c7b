/**
 * The supplement's layouts merged over the header's (gen-attr), field by field: fields both have
 * must agree (offset, size, type, count, bits); new ones need a `since X.Y` comment on their line.
 */
import { GenAttrError } from './errors.js';
import { SUPPLEMENT_NAME } from './files.js';
import type { GenField, GenLayout } from './layout.js';
import type { Generated } from './read-layouts.js';

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
