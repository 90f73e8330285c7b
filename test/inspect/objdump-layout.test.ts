/**
 * llvm-objdump 14's layout rules on hand-made objects (assembled with llvm-mc): labels at one
 * address, the section-name stand-in, ranges that split instructions, zero runs, OBJECT data in
 * code, truncated tails, `-j` on data and NOBITS sections, jump targets outside the section;
 * and whole-output parity on the instruction snippets of test/insn/snippets.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { objdump } from '../../src/inspect/objdump.js';
import { compileC } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { compareOutputs, llvmObjdump } from '../insn/llvm.js';

const SOURCES: Record<string, string> = {
  // No symbol at 0 (section-name labels), local and global labels, two labels at one address,
  // a jump before the section start and one past its end, calls and loads with relocations.
  labels: `
	.section foo,"ax",@progbits
	r0 = 1
	goto -3
	goto +1
a1:
	r0 = 2
a2:
	exit
	.globl g1
	.type g1,@function
g1:
	.globl g2
g2:
	r0 = 3
	goto +20
	exit
	.section bar,"ax",@progbits
	.globl h
	.type h,@function
	.size h, 16
h:
	r0 = 4
	exit
	r0 = 5
	if r0 > 2 goto -3
	exit
	.section .data,"aw",@progbits
	.globl d
d:
	.quad 0x95
	.long 7
	.section .bss,"aw",@nobits
	.globl z1
z1:
	.zero 12
	.globl z2
z2:
	.zero 4
	.section .text,"ax",@progbits
	r1 = *(u64 *)(r1 + 0)
	call h
	r1 = d ll
	exit
`,
  // Labels sorted by name at one address (the last is printed); OBJECT labels dumped as data.
  objects: `
	.section foo,"ax",@progbits
	.globl zz
	.type zz,@function
zz:
	.globl aa
aa:
	r0 = 1
	.globl mm
	.type mm,@object
mm:
	.globl bb
	.type bb,@function
bb:
	r0 = 2
	goto -1
	.quad 0
	.long 0
	.byte 0x95, 0, 0, 0
	.byte 0x18, 1, 2
	.section baz,"ax",@progbits
	.globl ob
	.type ob,@object
ob:
	.quad 0
	.ascii "hi there!"
	.globl fn
	.type fn,@function
fn:
	.quad 0
	exit
`,
  // Ranges shorter than an instruction, zero runs of several lengths, unknown opcodes,
  // a truncated lddw and a truncated tail.
  ranges: `
	.section foo,"ax",@progbits
	.globl a
a:
	.byte 0xb7, 1, 0, 0
	.globl b
b:
	.byte 5, 0, 0, 0
	.byte 0, 0, 0, 0, 0x18, 1, 0, 0
	.globl c
c:
	.byte 0, 0, 0, 0, 0, 0, 0, 0
	.byte 0x95, 0, 0, 0, 0, 0, 0, 0
	.quad 0
	.quad 0
	.long 0
	exit
	.quad 0
	.long 0
	exit
	.byte 0xe7, 0, 0, 0, 0, 0, 0, 0
	.byte 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	.byte 0x18, 1, 0, 0, 0, 0, 0, 0
	.byte 0x95, 0, 0
`,
};

function assemble(dir: string, name: string): string {
  const src = join(dir, `${name}.s`);
  const obj = join(dir, `${name}.o`);
  writeFileSync(src, SOURCES[name]!);
  const r = spawnSync('llvm-mc', ['-triple', 'bpfel', '-filetype=obj', src, '-o', obj], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`llvm-mc ${name}: ${r.stderr}`);
  return obj;
}

test('layout rules match llvm-objdump 14 exactly (with --llvm)', (t) => {
  if (!need(t, { tools: ['llvm-mc', 'llvm-objdump'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-objdump-'));
  try {
    for (const name of Object.keys(SOURCES)) {
      const file = assemble(dir, name);
      const bytes = readFileSync(file);
      const runs: string[][] = [['-d'], ['-d', '--no-show-raw-insn'], ['-d', '-j', '.data'], ['-d', '-j', '.bss'], ['-d', '-j', 'foo', '-j', 'bar']];
      for (const args of runs) {
        const sections = args.filter((_, i) => args[i - 1] === '-j');
        const llvm = llvmObjdump(file, args);
        const ours = objdump(bytes, { fileName: file, rawBytes: !args.includes('--no-show-raw-insn'), sections, llvm: true }).text;
        const { diffs, gaps } = compareOutputs(llvm, ours, false);
        assert.deepEqual(diffs, [], `${name} ${args.join(' ')}`);
        assert.equal(gaps, 0);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('whole-output parity on the instruction snippets (every -mcpu they list)', (t) => {
  if (!need(t, { tools: ['clang', 'llvm-objdump'] })) return;
  const dir = fileURLToPath(new URL('../../../test/insn/snippets/', import.meta.url));
  let gapsSeen = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.c'))) {
    const path = join(dir, f);
    const cpus = /^\/\/ cpus:(.*)$/m.exec(readFileSync(path, 'utf8'))?.[1]?.trim().split(/\s+/) ?? ['v3'];
    for (const cpu of cpus) {
      const file = compileC(path, [`-mcpu=${cpu}`]);
      const bytes = readFileSync(file);
      const { diffs, gaps } = compareOutputs(llvmObjdump(file, ['-d']), objdump(bytes, { fileName: file }).text, true);
      assert.deepEqual(diffs, [], `${f} -mcpu=${cpu}`);
      gapsSeen += gaps;
    }
  }
  assert.ok(gapsSeen >= 10, 'the 32-bit atomics snippet shows the documented gaps');
});
