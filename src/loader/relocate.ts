/**
 * Relocations that need kernel objects: map references become BPF_PSEUDO_MAP_FD loads of the
 * map's fd, global-data references BPF_PSEUDO_MAP_VALUE loads (fd + offset into the value).
 */
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../abi/index.js';
import { LoadError } from './errors.js';
import type { LinkedProgram } from './link.js';

export interface RelocTargets {
  /** fd of a map by its object name. */
  mapFd(name: string): number | undefined;
  /** fd of the global-data map of an ELF section (`.rodata`, `.bss`, …). */
  dataFd(section: string): number | undefined;
}

/** Patches `linked.insns` in place. */
export function applyRelocations(linked: LinkedProgram, t: RelocTargets): void {
  const view = new DataView(linked.insns.buffer, linked.insns.byteOffset, linked.insns.byteLength);
  const set = (insn: number, src: number, imm0: number, imm1: number): void => {
    const p = insn * 8;
    if (linked.insns[p] !== 0x18) throw new LoadError(`program '${linked.name}': relocation at instruction ${insn} is not on an ld_imm64`);
    linked.insns[p + 1] = (linked.insns[p + 1]! & 0x0f) | (src << 4);
    view.setInt32(p + 4, imm0, true);
    view.setInt32(p + 12, imm1, true);
  };
  for (const r of linked.relocations) {
    switch (r.kind) {
      case 'map': {
        const fd = t.mapFd(r.map);
        if (fd === undefined) throw new LoadError(`program '${linked.name}' uses map '${r.map}', which was not created`);
        set(r.insn, BPF_PSEUDO_MAP_FD, fd, 0);
        break;
      }
      case 'data': {
        const fd = t.dataFd(r.section);
        if (fd === undefined) throw new LoadError(`program '${linked.name}' uses global data in '${r.section}', which has no map`);
        set(r.insn, BPF_PSEUDO_MAP_VALUE, fd, r.offset);
        break;
      }
      case 'extern':
        throw new LoadError(
          `program '${linked.name}' refers to extern ${r.call ? 'function' : 'variable'} '${r.name}' (instruction ${r.insn}): kfuncs, __ksym and __kconfig are not supported yet`,
          'use BPF helpers instead of kfuncs, or load this object with libbpf',
        );
      default:
        break;
    }
  }
}
