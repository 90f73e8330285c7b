/**
 * Filesystem magic and mounting tracefs/bpffs (in a child whose fresh sysfs has neither, as
 * `ip netns exec` gives), CPU lists, the BPF-output perf_event_attr, perf rings mapped zero-copy,
 * and mappings that read zeros instead of crashing after close().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { BPF_FS_MAGIC, TRACEFS_MAGIC, fsMagic } from '../../src/sys/mount.js';
import { Mapping, PROT_READ, PROT_WRITE, pageSize } from '../../src/sys/mmap.js';
import { PERF_SAMPLE_RAW, bpfOutputAttr, onlineCpus, openBpfOutputEvent, parseCpuList, possibleCpus } from '../../src/sys/perf.js';
import { distUrl, runChild } from './bpf-fixtures.js';

test('fsMagic tells filesystems apart and is undefined for missing paths', () => {
  assert.equal(fsMagic('/proc'), 0x9fa0n);
  assert.equal(fsMagic('/nonexistent/tsbpf'), undefined);
});

test('tracefs and bpffs are mounted where a fresh sysfs has neither', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  await withNetns((ns) => {
    const r = runChild(`
      import { ensureBpffs, ensureTracefs, fsMagic } from '${distUrl('src/sys/mount.js')}';
      const before = { trace: String(fsMagic('/sys/kernel/tracing')), bpf: String(fsMagic('/sys/fs/bpf')) };
      const dir = ensureTracefs();
      const bpf = ensureBpffs();
      ensureBpffs(); // idempotent
      console.log(JSON.stringify({ before, dir, bpf, trace: String(fsMagic(dir)), bpfMagic: String(fsMagic(bpf)) }));
    `, { prefix: ns.prefix() });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.notEqual(out.before.trace, String(TRACEFS_MAGIC), 'the child starts without tracefs');
    assert.notEqual(out.before.bpf, String(BPF_FS_MAGIC));
    assert.equal(out.dir, '/sys/kernel/tracing');
    assert.equal(out.trace, String(TRACEFS_MAGIC));
    assert.equal(out.bpf, '/sys/fs/bpf');
    assert.equal(out.bpfMagic, String(BPF_FS_MAGIC));
  });
});

test('CPU lists', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('0'), [0]);
  assert.throws(() => parseCpuList('0-x'), RangeError);
  assert.throws(() => parseCpuList('5-2'), RangeError);
  assert.ok(onlineCpus().length >= 1);
  assert.ok(possibleCpus().length >= onlineCpus().length);
});

test('perf_event_attr for BPF output events', () => {
  const a = new DataView(bpfOutputAttr().buffer, bpfOutputAttr().byteOffset);
  const attr = bpfOutputAttr({ wakeupEvents: 4 });
  const v = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
  assert.equal(v.getUint32(0, true), 1); // PERF_TYPE_SOFTWARE
  assert.equal(v.getUint32(4, true), attr.byteLength);
  assert.equal(v.getBigUint64(8, true), 10n); // PERF_COUNT_SW_BPF_OUTPUT
  assert.equal(v.getBigUint64(16, true), 1n);
  assert.equal(v.getBigUint64(24, true), BigInt(PERF_SAMPLE_RAW));
  assert.equal(v.getUint32(48, true), 4);
  assert.equal(a.getUint32(48, true), 1);
  const wm = bpfOutputAttr({ wakeupBytes: 4096 });
  const w = new DataView(wm.buffer, wm.byteOffset, wm.byteLength);
  assert.equal(w.getBigUint64(40, true) & (1n << 14n), 1n << 14n); // watermark bit
  assert.equal(w.getUint32(48, true), 4096);
});

test('a perf ring maps zero-copy; after close() the view reads zeros instead of faulting', (t) => {
  if (!need(t, { kernel: true })) return;
  const cpu = onlineCpus()[0]!;
  const fd = openBpfOutputEvent(cpu);
  try {
    const page = pageSize();
    const m = Mapping.map(fd, page * 3, PROT_READ | PROT_WRITE, 0, 'perf ring');
    const meta = new DataView(m.buffer);
    assert.equal(meta.getBigUint64(1040, true), BigInt(page)); // data_offset
    assert.equal(meta.getBigUint64(1048, true), BigInt(2 * page)); // data_size
    m.close();
    assert.equal(m.isClosed, true);
    assert.equal(new DataView(m.buffer).getBigUint64(1048, true), 0n);
    m.close(); // idempotent
    assert.throws(() => Mapping.map(fd, page, PROT_READ, 123, 'misaligned'), RangeError);
  } finally {
    closeSync(fd);
  }
});
