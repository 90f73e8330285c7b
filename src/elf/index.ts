/** ELF64 reader and writer for BPF objects. */
export * from './constants.js';
export { ElfError, hex } from './error.js';
export type { ElfFile, ElfHeader, ElfSection, ElfSymbol, ElfRelocation, ElfRelocSection } from './types.js';
export { readElf, type ReadElfOptions } from './reader.js';
export { writeElf, type ElfSpec, type ElfSectionSpec, type ElfSymbolSpec, type ElfRelocSpec } from './writer.js';
export { StringTable } from './strings.js';
export { findSection, sectionSymbolName, symbolsInSection } from './query.js';
