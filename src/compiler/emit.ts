/**
 * Emission: allocated IR → instructions through src/insn's assembler, every instruction stamped
 * with its TypeScript line and column (→ BTF line_info). Branches to the next block become
 * fall-throughs, with the condition inverted where that saves a jump.
 */
import { Assembler, type AsmProgram, type RegName, type SourceLoc } from '../insn/asm.js';
import type { LineMap } from './diagnostics.js';
import type { Block, Func, Opnd } from './ir.js';
import { INVERT, order } from './layout.js';

const R = (r: number): RegName => `r${r}` as RegName;
const src = (o: Opnd): RegName | number => (o.r !== undefined ? R(o.r) : o.imm!);

export function emitFunc(f: Func, file: string, lines: LineMap): AsmProgram {
  const a = new Assembler();
  const blocks = order(f);
  const label = (b: Block): string => `${f.name}.B${b.id}`;
  const locCache = new Map<number, SourceLoc>();
  const at = (pos: number): void => {
    if (pos < 0) return;
    let l = locCache.get(pos);
    if (!l) {
      const { line, col } = lines.lineCol(pos);
      l = { file, line, column: col, text: lines.lineText(line) };
      locCache.set(pos, l);
    }
    a.at(l);
  };
  blocks.forEach((b, bi) => {
    const next = blocks[bi + 1];
    a.label(label(b));
    for (const i of b.insts) {
      at(i.pos);
      switch (i.op) {
        case 'mov':
          a.alu('mov', i.w, R(i.dst), src(i.src));
          break;
        case 'alu':
          a.alu(i.alu, i.w, R(i.dst), src(i.src));
          break;
        case 'neg':
          if (i.w === 64) a.neg64(R(i.dst));
          else a.neg32(R(i.dst));
          break;
        case 'be':
          a.be(R(i.dst), i.bits);
          break;
        case 'ld':
          a.ldx(i.size, R(i.dst), R(i.base), i.off);
          break;
        case 'st':
          if (i.src.r !== undefined) a.stx(i.size, R(i.base), i.off, R(i.src.r));
          else a.st(i.size, R(i.base), i.off, i.src.imm!);
          break;
        case 'lddw':
          a.ld64(R(i.dst), i.value);
          break;
        case 'ldsym':
          if (i.kind === 'map') a.ldMap(R(i.dst), i.symbol);
          else a.ldMapValue(R(i.dst), i.symbol, 0);
          break;
        case 'call':
          a.call(i.helper);
          break;
        case 'callsub':
          a.callFunc(i.name);
          break;
        case 'atomic':
          a.atomic(i.aop, i.size, R(i.base), i.off, R(i.src));
          break;
      }
    }
    const t = b.term;
    at(t.pos);
    if (t.op === 'exit') a.exit();
    else if (t.op === 'br') {
      if (t.to !== next) a.ja(label(t.to));
    } else {
      const inv = INVERT[t.cc];
      if (t.f === next) a.jmp(t.cc, t.w, R(t.a), src(t.b), label(t.t));
      else if (t.t === next && inv) a.jmp(inv, t.w, R(t.a), src(t.b), label(t.f));
      else {
        a.jmp(t.cc, t.w, R(t.a), src(t.b), label(t.t));
        a.ja(label(t.f));
      }
    }
  });
  return a.finish();
}
