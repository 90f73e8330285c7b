/**
 * The object model over the clang corpus: programs, sub-functions, relocations and maps agree
 * with llvm-readelf and bpftool; section names map to program types as libbpf documents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bpf_map_type } from '../../src/abi/index.js';
import { ObjectError, parseObject, sectionProgramType, type BpfObject, type ProgramReloc } from '../../src/object/index.js';
import * as E from '../../src/elf/constants.js';
import { writeElf } from '../../src/elf/index.js';
import { encode } from '../../src/insn/index.js';
import { fileURLToPath } from 'node:url';
import { compileC, corpusNames, corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { kindsObject, run } from '../elf/tools.js';

/** `[offset within section, symbol name]` of the relocations llvm-readelf lists for a code section. */
function llvmRelocs(path: string, section: string): [number, string][] {
  const out = run('llvm-readelf', ['-r', path]).stdout;
  const block = out.split('\n\n').find((b) => b.includes(`Relocation section '.rel${section}'`));
  if (!block) return [];
  return block.trim().split('\n').slice(2).filter(Boolean).map((l) => {
    const f = l.trim().split(/\s+/);
    return [parseInt(f[0]!, 16), f[4] ?? ''];
  });
}

function relocName(obj: BpfObject, r: ProgramReloc): string {
  switch (r.kind) {
    case 'map': return r.map;
    case 'data': return r.symbol ?? r.section;
    case 'call': case 'func': return obj.functions.find((f) => f.name === r.target) ? '.text' : r.target;
    case 'extern': return r.name;
  }
}

test('corpus: programs, functions and relocations agree with llvm-readelf', (t) => {
  if (!need(t, { tools: ['clang', 'llvm-readelf'] })) return;
  for (const name of corpusNames()) {
    const path = corpusObject(name);
    const obj = parseObject(readFileSync(path));
    const syms = run('llvm-readelf', ['-s', '-S', path]).stdout;
    const secNames = new Map([...syms.matchAll(/^ {2}\[ *(\d+)\] (\S+)/gm)].map((m) => [m[1]!, m[2]!]));
    const funcs = [...syms.matchAll(/^ +\d+: [0-9a-f]+ +\d+ FUNC +(\w+) +\w+ +(\d+) (\S+)$/gm)].map((m) => ({ bind: m[1], section: secNames.get(m[2]!)!, name: m[3]! }));
    assert.deepEqual(obj.programs.map((p) => p.name).sort(), funcs.filter((f) => f.section !== '.text').map((f) => f.name).sort(), name);
    assert.deepEqual(obj.functions.map((p) => p.name).sort(), funcs.filter((f) => f.section === '.text').map((f) => f.name).sort(), name);
    for (const section of new Set([...obj.programs, ...obj.functions].map((f) => f.section))) {
      const fns = [...obj.programs, ...obj.functions].filter((f) => f.section === section);
      const ours = fns.flatMap((f) => f.relocations.map((r) => [f.offset + r.insn * 8, relocName(obj, r)] as [number, string])).sort((a, b) => a[0] - b[0]);
      assert.deepEqual(ours, llvmRelocs(path, section), `${name} ${section}`);
    }
    assert.equal(obj.license, 'GPL');
    for (const p of obj.programs) {
      assert.equal(p.type?.progTypeName, 'BPF_PROG_TYPE_XDP', `${name} ${p.name}`);
      assert.ok(p.funcTypeId !== undefined && p.lineInfo.length > 0, `${name} ${p.name} has BTF.ext info`);
      assert.equal(p.slots.length * 8, p.bytes.length);
    }
  }
});

