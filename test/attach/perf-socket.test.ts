/**
 * perf_event programs on a cpu-clock sampling event on every CPU (samples arrive while attached,
 * none after detach; bad event names and hardware events on a machine without counters are clear
 * errors), and a socket filter on a UDP socket of this process inside a test namespace (it sees
 * the datagrams queued to that socket, and no more after detach).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { attachProgram, planFor } from '../../src/attach/auto.js';
import { AttachError } from '../../src/attach/common.js';
import { attachPerfEvent } from '../../src/attach/perf-event.js';
import { attachSocketFilter } from '../../src/attach/socket.js';
import { onlineCpus } from '../../src/sys/perf.js';
import { errno, libcFunc, pinnedBytes } from '../../src/sys/libc.js';
import { inNetns } from '../../src/sys/netns.js';
import { loadType, num } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('perf_event on cpu-clock: samples on every CPU while attached, none after detach', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadType('perf_event');
  try {
    const att = attachProgram(obj, 'on_sample', { sampleFreq: 1000 });
    try {
      assert.equal(att.kind, 'perf_event');
      assert.match(att.description, new RegExp(`^perf event cpu-clock 1000 Hz on ${onlineCpus().length} CPUs?$`));
      const end = Date.now() + 3000;
      while (num(obj, 'samples') < 20 && Date.now() < end) await sleep(20);
      assert.ok(num(obj, 'samples') >= 20, `samples: ${num(obj, 'samples')}`);
    } finally {
      att.detach();
    }
    const n = num(obj, 'samples');
    await sleep(100);
    assert.equal(num(obj, 'samples'), n, 'no samples after detach');
  } finally {
    obj.close();
  }
});

test('perf_event errors: unknown event, period and frequency together, wrong program type', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadType('perf_event');
  const sock = await loadType('socket_filter');
  try {
    const prog = { fd: obj.program('on_sample').fd, name: 'on_sample' };
    assert.throws(() => planFor(obj.model, 'on_sample', { target: 'cpu-clocks' }), (e: unknown) => e instanceof AttachError && /unknown perf event 'cpu-clocks'/.test(e.message) && /cpu-clock/.test(e.hint ?? ''));
    assert.throws(() => attachPerfEvent(prog, { samplePeriod: 10, sampleFreq: 10 }), /a sample period or a frequency, not both/);
    assert.throws(() => attachPerfEvent(prog, { samplePeriod: -1 }), /bad sample period -1/);
    assert.throws(() => attachPerfEvent({ fd: sock.program('sock_count').fd, name: 'sock_count' }, {}), (e: unknown) => e instanceof AttachError && /perf_event program 'sock_count'/.test(e.message));
    // Hardware counters: attached where the machine has them, otherwise a clear error.
    try {
      attachPerfEvent(prog, { event: 'instructions', samplePeriod: 1_000_000 }).detach();
    } catch (e) {
      assert.ok(e instanceof AttachError, String(e));
      assert.match(e.hint ?? '', /no hardware counters .*cpu-clock/);
    }
  } finally {
    obj.close();
    sock.close();
  }
});

const AF_INET = 2;
const SOCK_DGRAM = 2;

function udpSocket(): { fd: number; port: number } {
  const fd = libcFunc('int socket(int domain, int type, int protocol)')(AF_INET, SOCK_DGRAM, 0) as number;
  if (fd < 0) throw new Error(`socket: errno ${errno()}`);
  const addr = pinnedBytes(16); // sockaddr_in 127.0.0.1:0
  const v = new DataView(addr.buffer, addr.byteOffset, 16);
  v.setUint16(0, AF_INET, true);
  v.setUint32(4, 0x7f000001, false);
  if ((libcFunc('int bind(int fd, const void *addr, uint32_t len)')(fd, addr, 16) as number) < 0) throw new Error(`bind: errno ${errno()}`);
  const len = pinnedBytes(4);
  new DataView(len.buffer, len.byteOffset, 4).setUint32(0, 16, true);
  if ((libcFunc('int getsockname(int fd, void *addr, void *len)')(fd, addr, len) as number) < 0) throw new Error(`getsockname: errno ${errno()}`);
  return { fd, port: v.getUint16(2, false) };
}

function send(from: number, port: number, n: number): void {
  const addr = pinnedBytes(16);
  const v = new DataView(addr.buffer, addr.byteOffset, 16);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  v.setUint32(4, 0x7f000001, false);
  const msg = pinnedBytes(10);
  for (let i = 0; i < n; i++) {
    if (Number(libcFunc('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)')(from, msg, 10, 0, addr, 16)) < 0) throw new Error(`sendto: errno ${errno()}`);
  }
}

test('a socket filter on our UDP socket sees the datagrams queued to it, not after detach', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip'] })) return;
  const obj = await loadType('socket_filter');
  const close = libcFunc('int close(int fd)');
  try {
    await withNetns((ns) => {
      inNetns(ns.name, () => {
        const rx = udpSocket();
        const tx = udpSocket();
        try {
          assert.throws(() => planFor(obj.model, 'sock_count'), /is a socket filter: it runs on one socket .* nothing for tsbpf run to attach it to/);
          const att = attachSocketFilter({ fd: obj.program('sock_count').fd, name: 'sock_count' }, rx.fd);
          assert.equal(att.description, `socket filter on fd ${rx.fd}`);
          send(tx.fd, rx.port, 3);
          assert.equal(num(obj, 'packets'), 3);
          att.detach();
          att.detach();
          send(tx.fd, rx.port, 2);
          assert.equal(num(obj, 'packets'), 3);
          assert.throws(() => attachSocketFilter({ fd: obj.program('sock_count').fd, name: 'sock_count' }, 0x7fff), /cannot attach socket filter 'sock_count' to socket fd 32767: .*EBADF/);
        } finally {
          close(rx.fd);
          close(tx.fd);
        }
      });
    });
  } finally {
    obj.close();
  }
});
