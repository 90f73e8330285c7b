/**
 * The trace pipe library API against the kernel: parsed lines from a private instance (fed through
 * the instance's own trace_marker, so no BPF program and no other reader is involved), filtering,
 * overrun counting when nobody reads, close() ending a pending iteration, AbortSignal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../helpers/env.js';
import { unique } from '../helpers/netns.js';
import { TracePipe, traceLines } from '../../src/trace/trace-pipe.js';

test('a private instance yields parsed lines with task, pid, cpu, flags, timestamp, message', { timeout: 30_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const marker = unique('tsbpf-pipe');
  const pipe = TracePipe.open({ filter: marker });
  try {
    assert.match(pipe.dir, /\/instances\/tsbpf-\d+-\d+$/);
    for (let i = 0; i < 3; i++) writeFileSync(join(pipe.dir, 'trace_marker'), `${marker} #${i}\n`);
    writeFileSync(join(pipe.dir, 'trace_marker'), 'not matching the filter\n');
    const got = [];
    const guard = setTimeout(() => pipe.close(), 10_000); // a bug fails the test instead of hanging it
    for await (const l of pipe) {
      got.push(l);
      if (got.length === 3) break;
    }
    clearTimeout(guard);
    assert.deepEqual(got.map((l) => l.message), [0, 1, 2].map((i) => `${marker} #${i}`));
    for (const l of got) {
      assert.equal(l.pid, process.pid);
      assert.equal(l.event, 'tracing_mark_write');
      assert.ok(Number.isInteger(l.cpu) && l.cpu >= 0);
      assert.match(l.flags, /^[.a-zA-Z0-9]{4,5}$/);
      assert.ok(l.timestamp > 0);
    }
    assert.ok(got[0]!.timestamp <= got[2]!.timestamp);
  } finally {
    pipe.close();
  }
  assert.equal(existsSync(pipe.dir), false, 'instance removed on close');
});

test('overruns are counted when the buffer fills before anyone reads', { timeout: 30_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const pipe = TracePipe.open({ bufferSizeKb: 4 });
  try {
    const line = `${'x'.repeat(200)}\n`;
    // Everything on one CPU's buffer: far more than 4 KiB, nothing read yet.
    for (let i = 0; i < 2000; i++) writeFileSync(join(pipe.dir, 'trace_marker'), line);
    assert.ok(pipe.overruns() > 0, 'overrun counted');
  } finally {
    pipe.close();
  }
  assert.ok(pipe.overruns() > 0, 'the count survives close()');
});

test('close() ends a pending iteration; an AbortSignal stops traceLines', { timeout: 30_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  // Other tests may print at any moment: a filter nothing matches keeps this about close() alone.
  const pipe = TracePipe.open({ filter: unique('never') });
  const pending = pipe.nextLine();
  setTimeout(() => pipe.close(), 50);
  assert.equal(await pending, undefined);

  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const seen = [];
  for await (const l of traceLines({ signal: ac.signal, filter: unique('never') })) seen.push(l);
  assert.deepEqual(seen, []);
});