test('corpus: maps and globals agree with the C sources and bpftool btf dump', (t) => {
  if (!need(t, { tools: ['clang', 'bpftool'] })) return;
  const M = bpf_map_type;
  const expected: Record<string, [string, number, number, number, number][]> = {
    hello: [],
    percpu_counter: [['xdp_stats_map', M.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 5]],
    udp_drop: [['drops', M.BPF_MAP_TYPE_HASH, 4, 8, 1024]],
    ringbuf: [['events', M.BPF_MAP_TYPE_RINGBUF, 0, 0, 256 * 1024]],
    calls: [['jump_table', M.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4]],
    atomics: [],
  };
  for (const name of corpusNames()) {
    const path = corpusObject(name);
    const obj = parseObject(readFileSync(path));
    const dump = run('bpftool', ['btf', 'dump', 'file', path]).stdout;
    const datasecVars = (sec: string): string[] => {
      const m = new RegExp(`DATASEC '${sec.replace('.', '\\.')}' size=\\d+ vlen=\\d+\\n((?:\\t.*\\n?)*)`).exec(dump);
      return m ? [...m[1]!.matchAll(/\(VAR '([^']+)'\)/g)].map((x) => x[1]!) : [];
    };
    const btfMaps = obj.maps.filter((m) => m.kind === 'btf');
    assert.deepEqual(btfMaps.map((m) => m.name).sort(), datasecVars('.maps').sort(), name);
    if (expected[name]) assert.deepEqual(btfMaps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), expected[name], name);
    for (const m of obj.maps.filter((x) => x.kind === 'data')) {
      assert.deepEqual(m.variables!.map((v) => v.name).sort(), datasecVars(m.name).sort(), `${name} ${m.name}`);
      assert.equal(m.readonly, m.name.startsWith('.rodata'));
      // The DATASEC in the load-ready BTF carries the section size and real offsets.
      const ds = obj.btf!.type(m.valueTypeId!);
      assert.ok(ds.kind === 'DATASEC' && ds.size === m.valueSize);
    }
  }
  const udp = parseObject(readFileSync(corpusObject('udp_drop')));
  const rodata = udp.maps.find((m) => m.name === '.rodata')!;
  const port = rodata.variables!.find((v) => v.name === 'blocked_port')!;
  assert.equal(new DataView(rodata.data!.buffer, rodata.data!.byteOffset).getUint16(port.offset, true), 9999);
  assert.deepEqual(udp.maps.find((m) => m.name === '.bss')!.variables!.map((v) => [v.name, v.offset, v.size]), [['seen_packets', 0, 8], ['non_ip_packets', 8, 8]]);
  const calls = parseObject(readFileSync(corpusObject('calls')));
  assert.deepEqual(calls.programs.map((p) => p.relocations.filter((r) => r.kind === 'call').map((r) => (r as { target: string }).target)), [['packet_len'], ['packet_len']]);
});

