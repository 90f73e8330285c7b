/**
 * Static linking of one program: the sub-functions it calls (transitively, through bpf-to-bpf
 * calls and function-address loads) are appended after its own code, each call's offset is
 * fixed to the new layout, and relocations, func_info and line_info move with their code.
 */
import type { BpfFunction, BpfProgram, FuncInfoRecord, LineInfoRecord, ProgramReloc } from '../object/index.js';
import { LoadError } from './errors.js';

export interface LinkedProgram {
  name: string;
  /** The linked instructions (a fresh copy; relocations not applied yet). */
  insns: Uint8Array;
  /** Map/data/extern relocations with instruction indexes in the linked program. */
  relocations: ProgramReloc[];
  funcInfo: FuncInfoRecord[];
  lineInfo: LineInfoRecord[];
  /** First instruction of each function in the linked program (the program itself at 0). */
  starts: Map<string, number>;
}

const BPF_PSEUDO_CALL = 1;
const BPF_PSEUDO_FUNC = 4;

/** Links `prog` with the functions it needs from `pool` (the object's sub-functions and programs). */
export function linkProgram(prog: BpfProgram, pool: Map<string, BpfFunction>): LinkedProgram {
  const order: BpfFunction[] = [prog];
  const starts = new Map<string, number>([[prog.name, 0]]);
  let next = prog.bytes.byteLength / 8;
  // Breadth-first over call targets, so each needed function is placed once.
  for (let i = 0; i < order.length; i++) {
    for (const r of order[i]!.relocations) {
      if (r.kind !== 'call' && r.kind !== 'func') continue;
      if (starts.has(r.target)) continue;
      const fn = pool.get(r.target);
      if (!fn) throw new LoadError(`program '${prog.name}': function '${order[i]!.name}' calls '${r.target}', which is not in the object`);
      starts.set(r.target, next);
      next += fn.bytes.byteLength / 8;
      order.push(fn);
    }
  }
  const insns = new Uint8Array(next * 8);
  const view = new DataView(insns.buffer);
  const relocations: ProgramReloc[] = [];
  const funcInfo: FuncInfoRecord[] = [];
  const lineInfo: LineInfoRecord[] = [];
  for (const fn of order) {
    const base = starts.get(fn.name)!;
    insns.set(fn.bytes, base * 8);
    for (const r of fn.relocations) {
      const at = base + r.insn;
      if (r.kind === 'call' || r.kind === 'func') {
        const target = starts.get(r.target)!;
        const p = at * 8;
        // Calls and function addresses are relative to the next instruction.
        insns[p + 1] = (insns[p + 1]! & 0x0f) | ((r.kind === 'call' ? BPF_PSEUDO_CALL : BPF_PSEUDO_FUNC) << 4);
        view.setInt32(p + 4, target - (at + 1), true);
        if (r.kind === 'func') view.setInt32(p + 12, 0, true);
        continue;
      }
      relocations.push({ ...r, insn: at });
    }
    for (const f of fn.funcInfo) funcInfo.push({ ...f, insn: base + f.insn });
    for (const l of fn.lineInfo) lineInfo.push({ ...l, insn: base + l.insn });
  }
  funcInfo.sort((a, b) => a.insn - b.insn);
  lineInfo.sort((a, b) => a.insn - b.insn);
  return { name: prog.name, insns, relocations, funcInfo, lineInfo, starts };
}
