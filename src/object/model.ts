/**
 * The kernel-independent description of a BPF object: what `parseObject` returns and (for the
 * fields marked "emit input") what `emitObject` consumes. Offsets into programs are instruction
 * indexes (8-byte slots; an `ld_imm64` takes two).
 */
import type { Btf } from '../btf/btf.js';
import type { BtfExt } from '../btf/ext.js';
import type { ElfFile } from '../elf/types.js';
import type { Insn, RawSlot } from '../insn/types.js';
import type { SectionProgramType } from './section-types.js';

/** A relocation of one instruction, classified by what it refers to. */
export type ProgramReloc =
  /** `ld_imm64` of a map (BTF-defined or legacy): becomes BPF_PSEUDO_MAP_FD at load. */
  | { kind: 'map'; insn: number; map: string }
  /** `ld_imm64` of global data: a data map (`.rodata`, `.data`, `.bss`, …) plus a byte offset (BPF_PSEUDO_MAP_VALUE). */
  | { kind: 'data'; insn: number; section: string; offset: number; /** The variable symbol, when the relocation names one. */ symbol?: string }
  /** bpf-to-bpf call (`call` with src_reg 1) of a function, by name. */
  | { kind: 'call'; insn: number; target: string }
  /** `ld_imm64` of a function's address (BPF_PSEUDO_FUNC, e.g. a bpf_loop callback). */
  | { kind: 'func'; insn: number; target: string }
  /** Reference to an undefined (extern) symbol: a kfunc call or a __ksym/__kconfig variable. */
  | { kind: 'extern'; insn: number; name: string; call: boolean };

export interface FuncInfoRecord {
  /** Instruction index within the function. */
  insn: number;
  typeId: number;
}

export interface LineInfoRecord {
  insn: number;
  fileName: string;
  line: string;
  lineNum: number;
  column: number;
  /** Offsets of the two strings in the object's .BTF string section (as the kernel wants them); absent for emit input. */
  fileNameOff?: number;
  lineOff?: number;
}

/** A program (an entry point) or a sub-function (`.text`), both "functions" of the object. */
export interface BpfFunction {
  name: string;
  /** ELF section holding the code. */
  section: string;
  /** Byte offset of the function in its section (parse output). */
  offset: number;
  /** The instructions as stored in the file (a view; relocated immediates are still unresolved). */
  bytes: Uint8Array;
  /** The raw fields of each 8-byte slot; relocation and line-info `insn` indexes count these slots. */
  slots: RawSlot[];
  /** Decoded instructions (src/insn): one per instruction, so an ld_imm64 is one entry for two slots. */
  insns: Insn[];
  relocations: ProgramReloc[];
  /** BTF FUNC type id of the function, when .BTF.ext has func_info for it. */
  funcTypeId?: number;
  funcInfo: FuncInfoRecord[];
  lineInfo: LineInfoRecord[];
  /** STB_GLOBAL (or WEAK) symbol. */
  global: boolean;
}

export interface BpfProgram extends BpfFunction {
  /** How the section name maps to a program type; undefined for unknown sections. */
  type?: SectionProgramType;
}

export interface DataVariable {
  name: string;
  offset: number;
  size: number;
  /** BTF VAR's type (the variable's declared type), when BTF is present. */
  typeId?: number;
  /** BTF VAR linkage: 0 static, 1 global, 2 extern. */
  linkage?: number;
}

export interface BpfMap {
  name: string;
  /** `btf`: from `.maps`; `legacy`: from the `maps` section; `data`: a global-data section. */
  kind: 'btf' | 'legacy' | 'data';
  /** ELF section of the definition (or of the data). */
  section: string;
  /** bpf_map_type value. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** 0 none, 1 LIBBPF_PIN_BY_NAME. */
  pinning: number;
  numaNode?: number;
  mapExtra?: bigint;
  keyTypeId?: number;
  valueTypeId?: number;
  /** Template of the inner map for map-in-map types (from the `values` member). */
  inner?: BpfMap;
  /** Initial slots of prog arrays / map-in-map (`.values = { [i] = &x }`): index → program or map name. */
  initSlots?: { index: number; target: string }[];
  /** Global data only: initial contents (zero-filled for `.bss`), read-only for `.rodata*`. */
  data?: Uint8Array;
  readonly?: boolean;
  /** Global data only: the section's variables from its BTF DATASEC (offsets fixed up from the symbols). */
  variables?: DataVariable[];
}

export interface BpfObject {
  license: string;
  /** Legacy `version` section (kprobe programs on old kernels). */
  kernelVersion?: number;
  programs: BpfProgram[];
  /** Functions of `.text` (sub-programs reached by bpf-to-bpf calls or function pointers). */
  functions: BpfFunction[];
  maps: BpfMap[];
  btf?: Btf;
  btfExt?: BtfExt;
  /**
   * The .BTF bytes ready for BPF_BTF_LOAD: DATASEC sizes and variable offsets filled in from the
   * ELF sections and symbols (compilers leave them 0), variables sorted by offset.
   */
  btfForLoad?: Uint8Array;
  /** The parsed ELF, for renderers that want more than the model. */
  elf: ElfFile;
}
