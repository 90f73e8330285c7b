/**
 * emitObject: what we emit parses back to the same model, disassembles to the instructions we
 * assembled, prints cleanly in LLVM's tools, and loads with `bpftool prog load` (kernel test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { BtfBuilder } from '../../src/btf/index.js';
import { encode, type Insn } from '../../src/insn/index.js';
import { emitObject, ObjectError, parseObject, type EmitInput } from '../../src/object/index.js';
import { bpf_map_type } from '../../src/abi/index.js';
import { need } from '../helpers/env.js';
import { unique } from '../helpers/netns.js';
import { callsObject, hashMapObject, helloObject } from '../elf/synthetic.js';
import { run, tempFile } from '../elf/tools.js';

const mov = (dst: 0 | 1 | 2 | 3, imm: number): Insn => ({ kind: 'alu', width: 64, op: 'mov', dst, imm });
const lddw = (dst: 1 | 2 | 3): Insn => ({ kind: 'lddw', dst, pseudo: 'none', imm: 0n });
const call = (): Insn => ({ kind: 'call', target: 'func', imm: -1 });
const exit: Insn = { kind: 'exit' };

/** Several programs and sections, sub-functions, every relocation kind, maps, globals, line info. */
function richInput(): { input: EmitInput; insns: Record<string, Insn[]> } {
  const b = new BtfBuilder();
  const u32 = b.addInt('unsigned int', 4);
  const u64 = b.addInt('unsigned long long', 8);
  const insns: Record<string, Insn[]> = {
    // The data reference is 4 bytes into `limits`: the addend stays in the immediate, as clang writes it.
    first: [lddw(1), { kind: 'lddw', dst: 2, pseudo: 'none', imm: 4n }, call(), mov(0, 2), exit],
    second: [lddw(1), mov(2, 4), lddw(3), mov(0, 1), exit],
    tracer: [call(), lddw(2), mov(0, 0), exit],
    helper: [lddw(1), mov(0, 7), exit],
    shared: [mov(0, 1), exit],
  };
  const input: EmitInput = {
    license: 'Dual BSD/GPL', kernelVersion: 0x60c00, btf: b, fileName: 'rich.bpf.ts',
    programs: [
      { name: 'first', section: 'xdp', bytes: encode(insns.first!), relocations: [
        { kind: 'map', insn: 0, map: 'counts' }, { kind: 'data', insn: 2, section: '.rodata', offset: 4, symbol: 'limits' }, { kind: 'call', insn: 4, target: 'helper' }],
        lineInfo: [{ insn: 0, fileName: 'rich.bpf.ts', line: 'const c = counts.get(k);', lineNum: 10, column: 3 }, { insn: 5, fileName: 'rich.bpf.ts', line: 'return XDP_PASS;', lineNum: 11, column: 3 }] },
      { name: 'second', section: 'xdp', bytes: encode(insns.second!), relocations: [
        { kind: 'data', insn: 0, section: '.bss', offset: 8 }, { kind: 'map', insn: 3, map: 'outer' }] },
      { name: 'tracer', section: 'tracepoint/syscalls/sys_enter_write', bytes: encode(insns.tracer!), relocations: [
        { kind: 'extern', insn: 0, name: 'bpf_rcu_read_lock', call: true }, { kind: 'data', insn: 1, section: '.data', offset: 0, symbol: 'mode' }] },
    ],
    functions: [
      { name: 'helper', bytes: encode(insns.helper!), relocations: [{ kind: 'func', insn: 0, target: 'shared' }] },
      { name: 'shared', bytes: encode(insns.shared!), global: true },
    ],
    maps: [
      { name: 'counts', type: bpf_map_type.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 64, keyTypeId: u32, valueTypeId: u64, pinning: 1, flags: 1 },
      { name: 'events', type: bpf_map_type.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
      { name: 'outer', type: bpf_map_type.BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2,
        inner: { name: 'inner', type: bpf_map_type.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 } },
    ],
    data: [
      { section: '.rodata', data: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]), variables: [{ name: 'limits', offset: 0, size: 8, typeId: b.addArray(u32, 2) }] },
      { section: '.data', data: new Uint8Array([9, 0, 0, 0]), variables: [{ name: 'mode', offset: 0, size: 4, typeId: u32 }] },
      { section: '.bss', size: 16, variables: [{ name: 'a', offset: 0, size: 8, typeId: u64 }, { name: 'b', offset: 8, size: 8, typeId: u64 }] },
    ],
  };
  return { input, insns };
}

