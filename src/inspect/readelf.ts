/**
 * `tsbpf readelf`: section headers, relocations and symbols exactly as `llvm-readelf` (LLVM 14)
 * prints them for a BPF object, plus the .BTF types as `bpftool btf dump file` lists them.
 */
import { parseBtf } from '../btf/reader.js';
import { readElf } from '../elf/reader.js';
import type { ElfFile } from '../elf/types.js';
import { renderBtf } from './readelf-btf.js';
import { renderRelocations } from './readelf-relocs.js';
import { renderSections } from './readelf-sections.js';
import { renderSymbols } from './readelf-symbols.js';

export interface ReadelfOptions {
  sections?: boolean;
  relocations?: boolean;
  symbols?: boolean;
  btf?: boolean;
}

/** Renders the requested tables, in llvm-readelf's order (sections, relocations, symbols), then BTF. */
export function renderReadelf(bytes: Uint8Array, opts: ReadelfOptions): string {
  const elf = readElf(bytes);
  return renderReadelfFile(elf, opts);
}

export function renderReadelfFile(elf: ElfFile, opts: ReadelfOptions): string {
  let out = '';
  if (opts.sections) out += renderSections(elf);
  if (opts.relocations) out += renderRelocations(elf);
  if (opts.symbols) out += renderSymbols(elf);
  if (opts.btf) {
    const sec = elf.sections.find((s) => s.name === '.BTF');
    if (out) out += '\n';
    out += sec ? renderBtf(parseBtf(sec.data, { section: '.BTF', fileOffset: sec.offset })) : 'no .BTF section in this file\n';
  }
  return out;
}

export { renderSections, sectionFlagLetters, sectionTypeName } from './readelf-sections.js';
export { renderSymbols } from './readelf-symbols.js';
export { renderRelocations } from './readelf-relocs.js';
export { renderBtf } from './readelf-btf.js';
