/**
 * Compilers write DATASEC sizes and variable offsets as 0 and leave them to the loader (the
 * final values are the ELF section sizes and symbol values). This fills them in on a copy of
 * the .BTF bytes and sorts each DATASEC's variables by offset, as the kernel requires.
 */
import type { Btf } from '../btf/btf.js';
import type { ElfFile } from '../elf/types.js';
import { objectSymbols, symbolsByName } from './maps.js';

export function fixupDatasecs(btf: Btf, elf: ElfFile): Uint8Array {
  const out = new Uint8Array(btf.bytes);
  const v = new DataView(out.buffer);
  const sections = new Map<string, ElfFile['sections'][number]>();
  for (const s of elf.sections) if (!sections.has(s.name)) sections.set(s.name, s);
  for (const t of btf.types) {
    if (t.kind !== 'DATASEC') continue;
    const sec = sections.get(t.name);
    if (!sec) continue; // .kconfig/.ksyms: sized by the loader from its externs
    const syms = symbolsByName(objectSymbols(elf, sec));
    const vars = t.vars.map((x) => {
      const vt = btf.type(x.type);
      const sym = vt.kind === 'VAR' ? syms.get(vt.name) : undefined;
      return { type: x.type, offset: sym ? sym.value : x.offset, size: x.size };
    });
    vars.sort((a, b) => a.offset - b.offset);
    v.setUint32(t.offset + 8, sec.size, true);
    vars.forEach((x, i) => {
      const at = t.offset + 12 + i * 12;
      v.setUint32(at, x.type, true);
      v.setUint32(at + 4, x.offset, true);
      v.setUint32(at + 8, x.size, true);
    });
  }
  return out;
}
