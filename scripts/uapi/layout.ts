/**
 * C layout of a parsed struct or union with the x86-64/BPF rules: natural alignment, bit-fields
 * packed into storage units of their type, nested anonymous members flattened, named ones as
 * `outer.inner`, size rounded up to the alignment.
 */
import { GenAttrError } from './errors.js';
import { SCALARS, type Aggregate } from './read-structs.js';

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
    const [s, a] = SCALARS[m.type]!;
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
