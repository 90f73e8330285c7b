/**
 * examples/xdp-tutorial/packet02-rewriting: UDP and TCP destination ports become one less, over
 * IPv4 and IPv6, behind VLAN tags, with the L4 checksum still right (checked here by summing the
 * whole segment again); then live, a datagram sent to port 2000 arrives at a socket on 1999.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetnsPair } from '../helpers/netns.js';
import { xdpOf } from '../cli/run-process.js';
import { Proc, example, loadExample } from './helpers.js';
import {
  ETH_8021AD, ETH_8021Q, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_TCP, PROTO_UDP, V4, V6, checksumsOk, echo, ether, ipv4, ipv6, l3Offset, tcp, udp,
} from './packets.js';

const PASS = 2;

test('packet02: test runs — destination port − 1, checksums still right, nothing else changed', (t) => {
  if (!need(t, { kernel: true })) return;
  const bpf = loadExample('packet02-rewriting/xdp_port_rewrite.bpf.ts');
  try {
    const run = (f: Uint8Array): Uint8Array => {
      const r = bpf.program('xdp_port_rewrite').testRun(f);
      assert.equal(r.retval, PASS);
      return r.data;
    };
    const payloads = [[], [1], [0xff, 0xff, 0xff], Array.from({ length: 33 }, (_, i) => i * 7)];
    const tagSets: [number, number][][] = [[], [[ETH_8021Q, 100]], [[ETH_8021AD, 200], [ETH_8021Q, 100]]];
    for (const tags of tagSets) {
      for (const [l3, type, ip] of [[V4, ETH_IPV4, ipv4], [V6, ETH_IPV6, ipv6]] as const) {
        for (const [proto, seg, portAt] of [[PROTO_UDP, udp, 2], [PROTO_TCP, tcp, 2]] as const) {
          for (const port of [2000, 1, 0, 0x8000, 0xffff, 53]) {
            for (const payload of payloads) {
              const before = ether(type, ip(l3, proto, seg(l3, 40000, port, payload)), tags);
              const after = run(before);
              const off = l3Offset(tags.length) + (l3 === V4 ? 20 : 40);
              const want = (port + 0xffff) & 0xffff;
              assert.equal((after[off + portAt]! << 8) | after[off + portAt + 1]!, want, `port ${port}`);
              assert.deepEqual(checksumsOk(after, l3Offset(tags.length)), { l3: true, l4: true }, `${proto} v${l3 === V4 ? 4 : 6} port ${port} payload ${payload.length}`);
              // Only the port and the checksum changed.
              const checkAt = off + (proto === PROTO_UDP ? 6 : 16);
              const same = (i: number): boolean => i === off + portAt || i === off + portAt + 1 || i === checkAt || i === checkAt + 1 || after[i] === before[i];
              assert.ok(Array.from(after.keys()).every(same));
            }
          }
        }
      }
    }
    // IPv4 UDP without a checksum (0) keeps none.
    const noSum = ether(ETH_IPV4, ipv4(V4, PROTO_UDP, udp(V4, 1, 2000, [9], { noChecksum: true })));
    const out = run(noSum);
    assert.deepEqual([out[36], out[37], out[40], out[41]], [0x07, 0xcf, 0, 0]);
    // Not UDP/TCP, or truncated: untouched.
    const icmp = ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 1, 1)));
    assert.deepEqual(run(icmp), icmp);
    const full = ether(ETH_IPV6, ipv6(V6, PROTO_TCP, tcp(V6, 1, 2000, [])));
    for (let len = 14; len < 14 + 40 + 20; len++) assert.deepEqual(run(full.subarray(0, len)), full.subarray(0, len), `length ${len}`);
  } finally {
    bpf.close();
  }
});

test('packet02: attached to a veth, a datagram sent to port 2000 is received on 1999', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  await withNetnsPair(async (a, b) => {
    a.veth('va', 'vb', b);
    a.exec('ip', ['addr', 'add', '10.15.0.1/24', 'dev', 'va']);
    b.exec('ip', ['addr', 'add', '10.15.0.2/24', 'dev', 'vb']);
    const receiver = new Proc(['ip', 'netns', 'exec', a.name, process.execPath, '-e', `
      const s = require('node:dgram').createSocket('udp4');
      s.on('message', (m, r) => console.log('got ' + m + ' from ' + r.address + ':' + r.port));
      s.bind(1999, '10.15.0.1', () => console.log('listening'));`]);
    const run = Proc.tsbpf(a.name, ['run', example('packet02-rewriting/xdp_port_rewrite.bpf.ts'), '-i', 'va']);
    try {
      await receiver.waitFor(/listening/);
      await run.waitFor(/Waiting for Ctrl-C\.\.\./);
      const send = b.exec(process.execPath, ['-e', `
        const s = require('node:dgram').createSocket('udp4');
        s.bind(40000, () => s.send('hello', 2000, '10.15.0.1', () => s.close()));`]);
      assert.equal(send.status, 0, send.stderr);
      await receiver.waitFor(/got hello from 10\.15\.0\.2:40000/, 10_000);
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
      assert.equal(xdpOf(a.name, 'va'), '');
    } finally {
      run.kill();
      receiver.kill();
    }
  });
});
