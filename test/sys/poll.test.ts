/**
 * The epoll poller: one-shot readiness callbacks on the main thread, no spinning on an fd that
 * stays readable, and no pending wait left behind (the process exits) once nothing is armed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, readSync, writeSync } from 'node:fs';
import { libcFunc } from '../../src/sys/libc.js';
import { Poller } from '../../src/sys/poll.js';
import { distUrl, runChild } from './bpf-fixtures.js';

function pipe(): [number, number] {
  const fds = new Int32Array(2);
  const r = libcFunc('int pipe2(_Out_ int *fds, int flags)')(fds, 0o4000 /* O_NONBLOCK */) as number;
  assert.equal(r, 0, 'pipe2');
  return [fds[0]!, fds[1]!];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('fires once per arming, on the main thread, and never spins on a readable fd', { timeout: 20_000 }, async () => {
  const p = Poller.shared();
  const [r, w] = pipe();
  let calls = 0;
  p.add(r, () => calls++);
  try {
    writeSync(w, 'x');
    for (let i = 0; i < 100 && calls === 0; i++) await sleep(5);
    assert.equal(calls, 1);
    // Still readable (not drained): a level-triggered loop would call again and again.
    const waits = p.waits;
    await sleep(150);
    assert.equal(calls, 1);
    assert.ok(p.waits - waits <= 1, `epoll_wait completed ${p.waits - waits} times while idle`);
    // Re-arming reports the data that is still there at once.
    p.rearm(r);
    for (let i = 0; i < 100 && calls === 1; i++) await sleep(5);
    assert.equal(calls, 2);
  } finally {
    p.remove(r);
    closeSync(r);
    closeSync(w);
  }
});

test('reports exactly the fds that became readable', { timeout: 20_000 }, async () => {
  const p = Poller.shared();
  const pipes = Array.from({ length: 8 }, pipe);
  const fired: number[] = [];
  for (const [i, [r]] of pipes.entries()) p.add(r, () => fired.push(i));
  try {
    for (const i of [1, 4, 6]) writeSync(pipes[i]![1], 'y');
    for (let k = 0; k < 200 && fired.length < 3; k++) await sleep(5);
    await sleep(30);
    assert.deepEqual(fired.sort(), [1, 4, 6]);
    // Drain one, write again after re-arming: it fires again (and only it).
    readSync(pipes[4]![0], Buffer.alloc(8));
    p.rearm(pipes[4]![0]);
    await sleep(30);
    assert.equal(fired.length, 3, 'a drained fd must not fire');
    writeSync(pipes[4]![1], 'z');
    for (let k = 0; k < 200 && fired.length < 4; k++) await sleep(5);
    assert.deepEqual(fired.slice(3), [4]);
  } finally {
    for (const [r, w] of pipes) {
      p.remove(r);
      closeSync(r);
      closeSync(w);
    }
  }
});

test('a process whose readers are removed exits by itself (no wait left pending)', () => {
  const res = runChild(`
    import { Poller } from '${distUrl('src/sys/poll.js')}';
    import { libcFunc } from '${distUrl('src/sys/libc.js')}';
    const fds = new Int32Array(2);
    libcFunc('int pipe2(_Out_ int *fds, int flags)')(fds, 0o4000);
    const p = Poller.shared();
    p.add(fds[0], () => {});
    setTimeout(() => { p.remove(fds[0]); console.log('removed'); }, 100);
  `, { timeoutMs: 10_000 });
  assert.equal(res.signal, null, `child did not exit by itself: ${res.stderr}`);
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'removed');
});

test('process.exit() with a reader still armed exits at once (the pending wait is woken)', () => {
  const res = runChild(`
    import { Poller } from '${distUrl('src/sys/poll.js')}';
    import { libcFunc } from '${distUrl('src/sys/libc.js')}';
    const fds = new Int32Array(2);
    libcFunc('int pipe2(_Out_ int *fds, int flags)')(fds, 0o4000);
    Poller.shared().add(fds[0], () => {});
    setTimeout(() => { console.log('exiting'); process.exit(3); }, 100);
  `, { timeoutMs: 10_000 });
  assert.equal(res.signal, null, `child hung in process.exit(): ${res.stderr}`);
  assert.equal(res.status, 3, res.stderr);
  assert.equal(res.stdout.trim(), 'exiting');
});

test('rearm of an unknown fd is a programming error', () => {
  assert.throws(() => Poller.shared().rearm(987654), RangeError);
});
