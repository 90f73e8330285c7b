/**
 * examples/xdp-tutorial/packet01-parsing: Ethernet, 0–2 VLAN tags (802.1Q, 802.1ad), IPv4/IPv6,
 * ICMP/ICMPv6; echo requests with an even sequence number are dropped. Test runs over a matrix
 * of crafted frames, then pings (IPv4, IPv6, and over a VLAN) through a veth: every other one
 * is answered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetnsPair } from '../helpers/netns.js';
import { xdpOf } from '../cli/run-process.js';
import { Proc, example, loadExample, ping } from './helpers.js';
import {
  ETH_8021AD, ETH_8021Q, ETH_ARP, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_ICMPV6, PROTO_UDP, V4, V6, echo, ether, ipv4, ipv6, udp,
} from './packets.js';

const DROP = 1;
const PASS = 2;

test('packet01: test runs — only echo requests with an even sequence number are dropped, behind up to two tags', (t) => {
  if (!need(t, { kernel: true })) return;
  const bpf = loadExample('packet01-parsing/xdp_parse.bpf.ts');
  try {
    const run = (f: Uint8Array): number => bpf.program('xdp_parser').testRun(f).retval;
    const tagSets: [number, number][][] = [[], [[ETH_8021Q, 100]], [[ETH_8021AD, 200], [ETH_8021Q, 100]], [[ETH_8021Q, 1], [ETH_8021Q, 2]]];
    for (const tags of tagSets) {
      for (const seq of [1, 2, 3, 4, 0xffff, 0x100]) {
        const want = seq % 2 === 0 ? DROP : PASS;
        assert.equal(run(ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 7, seq)), tags)), want, `v4 seq ${seq} tags ${tags.length}`);
        assert.equal(run(ether(ETH_IPV6, ipv6(V6, PROTO_ICMPV6, echo(V6, 128, 7, seq)), tags)), want, `v6 seq ${seq} tags ${tags.length}`);
      }
      // Replies, other protocols, other frames pass.
      assert.equal(run(ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 0, 7, 2)), tags)), PASS);
      assert.equal(run(ether(ETH_IPV6, ipv6(V6, PROTO_ICMPV6, echo(V6, 129, 7, 2)), tags)), PASS);
      assert.equal(run(ether(ETH_IPV4, ipv4(V4, PROTO_UDP, udp(V4, 1, 2, [0, 2])), tags)), PASS);
      assert.equal(run(ether(ETH_ARP, new Array(28).fill(0), tags)), PASS);
    }
    // IPv4 options move the ICMP header: still found.
    assert.equal(run(ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 7, 2), { options: [1, 1, 1, 0] }))), DROP);
    // A third tag is beyond VLAN_MAX_DEPTH: not parsed, passed.
    assert.equal(run(ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 7, 2)), [[ETH_8021AD, 1], [ETH_8021Q, 2], [ETH_8021Q, 3]])), PASS);
    // Truncated anywhere: passed, never read out of bounds.
    const full = ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 7, 2)), [[ETH_8021Q, 5]]);
    for (let len = 14; len < full.length; len++) assert.equal(run(full.subarray(0, len)), len >= 14 + 4 + 20 + 8 ? DROP : PASS, `length ${len}`);
    // An IPv4 header length below 5 words is refused.
    const bad = ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 7, 2)));
    bad[14] = 0x44;
    assert.equal(run(bad), PASS);
  } finally {
    bpf.close();
  }
});

test('packet01: attached to a veth, every other ping is answered (IPv4, IPv6, VLAN)', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  await withNetnsPair(async (a, b) => {
    a.veth('va', 'vb', b);
    a.exec('ip', ['addr', 'add', '10.14.0.1/24', 'dev', 'va']);
    b.exec('ip', ['addr', 'add', '10.14.0.2/24', 'dev', 'vb']);
    a.exec('ip', ['addr', 'add', 'fc00:14::1/64', 'dev', 'va', 'nodad']);
    b.exec('ip', ['addr', 'add', 'fc00:14::2/64', 'dev', 'vb', 'nodad']);
    const targets: [string, string[]][] = [['10.14.0.1', []], ['fc00:14::1', ['-6']]];
    // VLAN interfaces on both ends: their pings cross the veth tagged (needs the kernel's 8021q).
    const vlan = a.exec('ip', ['link', 'add', 'link', 'va', 'name', 'va.100', 'type', 'vlan', 'id', '100'], { allowFail: true });
    if (vlan.status === 0) {
      for (const [ns, dev, ip] of [[a, 'va', '10.14.100.1/24'], [b, 'vb', '10.14.100.2/24']] as const) {
        if (ns === b) ns.exec('ip', ['link', 'add', 'link', dev, 'name', `${dev}.100`, 'type', 'vlan', 'id', '100']);
        ns.exec('ip', ['addr', 'add', ip, 'dev', `${dev}.100`]);
        ns.exec('ip', ['link', 'set', `${dev}.100`, 'up']);
      }
      targets.push(['10.14.100.1', []]);
    } else {
      t.diagnostic(`no VLAN interfaces here (${vlan.stderr.trim()}): tagged frames are covered by the test runs only`);
    }
    // Neighbours known beforehand: ARP/ND never interleave with the pings counted.
    for (const [target, extra] of targets) ping(b.name, target, 1, extra);
    const run = Proc.tsbpf(a.name, ['run', example('packet01-parsing/xdp_parse.bpf.ts'), '-i', 'va']);
    try {
      await run.waitFor(/Waiting for Ctrl-C\.\.\./);
      for (const [target, extra] of targets) {
        const p = ping(b.name, target, 4, extra);
        assert.deepEqual(p.seqs, [1, 3], `${target}: ${p.out}`);
      }
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
      assert.equal(xdpOf(a.name, 'va'), '');
      assert.deepEqual(ping(b.name, '10.14.0.1', 2).seqs, [1, 2], 'all answered once detached');
    } finally {
      run.kill();
    }
  });
});
