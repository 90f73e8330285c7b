/** The assembler: building, label resolution, relocations, source lines and its errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AsmError, Assembler, decode, encode, formatInsn, r0, r1, r2, r3, r6, r10,
} from '../../src/insn/index.js';
import { corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { llvmInsnLines } from './llvm.js';

const text = (a: Assembler): string[] => a.finish().insns.map(formatInsn);

test('the hello-world program, with a relocation for its string and line info', () => {
  const a = new Assembler();
  const loc = { file: 'hello.bpf.ts', line: 4, column: 3, text: '  bpf_printk("packet  received!");' };
  a.func('hello_world').at(loc).ldMapValue(r1, '.rodata.str1.1', 0).mov32(r2, 18).call('trace_printk')
    .at({ file: 'hello.bpf.ts', line: 5, column: 3 }).mov32(r0, 2).exit();
  const p = a.finish();
  assert.deepEqual(p.insns.map(formatInsn), ['r1 = 0 ll', 'w2 = 18', 'call 6', 'w0 = 2', 'exit']);
  assert.equal(p.slots, 6);
  assert.deepEqual(p.relocs, [{ index: 0, slot: 0, kind: 'map_value', symbol: '.rodata.str1.1', addend: 0 }]);
  assert.deepEqual(p.lines.map((l) => [l.index, l.slot, l.loc.line]), [[0, 0, 4], [3, 4, 5]]);
  assert.equal(p.lines[0]!.loc.text, loc.text);
  assert.deepEqual(p.funcs, [{ name: 'hello_world', index: 0, slot: 0, slots: 6 }]);
});

test('the hello-world program assembles to the bytes clang makes of test/corpus/hello.bpf.c', (t) => {
  if (!need(t, { tools: ['clang', 'llvm-objdump'] })) return;
  const clang = llvmInsnLines(corpusObject('hello')).filter((l) => l.section === 'xdp');
  const a = new Assembler().ldMapValue(r1, '.rodata.str1.1').mov32(r2, 18).call('bpf_trace_printk').mov32(r0, 2).exit();
  assert.equal(Buffer.from(encode(a.finish().insns)).toString('hex'), Buffer.concat(clang.map((l) => l.bytes)).toString('hex'));
});

test('labels resolve forwards and backwards, counting lddw as two slots', () => {
  const a = new Assembler();
  a.mov64(r0, 0)
    .label('loop')
    .ld64(r1, 0x1122334455667788n)
    .add64(r0, 1)
    .jlt(r0, 10, 'loop')
    .jeq32(r0, r1, 'out')
    .ja('out')
    .mov64(r0, -1)
    .label('out')
    .exit();
  assert.deepEqual(text(a), [
    'r0 = 0', 'r1 = 1234605616436508552 ll', 'r0 += 1', 'if r0 < 10 goto -4', 'if w0 == w1 goto +2', 'goto +1', 'r0 = -1', 'exit',
  ]);
  assert.deepEqual(a.finish().labels, [{ name: 'loop', index: 1, slot: 1 }, { name: 'out', index: 7, slot: 8 }]);
});

test('helpers by name, prefixed name or id; functions and kfuncs as relocations', () => {
  const a = new Assembler();
  a.call('map_lookup_elem').call('bpf_ringbuf_reserve').call(12).callFunc('packet_len').callKfunc('bpf_obj_new_impl')
    .ldMap(r1, 'events').ldFunc(r2, 'callback').exit();
  const p = a.finish();
  assert.deepEqual(p.insns.slice(0, 5).map(formatInsn), ['call 1', 'call 131', 'call 12', 'call -1', 'call -1']);
  assert.deepEqual(p.relocs.map((r) => [r.index, r.slot, r.kind, r.symbol]), [
    [3, 3, 'func', 'packet_len'], [4, 4, 'kfunc', 'bpf_obj_new_impl'], [5, 5, 'map', 'events'], [6, 7, 'func', 'callback'],
  ]);
  assert.throws(() => new Assembler().call('no_such' as never), (e: unknown) => e instanceof AsmError && /unknown helper "no_such"/.test(e.message));
  assert.equal(formatInsn(new Assembler().call(400).finish().insns[0]!), 'call 400', 'ids newer than the header pass through');
  assert.throws(() => new Assembler().call(0), /helper id 0 is not a positive/);
});

test('local bpf-to-bpf calls can be resolved in place', () => {
  const a = new Assembler();
  a.func('main').mov64(r6, r1).callFunc('helper').exit().func('helper').mov64(r0, 1).exit();
  const p = a.finish({ resolveLocalCalls: true });
  assert.equal(formatInsn(p.insns[1]!), 'call 1');
  assert.deepEqual(p.relocs, []);
  assert.deepEqual(p.funcs.map((f) => [f.name, f.slot, f.slots]), [['main', 0, 3], ['helper', 3, 2]]);
  const unresolved = a.finish();
  assert.deepEqual(unresolved.relocs.map((r) => r.kind), ['func']);
});

test('memory, atomics and the v4 forms', () => {
  const a = new Assembler();
  a.ldx('u32', r0, r1, 4).ldx('s8', r2, r1, -1).st('u64', r10, -8, 0).stx('u16', r10, -2, r3)
    .atomic('fetch_add', 'u64', r1, 0, r2).atomic('cmpxchg', 'u32', r3, 8, r2)
    .loadAcquire('u64', r0, r1).storeRelease('u32', r1, 0, r2)
    .sdiv64(r1, r2).smod32(r1, 3).movsx64(r1, r2, 32).bswap(r1, 16).be(r2, 32).le(r2, 64).neg32(r3)
    .gotol('end').mayGoto('end').ldAbs('u8', 23).ldInd('u32', r3, 0).label('end').exit();
  assert.deepEqual(text(a), [
    'r0 = *(u32 *)(r1 + 4)', 'r2 = *(s8 *)(r1 - 1)', '*(u64 *)(r10 - 8) = 0', '*(u16 *)(r10 - 2) = r3',
    'r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)', 'w0 = cmpxchg32_32(r3 + 8, w0, w2)',
    'r0 = load_acquire((u64 *)(r1 + 0))', 'store_release((u32 *)(r1 + 0), w2)',
    'r1 s/= r2', 'w1 s%= 3', 'r1 = (s32)r2', 'r1 = bswap16 r1', 'r2 = be32 r2', 'r2 = le64 r2', 'w3 = -w3',
    'gotol +3', 'may_goto +2', 'r0 = *(u8 *)skb[23]', 'r0 = *(u32 *)skb[r3]', 'exit',
  ]);
  const bytes = encode(a.finish().insns);
  assert.deepEqual(decode(bytes), a.finish().insns);
});

test('errors name the label and the instruction', () => {
  const unknown = new Assembler().mov64(r0, 0).jeq(r0, 0, 'nowhere').exit();
  assert.throws(() => unknown.finish(), (e: unknown) => e instanceof AsmError && e.message === "instruction 1 (slot 1): jump to unknown label 'nowhere'");
  const dup = new Assembler().label('x').mov64(r0, 0).label('x').exit();
  assert.throws(() => dup.finish(), /label 'x' is defined twice/);
  const atEnd = new Assembler().ja('end').label('end');
  assert.throws(() => atEnd.finish(), /label 'end' is at the end of the program/);
  const far = new Assembler().jeq(r0, 0, 'far');
  for (let i = 0; i < 40000; i++) far.mov64(r0, 0);
  far.label('far').exit();
  assert.throws(() => far.finish(), (e: unknown) => e instanceof AsmError && /instruction 0 \(slot 0\): jump to label 'far' is 40000 instructions away, outside the 16-bit range/.test(e.message) && /gotol/.test(e.hint ?? ''));
  const farl = new Assembler().gotol('far');
  for (let i = 0; i < 40000; i++) farl.mov64(r0, 0);
  farl.label('far').exit();
  assert.equal(formatInsn(farl.finish().insns[0]!), 'gotol +40000');
  const located = new Assembler().at({ file: 'x.bpf.ts', line: 7, column: 9 }).ja('missing');
  assert.throws(() => located.finish(), /instruction 0 \(slot 0\) at x\.bpf\.ts:7:9: jump to unknown label 'missing'/);
});

test('bad operands are caught where they are written', () => {
  assert.throws(() => new Assembler().mov64('r11' as never, 0), /"r11" is not one of r0\.\.r10/);
  assert.throws(() => new Assembler().mov64(r0, 2 ** 33), (e: unknown) => e instanceof AsmError && /ld64/.test(e.hint ?? ''));
  assert.throws(() => new Assembler().lsh32(r0, 32), /shift by 32 is outside 0\.\.31/);
  assert.throws(() => new Assembler().div64(r0, 0), /division by the constant 0/);
  assert.throws(() => new Assembler().ld64(r0, 1n << 64n), /does not fit in 64 bits/);
  assert.throws(() => new Assembler().func('f').func('f'), /function 'f' is defined twice/);
  const bad = new Assembler().ldx('u32', r0, r1, 40000);
  assert.throws(() => bad.finish(), (e: unknown) => e instanceof AsmError && /instruction 0 \(slot 0\): cannot encode ldx: offset 40000/.test(e.message));
});
