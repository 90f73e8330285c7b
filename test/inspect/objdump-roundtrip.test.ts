/**
 * Round trip: assemble → write an ELF object (src/elf writer) → read it back → disassemble, and
 * llvm-objdump 14 agrees with our disassembly of the object we wrote.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as E from '../../src/elf/constants.js';
import { findSection, readElf, writeElf, type ElfRelocSpec, type ElfSymbolSpec } from '../../src/elf/index.js';
import { Assembler, decode, encode, formatInsn, r0, r1, r2, r3, r6, type AsmProgram } from '../../src/insn/index.js';
import { objdump } from '../../src/inspect/objdump.js';
import { need } from '../helpers/env.js';
import { compareOutputs, llvmObjdump } from '../insn/llvm.js';

function program(): { main: AsmProgram; sub: AsmProgram } {
  const main = new Assembler()
    .func('xdp_prog')
    .mov64(r6, r1)
    .ldMap(r1, 'counters').mov64(r2, 0).call('map_lookup_elem')
    .jeq(r0, 0, 'out')
    .mov64(r1, 1).atomic('add', 'u64', r0, 0, r1)
    .mov64(r1, r6).callFunc('len_of')
    .jgt32(r0, 1500, 'drop')
    .ldMapValue(r3, 'seen', 8).ldx('u64', r2, r3, 0).add64(r2, 1).stx('u64', r3, 0, r2)
    .label('out').mov32(r0, 2).exit()
    .label('drop').mov32(r0, 1).exit()
    .finish();
  const sub = new Assembler().func('len_of').ldx('u32', r2, r1, 0).ldx('u32', r0, r1, 4).sub32(r0, r2).exit().finish();
  return { main, sub };
}

function toElf(p: { main: AsmProgram; sub: AsmProgram }): Uint8Array {
  const symbols: ElfSymbolSpec[] = [];
  const relocations: ElfRelocSpec[] = [];
  const add = (section: string, prog: AsmProgram, labelPrefix: string): void => {
    for (const f of prog.funcs) symbols.push({ name: f.name, section, value: f.slot * 8, size: f.slots * 8, type: E.STT_FUNC });
    for (const l of prog.labels) symbols.push({ name: `${labelPrefix}${l.name}`, section, value: l.slot * 8, bind: E.STB_LOCAL });
    for (const r of prog.relocs) {
      relocations.push({ section, offset: r.slot * 8, type: r.kind === 'func' ? E.R_BPF_64_32 : E.R_BPF_64_64, symbol: r.symbol });
    }
  };
  add('xdp', p.main, 'L_');
  add('.text', p.sub, 'L_sub_');
  symbols.push({ name: 'counters', section: '.maps', value: 0, size: 32, type: E.STT_OBJECT });
  symbols.push({ name: 'seen', section: '.bss', value: 0, size: 16, type: E.STT_OBJECT });
  return writeElf({
    fileName: 'roundtrip.bpf.ts',
    sections: [
      { name: '.text', flags: E.SHF_ALLOC | E.SHF_EXECINSTR, data: encode(p.sub.insns), addralign: 8 },
      { name: 'xdp', flags: E.SHF_ALLOC | E.SHF_EXECINSTR, data: encode(p.main.insns), addralign: 8 },
      { name: '.maps', flags: E.SHF_ALLOC | E.SHF_WRITE, data: new Uint8Array(32), addralign: 8 },
      { name: '.bss', type: E.SHT_NOBITS, flags: E.SHF_ALLOC | E.SHF_WRITE, size: 16, addralign: 8 },
    ],
    symbols,
    relocations,
  });
}

test('assemble → write ELF → read → disassemble gives back the program', () => {
  const p = program();
  const bytes = toElf(p);
  const elf = readElf(bytes);
  assert.deepEqual(decode(findSection(elf, 'xdp')!.data), p.main.insns);
  assert.deepEqual(decode(findSection(elf, '.text')!.data), p.sub.insns);
  const text = objdump(bytes, { fileName: 'rt.o', rawBytes: false }).text;
  const lines = text.split('\n').filter((l) => /^ +\d+:\t/.test(l)).map((l) => l.replace(/^ +\d+:\t/, '').replace(/ <[^<>]*>$| ; .*$/, ''));
  assert.deepEqual(lines, [...p.sub.insns, ...p.main.insns].map(formatInsn));
  assert.match(text, /r1 = 0 ll ; map counters\n/);
  assert.match(text, /call 1 ; bpf_map_lookup_elem\n/);
  assert.match(text, /call -1 ; len_of\n/);
  assert.match(text, /r3 = 8 ll ; seen\+0x8\n/);
  assert.match(text, /if r0 == 0 goto \+\d+ <L_out>\n/);
});

test('llvm-objdump 14 reads the object we wrote exactly as we do', (t) => {
  if (!need(t, { tools: ['llvm-objdump'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-roundtrip-'));
  try {
    const file = join(dir, 'rt.o');
    const bytes = toElf(program());
    writeFileSync(file, bytes);
    for (const raw of [true, false]) {
      const args = raw ? ['-d'] : ['-d', '--no-show-raw-insn'];
      const { diffs } = compareOutputs(llvmObjdump(file, args), objdump(bytes, { fileName: file, rawBytes: raw, llvm: true }).text, false);
      assert.deepEqual(diffs, []);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