test('emit → parse gives back programs, relocations, line info, maps and globals', () => {
  const { input, insns } = richInput();
  const obj = parseObject(emitObject(input));
  assert.equal(obj.license, 'Dual BSD/GPL');
  assert.equal(obj.kernelVersion, 0x60c00);
  assert.deepEqual(obj.programs.map((p) => [p.name, p.section, p.type?.progTypeName]), [
    ['first', 'xdp', 'BPF_PROG_TYPE_XDP'], ['second', 'xdp', 'BPF_PROG_TYPE_XDP'], ['tracer', 'tracepoint/syscalls/sys_enter_write', 'BPF_PROG_TYPE_TRACEPOINT']]);
  assert.deepEqual(obj.functions.map((f) => [f.name, f.section, f.global]), [['helper', '.text', false], ['shared', '.text', true]]);
  for (const f of [...obj.programs, ...obj.functions]) {
    assert.deepEqual(f.insns, insns[f.name], `${f.name}: disassembles to what was assembled`);
    assert.ok(f.funcTypeId !== undefined, `${f.name} has func_info`);
  }
  const byName = new Map([...input.programs, ...input.functions!].map((f) => [f.name, f]));
  const expectedRelocs = (name: string): unknown => (byName.get(name)!.relocations ?? []).map((r) => {
    if (r.kind !== 'data' || r.symbol) return r;
    const v = input.data!.find((d) => d.section === r.section)!.variables.find((x) => x.offset === r.offset);
    return v ? { ...r, symbol: v.name } : r;
  });
  for (const f of [...obj.programs, ...obj.functions]) assert.deepEqual(f.relocations, expectedRelocs(f.name), f.name);
  assert.deepEqual(obj.programs[0]!.lineInfo.map(({ fileNameOff: _a, lineOff: _b, ...r }) => r), input.programs[0]!.lineInfo);
  const maps = obj.maps.filter((m) => m.kind === 'btf');
  assert.deepEqual(maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning]), [
    ['counts', bpf_map_type.BPF_MAP_TYPE_HASH, 4, 8, 64, 1, 1], ['events', bpf_map_type.BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0],
    ['outer', bpf_map_type.BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0]]);
  assert.deepEqual(maps[2]!.inner && [maps[2]!.inner.type, maps[2]!.inner.keySize, maps[2]!.inner.valueSize, maps[2]!.inner.maxEntries], [bpf_map_type.BPF_MAP_TYPE_ARRAY, 4, 16, 1]);
  assert.equal(obj.btf!.typeName(maps[0]!.keyTypeId!), 'unsigned int');
  const data = obj.maps.filter((m) => m.kind === 'data');
  assert.deepEqual(data.map((m) => [m.name, m.valueSize, m.readonly, m.variables!.map((v) => [v.name, v.offset, v.size])]), [
    ['.rodata', 8, true, [['limits', 0, 8]]], ['.data', 4, false, [['mode', 0, 4]]], ['.bss', 16, false, [['a', 0, 8], ['b', 8, 8]]]]);
  assert.deepEqual([...data[0]!.data!], [1, 0, 0, 0, 2, 0, 0, 0]);
  assert.equal(obj.btf!.typeName(data[0]!.variables![0]!.typeId!), 'unsigned int[2]');
});