test('section names map to program and attach types (libbpf conventions)', () => {
  const cases: [string, string | undefined, string | undefined, string?][] = [
    ['xdp', 'BPF_PROG_TYPE_XDP', 'BPF_XDP'],
    ['xdp.frags', 'BPF_PROG_TYPE_XDP', 'BPF_XDP'],
    ['xdp/devmap', 'BPF_PROG_TYPE_XDP', 'BPF_XDP_DEVMAP'],
    ['xdp/hello', 'BPF_PROG_TYPE_XDP', 'BPF_XDP', 'hello'],
    ['tc', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
    ['classifier', 'BPF_PROG_TYPE_SCHED_CLS', undefined],
    ['kprobe/do_unlinkat', 'BPF_PROG_TYPE_KPROBE', undefined, 'do_unlinkat'],
    ['kretprobe/do_unlinkat', 'BPF_PROG_TYPE_KPROBE', undefined, 'do_unlinkat'],
    ['tracepoint/syscalls/sys_enter_write', 'BPF_PROG_TYPE_TRACEPOINT', undefined, 'syscalls/sys_enter_write'],
    ['tp/sched/sched_switch', 'BPF_PROG_TYPE_TRACEPOINT', undefined, 'sched/sched_switch'],
    ['socket', 'BPF_PROG_TYPE_SOCKET_FILTER', undefined],
    ['cgroup_skb/ingress', 'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_CGROUP_INET_INGRESS'],
    ['cgroup_skb/egress', 'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_CGROUP_INET_EGRESS'],
    ['fentry/do_unlinkat', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FENTRY', 'do_unlinkat'],
    ['fexit/do_unlinkat', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_FEXIT', 'do_unlinkat'],
    ['lsm/file_open', 'BPF_PROG_TYPE_LSM', 'BPF_LSM_MAC', 'file_open'],
    ['raw_tp/sys_enter', 'BPF_PROG_TYPE_RAW_TRACEPOINT', undefined, 'sys_enter'],
    ['perf_event', 'BPF_PROG_TYPE_PERF_EVENT', undefined],
    ['sk_msg', 'BPF_PROG_TYPE_SK_MSG', 'BPF_SK_MSG_VERDICT'],
    ['sockops', 'BPF_PROG_TYPE_SOCK_OPS', 'BPF_CGROUP_SOCK_OPS'],
    ['uprobe//bin/bash:readline', 'BPF_PROG_TYPE_KPROBE', undefined, '/bin/bash:readline'],
    ['tp_btf/sched_switch', 'BPF_PROG_TYPE_TRACING', 'BPF_TRACE_RAW_TP', 'sched_switch'],
    ['cgroup/sysctl', 'BPF_PROG_TYPE_CGROUP_SYSCTL', 'BPF_CGROUP_SYSCTL'],
    ['cgroup/getsockopt', 'BPF_PROG_TYPE_CGROUP_SOCKOPT', 'BPF_CGROUP_GETSOCKOPT'],
    ['sk_skb/stream_verdict', 'BPF_PROG_TYPE_SK_SKB', 'BPF_SK_SKB_STREAM_VERDICT'],
    ['lsm.s/bprm_check_security', 'BPF_PROG_TYPE_LSM', 'BPF_LSM_MAC', 'bprm_check_security'],
    ['nonsense', undefined, undefined],
    ['.text', undefined, undefined],
  ];
  for (const [sec, prog, attach, target] of cases) {
    const t = sectionProgramType(sec);
    assert.equal(t?.progTypeName, prog, sec);
    assert.equal(t?.attachTypeName, attach, sec);
    assert.equal(t?.attachTarget, target, sec);
  }
  assert.equal(sectionProgramType('lsm.s/x')!.sleepable, true);
  assert.equal(sectionProgramType('xdp.frags')!.xdpFrags, true);
  assert.equal(sectionProgramType('fentry/x')!.needsAttachBtf, true);
  assert.equal(sectionProgramType('xdp')!.attachTypeOptional, true);
});

test('the BTF fixture object parses: static function with tags, tracepoint program, .bss variables', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const obj = parseObject(readFileSync(kindsObject()));
  assert.deepEqual(obj.programs.map((p) => [p.name, p.type?.progTypeName, p.type?.attachTarget]), [
    ['tp', 'BPF_PROG_TYPE_TRACEPOINT', 'syscalls/sys_enter_write'], ['core_reader', 'BPF_PROG_TYPE_TRACING', 'sched_switch']]);
  assert.deepEqual(obj.btfExt!.coreRelo.map((s) => [s.section, s.records.map((r) => [r.insnOff, r.accessStr, r.kind])]), [['tp_btf/sched_switch', [[0, '0:1', 0], [8, '0:2', 1]]]]);
  assert.equal(obj.btf!.typeName(obj.btfExt!.coreRelo[0]!.records[0]!.typeId), 'struct task_like');
  assert.deepEqual(obj.functions.map((f) => [f.name, f.global]), [['helper', false]]);
  assert.deepEqual(obj.maps.find((m) => m.name === '.bss')!.variables!.map((v) => [v.name, v.offset, v.size]), [['gbits', 0, 56], ['tagged_ptr', 56, 8]]);
});

test('map-in-map, prog array slots, pinning and flags from a clang object', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const obj = parseObject(readFileSync(compileC(fileURLToPath(new URL('../../../test/object/fixtures/mapinmap.bpf.c', import.meta.url)))));
  const M = bpf_map_type;
  const maps = new Map(obj.maps.map((m) => [m.name, m]));
  const outer = maps.get('outer')!;
  assert.deepEqual([outer.type, outer.keySize, outer.valueSize, outer.maxEntries], [M.BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2]);
  assert.deepEqual(outer.inner && [outer.inner.type, outer.inner.keySize, outer.inner.valueSize, outer.inner.maxEntries], [M.BPF_MAP_TYPE_ARRAY, 4, 8, 4]);
  assert.deepEqual(outer.initSlots, [{ index: 1, target: 'inner1' }]);
  const progs = maps.get('progs')!;
  assert.deepEqual([progs.type, progs.keySize, progs.valueSize, progs.initSlots], [M.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, [{ index: 2, target: 'target' }]]);
  const pinned = maps.get('pinned')!;
  assert.deepEqual([pinned.flags, pinned.pinning], [1, 1]);
  assert.deepEqual(obj.programs.find((p) => p.name === 'entry')!.relocations.filter((r) => r.kind === 'map').map((r) => (r as { map: string }).map), ['outer', 'pinned', 'progs']);
});

test('legacy `maps` section: struct bpf_map_def entries', () => {
  const defs = new Uint8Array(40);
  const v = new DataView(defs.buffer);
  [1, 4, 8, 100, 0, 2, 4, 16, 1, 0].forEach((x, i) => v.setUint32(i * 4, x, true));
  const code = encode([{ kind: 'lddw', dst: 1, pseudo: 'none', imm: 0n }, { kind: 'exit' }]);
  const obj = parseObject(writeElf({
    sections: [{ name: 'xdp', flags: E.SHF_ALLOC | E.SHF_EXECINSTR, data: code }, { name: 'maps', flags: E.SHF_ALLOC | E.SHF_WRITE, data: defs }],
    symbols: [{ name: 'prog', section: 'xdp', type: E.STT_FUNC, size: code.length }, { name: 'hash', section: 'maps', type: E.STT_OBJECT, value: 0, size: 20 }, { name: 'arr', section: 'maps', type: E.STT_OBJECT, value: 20, size: 20 }],
    relocations: [{ section: 'xdp', offset: 0, type: E.R_BPF_64_64, symbol: 'arr' }],
  }));
  assert.deepEqual(obj.maps.map((m) => [m.name, m.kind, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), [['hash', 'legacy', 1, 4, 8, 100, 0], ['arr', 'legacy', 2, 4, 16, 1, 0]]);
  assert.deepEqual(obj.programs[0]!.relocations, [{ kind: 'map', insn: 0, map: 'arr' }]);
});

/** A minimal object around one code section, for relocation errors. */
function codeObject(code: Uint8Array, extra: Partial<Parameters<typeof writeElf>[0]> = {}): Uint8Array {
  return writeElf({
    sections: [{ name: 'xdp', flags: E.SHF_ALLOC | E.SHF_EXECINSTR, data: code }, { name: '.data', flags: E.SHF_ALLOC | E.SHF_WRITE, data: new Uint8Array(8) }, ...(extra.sections ?? [])],
    symbols: [{ name: 'prog', section: 'xdp', type: E.STT_FUNC, size: code.length }, { name: 'g', section: '.data', type: E.STT_OBJECT, size: 8 }, ...(extra.symbols ?? [])],
    relocations: extra.relocations,
  });
}

test('inconsistent objects are ObjectErrors naming the place', () => {
  const code = encode([{ kind: 'alu', width: 64, op: 'mov', dst: 0, imm: 0 }, { kind: 'lddw', dst: 1, pseudo: 'none', imm: 0n }, { kind: 'call', target: 'func', imm: 5 }, { kind: 'exit' }]);
  const bad = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(() => parseObject(bytes), (e: unknown) => e instanceof ObjectError && pattern.test(e.message));
  };
  bad(codeObject(code, { relocations: [{ section: 'xdp', offset: 0, type: E.R_BPF_64_64, symbol: 'g' }] }), /relocation at 0x[0-9a-f]+ .*instruction 0 \(opcode 0xb7\) cannot be relocated/);
  bad(codeObject(code, { relocations: [{ section: 'xdp', offset: 12, type: E.R_BPF_64_64, symbol: 'g' }] }), /not at an instruction boundary/);
  bad(codeObject(code, { relocations: [{ section: 'xdp', offset: 24, type: E.R_BPF_64_32, symbol: 'prog' }] }), /call target 'prog'\+5 .* is not the start of a function/);
  bad(codeObject(code, { relocations: [{ section: 'xdp', offset: 8, type: E.R_BPF_64_ABS64, symbol: 'g' }] }), /has type R_BPF_64_ABS64/);
  bad(codeObject(code, { sections: [{ name: '.maps', flags: E.SHF_ALLOC | E.SHF_WRITE, data: new Uint8Array(32) }], symbols: [{ name: 'm', section: '.maps', type: E.STT_OBJECT, size: 32 }] }), /'.maps' .* defines BTF maps but the object has no .BTF section/);
  bad(codeObject(code.subarray(0, 12)), /not a multiple of 8|not a whole number/);
  assert.deepEqual(parseObject(codeObject(code, { relocations: [{ section: 'xdp', offset: 8, type: E.R_BPF_64_64, symbol: 'g' }] })).programs[0]!.relocations,
    [{ kind: 'data', insn: 1, section: '.data', offset: 0, symbol: 'g' }]);
});
