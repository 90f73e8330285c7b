/** The bpf(2) wrappers against the real kernel: maps, programs, test runs, pins, ids, info, links, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { bpf_attach_type, bpf_map_type, bpf_prog_type, BPF_F_NO_PREALLOC, BPF_NOEXIST } from '../../src/abi/index.js';
import {
  E, SysError, VerifierError, allIds, btfLoad, BtfLoadError, getFdById, mapCreate, mapDeleteBatch, mapDeleteElem,
  mapFreeze, mapGetNextKey, mapInfo, mapLookupAndDeleteElem, mapLookupBatch, mapLookupElem, mapUpdateBatch,
  mapUpdateElem, objGet, objPin, possibleCpus, progInfo, progLoad, progTestRun, type Fd,
} from '../../src/sys/bpf.js';
import { ensureBpffs } from '../../src/sys/mount.js';
import { BtfBuilder } from '../../src/btf/index.js';
import { need, findTool } from '../helpers/env.js';
import { unique, withNetns } from '../helpers/netns.js';
import { asm, distUrl, returns, runChild, unprivilegedPrefix } from './bpf-fixtures.js';

const M = bpf_map_type;
const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };
const u64 = (n: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };
const readU64 = (b: Uint8Array, off = 0) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(off, true));

function withFds<T>(fn: (keep: (fd: Fd) => Fd) => T): T {
  const fds: Fd[] = [];
  try {
    return fn((fd) => { fds.push(fd); return fd; });
  } finally {
    for (const fd of fds) fd.close();
  }
}

test('hash map: update, lookup, next key, delete, full map, flags', (t) => {
  if (!need(t, { kernel: true })) return;
  withFds((keep) => {
    const m = keep(mapCreate({ type: M.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: 'test_hash' }));
    for (let i = 1; i <= 4; i++) mapUpdateElem(m, u32(i), u64(i * 100));
    const v = new Uint8Array(8);
    assert.equal(mapLookupElem(m, u32(3), v), true);
    assert.equal(readU64(v), 300);
    assert.equal(mapLookupElem(m, u32(9), v), false);
    // Full: a new key is refused with E2BIG and a hint saying so.
    assert.throws(() => mapUpdateElem(m, u32(5), u64(1)), (e: unknown) => e instanceof SysError && e.errno === E.E2BIG && /full/.test(e.hint ?? ''));
    assert.throws(() => mapUpdateElem(m, u32(1), u64(1), BPF_NOEXIST), (e: unknown) => e instanceof SysError && e.code === 'EEXIST');
    const keys: number[] = [];
    const next = new Uint8Array(4);
    for (let k: Uint8Array | null = null; mapGetNextKey(m, k, next); k = Uint8Array.from(next)) keys.push(new DataView(next.buffer).getUint32(0, true));
    assert.deepEqual(keys.sort(), [1, 2, 3, 4]);
    assert.equal(mapDeleteElem(m, u32(2)), true);
    assert.equal(mapDeleteElem(m, u32(2)), false);
    const info = mapInfo(m);
    assert.deepEqual([info.type, info.keySize, info.valueSize, info.maxEntries, info.name], [M.BPF_MAP_TYPE_HASH, 4, 8, 4, 'test_hash']);
    assert.ok(allIds('map').includes(info.id));
  });
});

test('batch operations on a hash map', (t) => {
  if (!need(t, { kernel: true })) return;
  withFds((keep) => {
    const m = keep(mapCreate({ type: M.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 256, name: 'test_batch' }));
    const n = 200;
    const keys = new Uint8Array(4 * n), values = new Uint8Array(8 * n);
    for (let i = 0; i < n; i++) { keys.set(u32(i), i * 4); values.set(u64(i * 3), i * 8); }
    assert.equal(mapUpdateBatch(m, keys, values, n), n);
    const seen = new Map<number, number>();
    let inBatch: Uint8Array | null = null;
    const outBatch = new Uint8Array(8);
    for (let rounds = 0; rounds < 100; rounds++) {
      const k = new Uint8Array(4 * 64), v = new Uint8Array(8 * 64);
      const r = mapLookupBatch(m, { inBatch, outBatch, keys: k, values: v, count: 64 });
      for (let i = 0; i < r.count; i++) seen.set(new DataView(k.buffer).getUint32(i * 4, true), readU64(v, i * 8));
      if (r.done) break;
      inBatch = Uint8Array.from(outBatch);
    }
    assert.equal(seen.size, n);
    for (const [k, v] of seen) assert.equal(v, k * 3);
    assert.equal(mapDeleteBatch(m, keys.subarray(0, 4 * 50), 50), 50);
    assert.equal(mapLookupElem(m, u32(10), new Uint8Array(8)), false);
    assert.equal(mapLookupElem(m, u32(150), new Uint8Array(8)), true);
  });
});

test('queue: push, pop in order, empty; freeze blocks writes', (t) => {
  if (!need(t, { kernel: true })) return;
  withFds((keep) => {
    const q = keep(mapCreate({ type: M.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 8, name: 'test_queue' }));
    for (const x of [7, 8, 9]) mapUpdateElem(q, null, u32(x));
    const v = new Uint8Array(4);
    const got: number[] = [];
    while (mapLookupAndDeleteElem(q, null, v)) got.push(new DataView(v.buffer).getUint32(0, true));
    assert.deepEqual(got, [7, 8, 9]);
    const a = keep(mapCreate({ type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'test_frozen' }));
    mapUpdateElem(a, u32(0), u32(5));
    mapFreeze(a);
    assert.throws(() => mapUpdateElem(a, u32(0), u32(6)), (e: unknown) => e instanceof SysError && e.code === 'EPERM' && /frozen/.test(e.hint ?? ''));
  });
});

test('map create EINVAL names the suspicious attribute', (t) => {
  if (!need(t, { kernel: true })) return;
  const cases: [Parameters<typeof mapCreate>[0], RegExp][] = [
    [{ type: M.BPF_MAP_TYPE_ARRAY, keySize: 8, valueSize: 4, maxEntries: 1, name: 'bad1' }, /array needs key_size 4 \(got 8\)/],
    [{ type: M.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1000, name: 'bad2' }, /power of 2/],
    [{ type: M.BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 16, name: 'bad3' }, /BPF_F_NO_PREALLOC/],
    [{ type: M.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 0, name: 'bad4' }, /max_entries is 0/],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => mapCreate(o), (e: unknown) => e instanceof SysError && e.code === 'EINVAL' && re.test(e.message) && e.message.includes(`map '${o.name}'`), o.name);
  }
  withFds((keep) => {
    keep(mapCreate({ type: M.BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 16, flags: BPF_F_NO_PREALLOC, name: 'good_lpm' }));
  });
});

test('program load, info, test run, ids and fd by id', (t) => {
  if (!need(t, { kernel: true })) return;
  withFds((keep) => {
    const { fd, log } = progLoad({ type: bpf_prog_type.BPF_PROG_TYPE_XDP, insns: returns(2), license: 'GPL', name: 'a_very_long_program_name' });
    keep(fd);
    assert.equal(log, '');
    const info = progInfo(fd);
    assert.equal(info.name, 'a_very_long_pro'); // 15 characters + NUL
    assert.equal(info.type, bpf_prog_type.BPF_PROG_TYPE_XDP);
    assert.equal(info.tag.length, 16);
    assert.ok(info.gplCompatible);
    const packet = Uint8Array.from({ length: 64 }, (_, i) => i);
    const r = progTestRun(fd, { data: packet, repeat: 5 });
    assert.equal(r.retval, 2);
    assert.deepEqual([...r.data], [...packet]);
    assert.ok(allIds('prog').includes(info.id));
    const again = keep(getFdById('prog', info.id));
    assert.equal(progInfo(again).id, info.id);
    assert.throws(() => getFdById('prog', 0x7ffffff0), (e: unknown) => e instanceof SysError && e.code === 'ENOENT' && /unloaded/.test(e.hint ?? ''));
    // Asking for the log on success returns it, growing a too-small buffer (ENOSPC) until it fits.
    const many = asm(...Array.from({ length: 300 }, (_, i): [number, number, number, number, number] => [0xb7, 0, 0, 0, i]), [0x95, 0, 0, 0, 0]);
    const logged = progLoad({ type: bpf_prog_type.BPF_PROG_TYPE_XDP, insns: many, license: 'GPL', name: 'logged', logLevel: 2, logSize: 4096 });
    keep(logged.fd);
    assert.ok(logged.log.length > 4096, `log of ${logged.log.length} bytes`);
    assert.match(logged.log, /^func#0 @0|^0: R1=ctx/m);
    assert.match(logged.log, /processed 301 insns/);
  });
});

test('verifier rejection: VerifierError with the cause line and instruction, full log attached', (t) => {
  if (!need(t, { kernel: true })) return;
  // r2 = 0; r0 = *(u8 *)(r2 + 0); exit  → R2 invalid mem access 'scalar'
  const insns = asm([0xb7, 2, 0, 0, 0], [0x71, 0, 2, 0, 0], [0x95, 0, 0, 0, 0]);
  assert.throws(
    () => progLoad({ type: bpf_prog_type.BPF_PROG_TYPE_XDP, insns, license: 'GPL', name: 'rejected' }),
    (e: unknown) => {
      assert.ok(e instanceof VerifierError, String(e));
      assert.equal(e.reason, "R2 invalid mem access 'scalar'");
      assert.equal(e.insn, 1);
      assert.match(e.message, /^verifier rejected program 'rejected': R2 invalid mem access 'scalar' \(insn 1\)/);
      assert.match(e.log, /processed \d+ insns/);
      assert.equal(e.kind, 'VERIFIER');
      return true;
    },
  );
  // Not a verifier problem: an unknown program type is a plain SysError.
  assert.throws(() => progLoad({ type: 9999, insns: returns(0), license: 'GPL' }), (e: unknown) => e instanceof SysError && e.code === 'EINVAL');
});

test('pin and get under bpffs', (t) => {
  if (!need(t, { kernel: true })) return;
  ensureBpffs();
  const dir = `/sys/fs/bpf/${unique('tsbpf-sys')}`;
  mkdirSync(dir);
  try {
    withFds((keep) => {
      const m = keep(mapCreate({ type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, name: 'pinned' }));
      mapUpdateElem(m, u32(1), u32(77));
      objPin(m, `${dir}/m`);
      const again = keep(objGet(`${dir}/m`));
      const v = new Uint8Array(4);
      assert.ok(mapLookupElem(again, u32(1), v));
      assert.equal(new DataView(v.buffer).getUint32(0, true), 77);
      assert.equal(mapInfo(again).id, mapInfo(m).id);
      assert.throws(() => objGet(`${dir}/missing`), (e: unknown) => e instanceof SysError && e.code === 'ENOENT');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('BTF load: good BTF gives an fd, bad BTF a BtfLoadError with the kernel log', (t) => {
  if (!need(t, { kernel: true })) return;
  const b = new BtfBuilder();
  const int = b.addInt('int', 4, { signed: true });
  b.addStruct('pair', 8, [{ name: 'a', type: int, bitOffset: 0 }, { name: 'b', type: int, bitOffset: 32 }]);
  withFds((keep) => { keep(btfLoad(b.encode())); });
  const bad = new BtfBuilder();
  const i2 = bad.addInt('int', 4, { signed: true });
  bad.addStruct('broken', 4, [{ name: 'a', type: i2, bitOffset: 0 }, { name: 'b', type: i2, bitOffset: 32 }]); // member past the end
  assert.throws(() => btfLoad(bad.encode()), (e: unknown) => e instanceof BtfLoadError && e.code === 'EINVAL' && e.log.length > 0 && /kernel BTF check/.test(e.message));
});

test('possible CPUs matches the kernel', (t) => {
  if (!need(t, { kernel: true })) return;
  assert.ok(possibleCpus() >= 1);
});

test('links, PROG_ATTACH and PROG_QUERY inside a network namespace', async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  await withNetns((ns) => {
    const src = `
import * as B from '${distUrl('src/sys/bpf.js')}';
import { openSync, closeSync } from 'node:fs';
const out = {};
const insns = new Uint8Array([0xb7,0,0,0,2,0,0,0, 0x95,0,0,0,0,0,0,0]);
const xdp = B.progLoad({ type: ${bpf_prog_type.BPF_PROG_TYPE_XDP}, insns, license: 'GPL', name: 'link_test', expectedAttachType: ${bpf_attach_type.BPF_XDP} });
const link = B.linkCreate({ progFd: xdp.fd, targetIfindex: 1, attachType: ${bpf_attach_type.BPF_XDP} });
const li = B.linkInfo(link);
out.linkIfindex = li.xdpIfindex;
out.linkProg = li.progId === B.progInfo(xdp.fd).id;
const xdp2 = B.progLoad({ type: ${bpf_prog_type.BPF_PROG_TYPE_XDP}, insns, license: 'GPL', name: 'link_test2', expectedAttachType: ${bpf_attach_type.BPF_XDP} });
B.linkUpdate(link, xdp2.fd);
out.updated = B.linkInfo(link).progId === B.progInfo(xdp2.fd).id;
xdp2.fd.close();
B.linkDetach(link);
out.afterDetach = B.linkInfo(link).xdpIfindex;
link.close();
const fdis = B.progLoad({ type: ${bpf_prog_type.BPF_PROG_TYPE_FLOW_DISSECTOR}, insns: new Uint8Array([0xb7,0,0,0,0,0,0,0, 0x95,0,0,0,0,0,0,0]), license: 'GPL', name: 'fd_test' });
// Flow dissectors attach to the caller's netns (target_fd 0); queries name the netns by fd.
const netns = openSync('/proc/self/ns/net', 'r');
B.progAttach({ targetFd: 0, progFd: fdis.fd, attachType: ${bpf_attach_type.BPF_FLOW_DISSECTOR} });
out.query = B.progQuery({ targetFd: netns, attachType: ${bpf_attach_type.BPF_FLOW_DISSECTOR} }).progIds.length;
B.progDetach({ targetFd: 0, progFd: fdis.fd, attachType: ${bpf_attach_type.BPF_FLOW_DISSECTOR} });
out.queryAfter = B.progQuery({ targetFd: netns, attachType: ${bpf_attach_type.BPF_FLOW_DISSECTOR} }).progIds.length;
closeSync(netns); xdp.fd.close(); fdis.fd.close();
console.log(JSON.stringify(out));
`;
    const r = runChild(src, { prefix: ns.prefix() });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { linkIfindex: 1, linkProg: true, updated: true, afterDetach: 0, query: 1, queryAfter: 0 });
  });
});

test('no privileges: EPERM SysError with the capabilities hint', (t) => {
  if (!need(t, { kernel: true, tools: ['setpriv'] })) return;
  const prefix = unprivilegedPrefix(findTool('setpriv'))!;
  const src = `
import * as B from '${distUrl('src/sys/bpf.js')}';
try {
  B.mapCreate({ type: 1, keySize: 4, valueSize: 4, maxEntries: 1, name: 'noperm' });
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  console.log(JSON.stringify({ name: e.constructor.name, code: e.code, message: e.message, hint: e.hint }));
}
`;
  const r = runChild(src, { prefix });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.name, 'SysError');
  assert.equal(res.code, 'EPERM');
  assert.match(res.message, /bpf\(BPF_MAP_CREATE\) for map 'noperm' failed: EPERM/);
  assert.match(res.hint, /CAP_BPF and CAP_NET_ADMIN/);
});