test('emitted objects print cleanly in llvm-readelf and llvm-objdump, with the same instructions', (t) => {
  if (!need(t, { tools: ['llvm-readelf', 'llvm-objdump'] })) return;
  const { input } = richInput();
  for (const bytes of [emitObject(input), helloObject(), hashMapObject()]) {
    const path = tempFile(bytes, 'emit');
    for (const [tool, args] of [['llvm-readelf', ['-a', path]], ['llvm-objdump', ['-d', '-r', '-t', '-h', path]]] as const) {
      const r = run(tool, [...args]);
      assert.equal(r.status, 0, `${tool} ${r.stderr}`);
      assert.equal(r.stderr, '', `${tool} warns on ${path}`);
    }
    const obj = parseObject(bytes);
    const lines = run('llvm-objdump', ['-d', path]).stdout.split('\n').filter((l) => /^ +\d+:\t/.test(l));
    const slots = [...obj.programs, ...obj.functions].reduce((n, f) => n + f.insns.length, 0);
    assert.equal(lines.length, slots, 'llvm-objdump sees one line per instruction we assembled');
    assert.ok(!lines.some((l) => l.includes('<unknown>')));
  }
});

test('emit rejects inconsistent input with ObjectError', () => {
  const base = (): EmitInput => ({ license: 'GPL', programs: [{ name: 'p', section: 'xdp', bytes: encode([lddw(1), call(), exit]) }] });
  const bad = (edit: (i: EmitInput) => void, pattern: RegExp): void => {
    const input = base();
    edit(input);
    assert.throws(() => emitObject(input), (e: unknown) => e instanceof ObjectError && pattern.test(e.message));
  };
  bad((i) => { i.programs[0]!.relocations = [{ kind: 'map', insn: 0, map: 'nope' }]; }, /map 'nope' is not defined/);
  bad((i) => { i.programs[0]!.relocations = [{ kind: 'map', insn: 2, map: 'nope' }]; }, /needs an ld_imm64/);
  bad((i) => { i.programs[0]!.relocations = [{ kind: 'call', insn: 3, target: 'p' }]; }, /needs a bpf-to-bpf call/);
  bad((i) => { i.programs[0]!.relocations = [{ kind: 'call', insn: 2 * 9, target: 'p' }]; }, /outside the function/);
  bad((i) => { i.programs[0]!.relocations = [{ kind: 'data', insn: 0, section: '.rodata', offset: 0 }]; }, /'.rodata' is not defined/);
  bad((i) => { i.programs.push({ name: 'p', section: 'tc', bytes: encode([exit]) }); }, /two functions are named 'p'/);
  bad((i) => { i.programs[0]!.section = undefined; }, /has no section name/);
  bad((i) => { i.data = [{ section: '.rodata', data: new Uint8Array(4), variables: [{ name: 'x', offset: 2, size: 4 }] }]; }, /outside '.rodata'/);
  bad((i) => { i.data = [{ section: 'mydata', data: new Uint8Array(4), variables: [] }]; }, /must be named/);
  bad((i) => { i.maps = [{ name: 'p', type: 1, keySize: 4, valueSize: 4, maxEntries: 1 }]; }, /the name 'p' is used by two symbols/);
});

test('kernel: emitted hello world, hash-map and bpf-to-bpf call objects load with bpftool prog load', (t) => {
  if (!need(t, { kernel: true, tools: ['bpftool'] })) return;
  const names = { hello: 'hello_world', hashmap: 'count_packets', calls: 'caller' };
  for (const [what, bytes] of [['hello', helloObject()], ['hashmap', hashMapObject()], ['calls', callsObject()]] as const) {
    const path = tempFile(bytes, what);
    const pin = `/sys/fs/bpf/${unique(`tsbpf-emit-${what}`)}`;
    try {
      const r = run('bpftool', ['prog', 'load', path, pin]);
      assert.equal(r.status, 0, `bpftool prog load ${what}: ${r.stderr}`);
      const show = run('bpftool', ['prog', 'show', 'pinned', pin]);
      assert.match(show.stdout, new RegExp(`xdp +name ${names[what]}`));
      if (what !== 'calls') assert.match(show.stdout, /map_ids \d+/);
      assert.match(show.stdout, /btf_id \d+/);
    } finally {
      rmSync(pin, { force: true });
    }
    assert.equal(existsSync(pin), false);
  }
});
