/**
 * Typed maps against the kernel, through an object with one map of every common type: BTF codecs,
 * get/set/delete/has/iteration, batch operations, per-CPU arrays, LPM lookups, queue/stack,
 * devmap/cpumap slots, pinning and opening pinned maps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bpf_map_type as T } from '../../src/abi/index.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { BpfMap, MapError, QueueMap, codecs, openPinnedMap } from '../../src/maps/index.js';
import { SysError, possibleCpus } from '../../src/sys/bpf.js';
import { compileC } from '../helpers/corpus.js';
import { findTool, need } from '../helpers/env.js';
import { unique } from '../helpers/netns.js';
import { spawnSync } from 'node:child_process';

const FIXTURE = fileURLToPath(new URL('../../../test/loader/fixtures/all_maps.bpf.c', import.meta.url));

interface Pair { a: number; b: number; flag: number; tag: string; big: bigint }

async function withMaps(fn: (o: LoadedObject) => void | Promise<void>): Promise<void> {
  const obj = await loadObject(compileC(FIXTURE));
  try {
    await fn(obj);
  } finally {
    obj.close();
  }
}

test('every common map type is created with the right kernel type and sizes', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withMaps((obj) => {
    const want: Record<string, [number, number, number, number]> = {
      m_array: [T.BPF_MAP_TYPE_ARRAY, 4, 8, 8],
      m_hash: [T.BPF_MAP_TYPE_HASH, 4, 24, 512],
      m_percpu_array: [T.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 4],
      m_percpu_hash: [T.BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 64],
      m_lru: [T.BPF_MAP_TYPE_LRU_HASH, 4, 4, 64],
      m_ringbuf: [T.BPF_MAP_TYPE_RINGBUF, 0, 0, 16384],
      m_perf: [T.BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, possibleCpus()],
      m_progs: [T.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4],
      m_lpm: [T.BPF_MAP_TYPE_LPM_TRIE, 8, 4, 16],
      m_queue: [T.BPF_MAP_TYPE_QUEUE, 0, 4, 8],
      m_stack: [T.BPF_MAP_TYPE_STACK, 0, 4, 8],
      m_devmap: [T.BPF_MAP_TYPE_DEVMAP, 4, 4, 4],
      m_cpumap: [T.BPF_MAP_TYPE_CPUMAP, 4, 4, 2],
      m_xsk: [T.BPF_MAP_TYPE_XSKMAP, 4, 4, 4],
    };
    for (const [name, [type, k, v, n]] of Object.entries(want)) {
      const info = obj.map(name).info();
      assert.deepEqual([info.type, info.keySize, info.valueSize, info.maxEntries], [type, k, v, n], name);
      assert.equal(info.name, name);
    }
    assert.ok(obj.map('m_hash').info().btfValueTypeId > 0, 'BTF value type passed to the kernel');
    assert.ok(obj.queue('m_queue') instanceof QueueMap);
  });
});

test('hash map with a BTF struct value: get/set/has/delete/keys/entries and flags', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withMaps((obj) => {
    const m = obj.map<number, Pair>('m_hash');
    assert.equal(m.keyCodec.typeName, '__u32');
    assert.equal(m.valueCodec.typeName, 'struct pair');
    m.set(1, { a: 7, b: 65535, flag: 1, tag: 'abcd', big: 1n << 40n });
    m.set(2, { a: 8, b: 0, flag: 0, tag: '', big: 0n });
    assert.deepEqual(m.get(1), { a: 7, b: 65535, flag: 1, tag: 'abcd', big: 1n << 40n });
    assert.equal(m.get(3), undefined);
    assert.equal(m.has(2), true);
    assert.throws(() => m.set(1, { a: 1, b: 1, flag: 0, tag: '', big: 0n }, 'noexist'), (e: unknown) => e instanceof SysError && e.code === 'EEXIST');
    assert.throws(() => m.set(9, { a: 1, b: 1, flag: 0, tag: '', big: 0n }, 'exist'), (e: unknown) => e instanceof SysError && e.code === 'ENOENT');
    // Missing fields are zero.
    m.set(4, { a: 3 } as Pair);
    assert.deepEqual(m.get(4), { a: 3, b: 0, flag: 0, tag: '', big: 0n });
    assert.deepEqual([...m.keys()].sort(), [1, 2, 4]);
    assert.deepEqual(new Map(m.entries()).get(2)?.a, 8);
    assert.equal(m.delete(2), true);
    assert.equal(m.delete(2), false);
    assert.throws(() => m.set(5, { a: 'x' } as unknown as Pair), (e: unknown) => e instanceof Error && /expected an integer/.test(e.message));
  });
});

test('batch operations: setMany, readAll, deleteMany, clear', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withMaps((obj) => {
    const m = obj.map<number, Pair>('m_hash');
    const entries: [number, Pair][] = Array.from({ length: 300 }, (_, i) => [i, { a: i, b: i % 7, flag: i % 2, tag: `t${i % 100}`, big: BigInt(i) * 3n }]);
    assert.equal(m.setMany(entries), 300);
    const all = new Map(m.readAll(64));
    assert.equal(all.size, 300);
    for (const [k, v] of entries) assert.deepEqual(all.get(k), v);
    assert.equal(m.deleteMany([0, 1, 2, 1000, 3]), 4);
    assert.equal(new Map(m.readAll()).size, 296);
    m.clear();
    assert.equal([...m.keys()].length, 0);
    // Arrays: batch lookup works too, and clear() zeroes.
    const arr = obj.map<number, bigint>('m_array');
    arr.setMany([[0, 5n], [7, 9n]]);
    assert.deepEqual(arr.readAll(), [[0, 5n], [1, 0n], [2, 0n], [3, 0n], [4, 0n], [5, 0n], [6, 0n], [7, 9n]]);
    assert.throws(() => arr.delete(0), (e: unknown) => e instanceof MapError && /cannot be deleted/.test(e.message));
    arr.clear();
    assert.equal(arr.get(7), 0n);
  });
});

test('per-CPU maps: arrays of possible-CPU length, one value replicated or one per CPU', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withMaps((obj) => {
    const n = possibleCpus();
    const pa = obj.map<number, number[]>('m_percpu_array');
    pa.set(1, Array.from({ length: n }, (_, i) => 10 + i));
    assert.deepEqual(pa.get(1), Array.from({ length: n }, (_, i) => 10 + i));
    const ph = obj.map<bigint, bigint[]>('m_percpu_hash');
    ph.set(1n << 33n, 5n as unknown as bigint[]);
    assert.deepEqual(ph.get(1n << 33n), Array(n).fill(5n));
    assert.deepEqual(ph.readAll(), [[1n << 33n, Array(n).fill(5n)]]);
  });
});

test('LPM trie longest-prefix lookups, LRU eviction, queue FIFO, stack LIFO', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withMaps((obj) => {
    const lpm = obj.map<{ prefixlen: number; addr: number[] }, number>('m_lpm');
    lpm.set({ prefixlen: 8, addr: [10, 0, 0, 0] }, 1);
    lpm.set({ prefixlen: 24, addr: [10, 1, 2, 0] }, 2);
    assert.equal(lpm.get({ prefixlen: 32, addr: [10, 1, 2, 3] }), 2);
    assert.equal(lpm.get({ prefixlen: 32, addr: [10, 9, 9, 9] }), 1);
    assert.equal(lpm.get({ prefixlen: 32, addr: [11, 0, 0, 1] }), undefined);

    const lru = obj.map<number, number>('m_lru');
    for (let i = 0; i < 500; i++) lru.set(i, i);
    const kept = [...lru.keys()].length;
    assert.ok(kept > 0 && kept <= 64, `LRU holds at most max_entries (${kept})`);

    const q = obj.queue<number>('m_queue');
    q.push(1); q.push(2); q.push(3);
    assert.equal(q.peek(), 1);
    assert.deepEqual(q.drain(), [1, 2, 3]);
    assert.equal(q.pop(), undefined);
    for (let i = 0; i < 8; i++) q.push(i);
    assert.throws(() => q.push(99), (e: unknown) => e instanceof SysError && e.code === 'E2BIG');
    q.push(99, { overwrite: true });
    assert.deepEqual(q.drain(), [1, 2, 3, 4, 5, 6, 7, 99]);
    assert.throws(() => q.get(), (e: unknown) => e instanceof MapError && /push\(\), pop\(\)/.test(e.hint ?? ''));

    const s = obj.queue<number>('m_stack');
    s.push(1); s.push(2); s.push(3);
    assert.deepEqual(s.drain(), [3, 2, 1]);
  });
});

test('devmap and cpumap slots; the XDP program uses the maps under testRun', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withMaps((obj) => {
    const dev = obj.map<number, number>('m_devmap');
    dev.set(0, 1); // ifindex 1: lo
    assert.equal(dev.get(0), 1);
    const cpu = obj.map<number, number>('m_cpumap');
    cpu.set(0, 192); // qsize
    assert.equal(cpu.get(0), 192);
    assert.equal(cpu.delete(0), true);
    const packet = new Uint8Array(64);
    obj.program('use_maps').testRun(packet, { repeat: 3 });
    assert.equal(obj.map<number, bigint>('m_array').get(0), 3n * 42n);
    assert.equal(obj.readGlobal('lookups'), 3);
    assert.deepEqual(obj.queue<number>('m_queue').drain(), [64, 64, 64]);
  });
});

test('pin, open pinned, unpin; programs too', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'bpftool'] })) return;
  const dir = `/sys/fs/bpf/${unique('tsbpf-maps')}`;
  try {
    await withMaps((obj) => {
      const m = obj.map<number, bigint>('m_array');
      m.set(3, 33n);
      m.pin(`${dir}/m_array`);
      const r = spawnSync(findTool('bpftool')!, ['-j', 'map', 'show', 'pinned', `${dir}/m_array`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).id, m.info().id);
      const opened = openPinnedMap(`${dir}/m_array`, { key: codecs.u32, value: codecs.u64 });
      try {
        assert.equal(opened.get(3), 33n);
        assert.equal(opened.name, 'm_array');
      } finally {
        opened.close();
      }
      const raw = BpfMap.fromPin(`${dir}/m_array`);
      try {
        assert.deepEqual([...raw.get(new Uint8Array([3, 0, 0, 0]))!], [33, 0, 0, 0, 0, 0, 0, 0]);
      } finally {
        raw.close();
      }
      const q = openPinnedMap(`${dir}/m_array`);
      q.close();
      m.unpin();
      assert.equal(existsSync(`${dir}/m_array`), false);
      const p = obj.program('use_maps');
      p.pin(`${dir}/prog`);
      assert.equal(existsSync(`${dir}/prog`), true);
      p.unpin();
      assert.equal(existsSync(`${dir}/prog`), false);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pins outside bpffs are refused with a hint', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withMaps((obj) => {
    assert.throws(() => obj.map('m_array').pin(`/tmp/${unique('tsbpf-nopin')}/m`), (e: unknown) => e instanceof Error && /not on a bpffs mount/.test(e.message));
  });
});
