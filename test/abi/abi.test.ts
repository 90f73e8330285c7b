/** Spot checks of the generated ABI tables and the lookups over them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BPF_ALU64, BPF_ATOMIC, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_JMP32, BPF_LD, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_XCHG, BPF_F_NO_PREALLOC, XDP_FLAGS_DRV_MODE,
  XDP_FLAGS_SKB_MODE, allHelpers, attachTypeByName, bpf_attach_type, bpf_cmd, bpf_link_type, bpf_map_type,
  bpf_prog_type, enumName, helperById, helperByName, mapTypeName, parseCType, progTypeByName, progTypeName, xdp_action,
} from '../../src/abi/index.js';

test('helper ids and names', () => {
  assert.equal(helperByName('trace_printk')?.id, 6);
  assert.equal(helperByName('bpf_trace_printk')?.id, 6);
  assert.equal(helperByName('map_lookup_elem')?.id, 1);
  assert.equal(helperByName('ringbuf_reserve')?.id, 131);
  assert.equal(helperById(12)?.name, 'tail_call');
  assert.equal(helperById(6)?.cName, 'bpf_trace_printk');
  assert.equal(helperById(0), undefined);
  assert.equal(helperByName('no_such_helper'), undefined);
  const all = allHelpers();
  assert.ok(all.length >= 200, `only ${all.length} helpers`);
  assert.deepEqual(all.map((h) => h.id), all.map((_, i) => i + 1), 'ids are 1..N without gaps');
});

test('helper signatures parse into C types', () => {
  const printk = helperByName('trace_printk')!.sigs[0]!;
  assert.equal(printk.ret, 'long');
  assert.equal(printk.variadic, true);
  assert.deepEqual(printk.args.map(([t]) => t), ['const char *', 'u32']);
  const lookup = helperByName('map_lookup_elem')!.sigs[0]!;
  assert.deepEqual(parseCType(lookup.ret), { text: 'void *', kind: 'pointer', pointee: { text: 'void', kind: 'void' }, pointeeConst: false });
  assert.equal(parseCType(lookup.args[0]![0])?.pointee?.tag, 'bpf_map');
  assert.ok(helperByName('get_socket_cookie')!.sigs.length > 1, 'overloads kept');
  for (const h of allHelpers()) {
    for (const s of h.sigs) {
      for (const t of [s.ret, ...s.args.map(([a]) => a)]) assert.ok(parseCType(t), `${h.cName}: C type '${t}' does not parse`);
    }
  }
  assert.deepEqual(parseCType('u32'), { text: 'u32', kind: 'int', bits: 32, signed: false });
  assert.equal(parseCType('struct bpf_sock **')?.pointee?.pointee?.tag, 'bpf_sock');
  assert.equal(parseCType('frobnicator'), null);
});

test('enums', () => {
  assert.equal(xdp_action.XDP_PASS, 2);
  assert.equal(xdp_action.XDP_ABORTED, 0);
  assert.equal(bpf_prog_type.BPF_PROG_TYPE_XDP, 6);
  assert.equal(bpf_cmd.BPF_MAP_CREATE, 0);
  assert.equal(bpf_cmd.BPF_PROG_LOAD, 5);
  assert.equal(bpf_cmd.BPF_LINK_CREATE, 28);
  assert.equal(bpf_map_type.BPF_MAP_TYPE_RINGBUF, 27);
  assert.equal(bpf_attach_type.BPF_XDP, 37);
  assert.equal(bpf_link_type.BPF_LINK_TYPE_XDP, 6);
  assert.equal(enumName(bpf_prog_type, 6), 'BPF_PROG_TYPE_XDP');
  assert.equal(progTypeByName('xdp'), 6);
  assert.equal(progTypeByName('BPF_PROG_TYPE_XDP'), 6);
  assert.equal(progTypeName(6), 'xdp');
  assert.equal(mapTypeName(6), 'percpu_array');
  assert.equal(attachTypeByName('xdp'), 37);
  assert.equal(progTypeByName('nope'), undefined);
});

test('constants: opcodes, pseudo sources, flags', () => {
  assert.equal(BPF_LD, 0);
  assert.equal(BPF_JMP32, 6);
  assert.equal(BPF_ALU64, 7);
  assert.equal(BPF_DW, 0x18);
  assert.equal(BPF_ATOMIC, 0xc0);
  assert.equal(BPF_FETCH, 1);
  assert.equal(BPF_XCHG, 0xe1);
  assert.equal(BPF_CMPXCHG, 0xf1);
  assert.deepEqual([BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_PSEUDO_FUNC, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL], [1, 2, 4, 1, 2]);
  assert.equal(BPF_F_NO_PREALLOC, 1);
  assert.equal(XDP_FLAGS_SKB_MODE, 2);
  assert.equal(XDP_FLAGS_DRV_MODE, 4);
});
