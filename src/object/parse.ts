/**
 * parseObject: ELF bytes → BpfObject, with no system calls. ELF and BTF problems surface as
 * ElfError/BtfError; inconsistent BPF content (bad relocations, map definitions) as ObjectError.
 */
import type { Btf } from '../btf/btf.js';
import { parseBtfExt, type BtfExt } from '../btf/ext.js';
import { parseBtf } from '../btf/reader.js';
import * as E from '../elf/constants.js';
import { hex } from '../elf/error.js';
import { readElf } from '../elf/reader.js';
import type { ElfFile } from '../elf/types.js';
import { fixupDatasecs } from './btf-fixup.js';
import { ObjectError } from './error.js';
import { parseFunctions } from './functions.js';
import { parseMaps } from './maps.js';
import type { BpfObject } from './model.js';

/** Parses a BPF object file (bytes of an ELF64 little-endian EM_BPF relocatable object). */
export function parseObject(bytes: Uint8Array): BpfObject {
  const elf = readElf(bytes);
  if (elf.header.type !== E.ET_REL) {
    throw new ObjectError(`e_type at offset 0x10 is ${elf.header.type}; BPF objects are relocatable files (ET_REL, 1)`);
  }
  let btf: Btf | undefined;
  let btfExt: BtfExt | undefined;
  let btfForLoad: Uint8Array | undefined;
  const btfSec = elf.sections.find((s) => s.name === '.BTF');
  if (btfSec) {
    const raw = parseBtf(btfSec.data, { section: '.BTF', fileOffset: btfSec.offset });
    btfForLoad = fixupDatasecs(raw, elf);
    btf = parseBtf(btfForLoad, { section: '.BTF (after DATASEC fix-up)' });
    const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
    if (extSec) btfExt = parseBtfExt(extSec.data, btf, { section: '.BTF.ext', fileOffset: extSec.offset });
  }
  const maps = parseMaps(elf, btf);
  const { programs, functions } = parseFunctions(elf, maps, btfExt);
  return { license: license(elf), kernelVersion: kernelVersion(elf), programs, functions, maps, btf, btfExt, btfForLoad, elf };
}

function license(elf: ElfFile): string {
  const sec = elf.sections.find((s) => s.name === 'license');
  if (!sec) return '';
  const end = sec.data.indexOf(0);
  if (end < 0) throw new ObjectError(`section 'license' (offset ${hex(sec.offset)}) is not NUL-terminated`);
  return new TextDecoder().decode(sec.data.subarray(0, end));
}

function kernelVersion(elf: ElfFile): number | undefined {
  const sec = elf.sections.find((s) => s.name === 'version');
  if (!sec) return undefined;
  if (sec.size !== 4) throw new ObjectError(`section 'version' (offset ${hex(sec.offset)}) has size ${sec.size}, expected 4`);
  return new DataView(sec.data.buffer, sec.data.byteOffset, 4).getUint32(0, true);
}
