/** Small lookups over a parsed ELF file, shared by the object model and the renderers. */
import { STT_SECTION } from './constants.js';
import type { ElfFile, ElfSection, ElfSymbol } from './types.js';

/** The first section with this name. */
export function findSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name);
}

/** A symbol's display name: STT_SECTION symbols without a name take their section's name (as llvm-readelf shows them). */
export function sectionSymbolName(elf: ElfFile, sym: ElfSymbol): string {
  if (sym.type === STT_SECTION && sym.name === '') return elf.sections[sym.shndx]?.name ?? '';
  return sym.name;
}

/** Symbols defined in section `index`, sorted by value. */
export function symbolsInSection(elf: ElfFile, index: number): ElfSymbol[] {
  return elf.symbols.filter((s) => s.shndx === index).sort((a, b) => a.value - b.value);
}
