/**
 * Linking and relocation without the kernel (clang objects), and sanitized BTF (with the kernel:
 * the rewritten BTF must still load).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseObject, type BpfFunction } from '../../src/object/index.js';
import { linkProgram, sanitizedBuilder, kernelMapName, kernelProgName } from '../../src/loader/index.js';
import { applyRelocations } from '../../src/loader/relocate.js';
import { BtfBuilder, parseBtf } from '../../src/btf/index.js';
import { btfLoad } from '../../src/sys/bpf.js';
import { corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';

function pool(obj: ReturnType<typeof parseObject>): Map<string, BpfFunction> {
  return new Map([...obj.functions, ...obj.programs].map((f) => [f.name, f]));
}

const insnAt = (b: Uint8Array, i: number) => {
  const v = new DataView(b.buffer, b.byteOffset + i * 8, 8);
  return { code: b[i * 8]!, dst: b[i * 8 + 1]! & 0xf, src: b[i * 8 + 1]! >> 4, off: v.getInt16(2, true), imm: v.getInt32(4, true) };
};

test('bpf-to-bpf calls: the sub-function is appended and every call points at it', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const obj = parseObject(readFileSync(corpusObject('calls')));
  const prog = obj.programs.find((p) => p.name === 'xdp_dispatch')!;
  const sub = obj.functions.find((f) => f.name === 'packet_len')!;
  const l = linkProgram(prog, pool(obj));
  const progLen = prog.bytes.length / 8;
  assert.equal(l.starts.get('packet_len'), progLen);
  assert.equal(l.insns.length, prog.bytes.length + sub.bytes.length);
  assert.deepEqual([...l.insns.subarray(progLen * 8)], [...sub.bytes]);
  const calls = prog.relocations.filter((r) => r.kind === 'call');
  assert.ok(calls.length > 0);
  for (const c of calls) {
    const i = insnAt(l.insns, c.insn);
    assert.equal(i.code, 0x85);
    assert.equal(i.src, 1);
    assert.equal(c.insn + 1 + i.imm, progLen, 'call lands on the first instruction of packet_len');
  }
  // func_info: the program at 0 and the sub-function at its new start; line info follows its code.
  assert.deepEqual(l.funcInfo.map((f) => f.insn), [0, progLen]);
  assert.equal(l.funcInfo[1]!.typeId, sub.funcInfo[0]!.typeId);
  assert.ok(l.lineInfo.some((x) => x.insn === progLen), 'a line record at the start of packet_len');
  assert.deepEqual(l.lineInfo.map((x) => x.insn), [...l.lineInfo.map((x) => x.insn)].sort((a, b) => a - b));
  // The map relocation survives linking with its instruction index.
  assert.ok(l.relocations.some((r) => r.kind === 'map' && r.map === 'jump_table'));
});

test('relocations: map fds and global data (fd + offset) in ld_imm64', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const obj = parseObject(readFileSync(corpusObject('udp_drop')));
  const l = linkProgram(obj.programs[0]!, pool(obj));
  applyRelocations(l, { mapFd: (n) => (n === 'drops' ? 101 : undefined), dataFd: (s) => ({ '.rodata': 102, '.bss': 103 } as Record<string, number>)[s] });
  for (const r of l.relocations) {
    const i = insnAt(l.insns, r.insn);
    const next = insnAt(l.insns, r.insn + 1);
    assert.equal(i.code, 0x18);
    if (r.kind === 'map') assert.deepEqual([i.src, i.imm, next.imm], [1, 101, 0]);
    if (r.kind === 'data') assert.deepEqual([i.src, i.imm, next.imm], [2, r.section === '.rodata' ? 102 : 103, r.offset]);
  }
  assert.throws(() => applyRelocations(linkProgram(obj.programs[0]!, pool(obj)), { mapFd: () => undefined, dataFd: () => 1 }), /uses map 'drops', which was not created/);
});

test('kernel names: sanitized and cut to 15 bytes', () => {
  assert.equal(kernelProgName('a_very_long_program_name'), 'a_very_long_pro');
  assert.equal(kernelProgName('odd-name!'), 'odd_name_');
  const data = { name: '.rodata', kind: 'data', section: '.rodata' } as Parameters<typeof kernelMapName>[0];
  assert.equal(kernelMapName(data, 'udp_drop'), 'udp_drop.rodata');
  assert.equal(kernelMapName(data, 'a-very-long-object'), 'a_very_l.rodata');
  assert.equal(kernelMapName({ ...data, section: '.rodata.str1.1' }, 'xyz'), 'x.rodata.str1.1', 'the prefix shrinks to fit');
});

test('sanitized BTF drops newer kinds, keeps ids, and still loads', (t) => {
  const b = new BtfBuilder();
  const int = b.addInt('int', 4, { signed: true });
  const f = b.addFloat('float', 4);
  const tagged = b.addTypeTag('user', int);
  const e64 = b.addEnum64('big', [{ name: 'HUGE', value: 1n << 40n }]);
  const s = b.addStruct('s', 24, [{ name: 'a', type: tagged, bitOffset: 0 }, { name: 'f', type: f, bitOffset: 32 }, { name: 'e', type: e64, bitOffset: 64 }, { name: 'i', type: int, bitOffset: 128 }]);
  b.addDeclTag('my.tag', s, 0);
  const proto = b.addFuncProto(int, [{ name: 'x', type: int }]);
  b.addFunc('fn', proto, 1);
  const btf = parseBtf(b.encode());
  const out = parseBtf(sanitizedBuilder(btf, 1).encode());
  assert.equal(out.types.length, btf.types.length, 'same ids');
  const kinds = new Set(out.types.map((x) => x.kind));
  for (const k of ['FLOAT', 'TYPE_TAG', 'ENUM64', 'DECL_TAG']) assert.ok(!kinds.has(k as never), `${k} replaced`);
  assert.equal(out.find('fn', 'FUNC')!.kind === 'FUNC' && (out.find('fn', 'FUNC') as { linkage: number }).linkage, 0);
  assert.equal(out.sizeof(s), 24);
  if (!need(t, { kernel: true })) return;
  btfLoad(sanitizedBuilder(btf, 1).encode()).close();
  btfLoad(sanitizedBuilder(btf, 2).encode()).close();
});
