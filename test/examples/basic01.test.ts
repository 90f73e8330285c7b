/**
 * examples/xdp-tutorial/basic01-xdp-pass: XDP_PASS for everything — in a test run, and attached
 * with `tsbpf run` to a veth between two namespaces, where pings go through and Ctrl-C detaches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetnsPair } from '../helpers/netns.js';
import { xdpOf } from '../cli/run-process.js';
import { Proc, example, loadExample, ping } from './helpers.js';
import { ETH_ARP, ETH_IPV4, PROTO_ICMP, V4, echo, ether, ipv4 } from './packets.js';

const XDP_PASS = 2;

test('basic01: xdp_pass passes any frame unchanged (test run)', (t) => {
  if (!need(t, { kernel: true })) return;
  const bpf = loadExample('basic01-xdp-pass/xdp_pass.bpf.ts');
  try {
    for (const frame of [ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 1, 1))), ether(ETH_ARP, new Array(28).fill(0)), new Uint8Array(14)]) {
      const r = bpf.program('xdp_pass').testRun(frame);
      assert.equal(r.retval, XDP_PASS);
      assert.deepEqual(r.data, frame);
    }
  } finally {
    bpf.close();
  }
});

test('basic01: tsbpf run xdp_pass.bpf.ts -i veth: pings pass, Ctrl-C detaches', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  await withNetnsPair(async (a, b) => {
    a.veth('va', 'vb', b);
    a.exec('ip', ['addr', 'add', '10.11.0.1/24', 'dev', 'va']);
    b.exec('ip', ['addr', 'add', '10.11.0.2/24', 'dev', 'vb']);
    const run = Proc.tsbpf(a.name, ['run', example('basic01-xdp-pass/xdp_pass.bpf.ts'), '-i', 'va']);
    try {
      await run.waitFor(/Waiting for Ctrl-C\.\.\./);
      assert.match(xdpOf(a.name, 'va'), /prog\/xdp id \d+ name xdp_pass /);
      const p = ping(b.name, '10.11.0.1', 3);
      assert.equal(p.received, 3, p.out);
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
      assert.match(run.out, /Exiting\.\.\./);
      assert.equal(xdpOf(a.name, 'va'), '');
    } finally {
      run.kill();
    }
  });
});
