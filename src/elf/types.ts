/** The shapes the ELF reader returns. Section data are views into the input bytes (no copies). */

export interface ElfHeader {
  /** e_ident[EI_OSABI] and [EI_ABIVERSION]. */
  osabi: number;
  abiVersion: number;
  type: number;
  machine: number;
  version: number;
  entry: bigint;
  phoff: bigint;
  shoff: number;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  /** Number of section headers (resolved through section 0 when e_shnum is 0). */
  shnum: number;
  /** Index of the section-name string table (resolved through section 0 for SHN_XINDEX). */
  shstrndx: number;
}

export interface ElfSection {
  index: number;
  name: string;
  /** sh_name: offset of the name in the section-name string table. */
  nameOffset: number;
  /** File offset of this section's header. */
  headerOffset: number;
  type: number;
  /** Low 32 bits of sh_flags (every defined flag lives there); `flags64` has all 64. */
  flags: number;
  flags64: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes (a view into the file); empty for SHT_NOBITS and SHT_NULL. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  nameOffset: number;
  value: number;
  size: number;
  /** st_info & 0xf (STT_*). */
  type: number;
  /** st_info >> 4 (STB_*). */
  bind: number;
  other: number;
  /** st_other & 3 (STV_*). */
  visibility: number;
  /** st_shndx as stored: a section index or SHN_UNDEF/SHN_ABS/SHN_COMMON. */
  shndx: number;
}

export interface ElfRelocation {
  /** r_offset: byte offset in the target section. */
  offset: number;
  /** ELF64_R_TYPE(r_info). */
  type: number;
  /** ELF64_R_SYM(r_info): index into the symbol table. */
  symbol: number;
  /** r_addend for SHT_RELA, 0 for SHT_REL. */
  addend: number;
  /** File offset of this entry. */
  fileOffset: number;
}

export interface ElfRelocSection {
  /** Index of the SHT_REL/SHT_RELA section. */
  index: number;
  /** Index of the section the relocations apply to (sh_info). */
  target: number;
  /** Index of the symbol table they refer to (sh_link). */
  symtab: number;
  rela: boolean;
  entries: ElfRelocation[];
}

export interface ElfFile {
  bytes: Uint8Array;
  header: ElfHeader;
  sections: ElfSection[];
  /** Index of the SHT_SYMTAB section, or -1 when there is none. */
  symtabIndex: number;
  /** Entries of the SHT_SYMTAB (index 0 is the null symbol), empty when there is none. */
  symbols: ElfSymbol[];
  relocations: ElfRelocSection[];
}
