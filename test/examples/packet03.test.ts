/**
 * examples/xdp-tutorial/packet03-redirecting: XDP_TX answers pings (IPv4 and IPv6) in place —
 * test runs check the reply byte by byte, then a namespace without any address answers pings
 * through XDP alone; bpf_redirect and bpf_redirect_map (DevMap) carry pings between two veth
 * pairs through a namespace that does not forward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetns, type Netns } from '../helpers/netns.js';
import { xdpOf } from '../cli/run-process.js';
import { codecs } from '../../src/maps/index.js';
import { Proc, buildUserSide, example, killAll, loadExample, macOf, ping } from './helpers.js';
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, IP4_A, IP4_B, IP6_A, IP6_B, MAC_A, MAC_B, PROTO_ICMP, PROTO_ICMPV6, PROTO_UDP, V4, V6,
  checksumsOk, echo, ether, ipv4, ipv6, udp,
} from './packets.js';

const PASS = 2;
const TX = 3;
const REDIRECT = 4;

test('packet03: xdp_icmp_echo turns echo requests into replies (test runs)', (t) => {
  if (!need(t, { kernel: true })) return;
  const bpf = loadExample('packet03-redirecting/xdp_icmp_echo.bpf.ts');
  try {
    const prog = bpf.program('xdp_icmp_echo');
    for (const seq of [1, 2, 0xffff]) {
      const v4 = prog.testRun(ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 8, 0x1234, seq))));
      assert.equal(v4.retval, TX);
      assert.deepEqual(v4.data, ether(ETH_IPV4, ipv4({ src: IP4_B, dst: IP4_A }, PROTO_ICMP, echo({ src: IP4_B, dst: IP4_A }, 0, 0x1234, seq)), [], MAC_A, MAC_B));
      assert.deepEqual(checksumsOk(v4.data, 14), { l3: true, l4: true });
      const v6 = prog.testRun(ether(ETH_IPV6, ipv6(V6, PROTO_ICMPV6, echo(V6, 128, 0x1234, seq))));
      assert.equal(v6.retval, TX);
      assert.deepEqual(v6.data, ether(ETH_IPV6, ipv6({ src: IP6_B, dst: IP6_A }, PROTO_ICMPV6, echo({ src: IP6_B, dst: IP6_A }, 129, 0x1234, seq)), [], MAC_A, MAC_B));
    }
    for (const other of [
      ether(ETH_IPV4, ipv4(V4, PROTO_ICMP, echo(V4, 0, 1, 1))),
      ether(ETH_IPV6, ipv6(V6, PROTO_ICMPV6, echo(V6, 129, 1, 1))),
      ether(ETH_IPV4, ipv4(V4, PROTO_UDP, udp(V4, 1, 2, []))),
      ether(ETH_ARP, new Array(28).fill(0)),
    ]) {
      const r = prog.testRun(other);
      assert.equal(r.retval, PASS);
      assert.deepEqual(r.data, other);
    }
  } finally {
    bpf.close();
  }
});

test('packet03: xdp_redirect and xdp_redirect_map rewrite the MACs and redirect IP, pass the rest (test runs)', (t) => {
  if (!need(t, { kernel: true })) return;
  const bpf = loadExample('packet03-redirecting/xdp_redirect.bpf.ts', { constants: { out_ifindex: 1 } });
  try {
    const frame = ether(ETH_IPV4, ipv4(V4, PROTO_UDP, udp(V4, 1, 2, [3])));
    const dest = [0x02, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd];
    const source = [0x02, 0x55, 0x55, 0x55, 0x55, 0x55];
    bpf.map('redirect_params').set(0, { dest, source });
    const rewritten = Uint8Array.from([...dest, ...source, ...frame.subarray(12)]);
    const direct = bpf.program('xdp_redirect').testRun(frame);
    assert.equal(direct.retval, REDIRECT);
    assert.deepEqual(direct.data, rewritten);
    // Through the DevMap: without an entry the fallback action (XDP_PASS), with one a redirect.
    assert.equal(bpf.program('xdp_redirect_map').testRun(frame).retval, PASS);
    bpf.map('tx_port', { key: codecs.u32, value: codecs.u32 }).set(0, 1);
    const viaMap = bpf.program('xdp_redirect_map').testRun(frame);
    assert.equal(viaMap.retval, REDIRECT);
    assert.deepEqual(viaMap.data, rewritten);
    const arp = ether(ETH_ARP, new Array(28).fill(0));
    for (const name of ['xdp_redirect', 'xdp_redirect_map']) {
      const r = bpf.program(name).testRun(arp);
      assert.equal(r.retval, PASS, name);
      assert.deepEqual(r.data, arp, name);
    }
  } finally {
    bpf.close();
  }
});

/** `tsbpf run` of basic01's xdp_pass: a veth receives XDP_TX'd or redirected frames only when its peer runs XDP too. */
function passOn(ns: Netns, iface: string): Proc {
  return Proc.tsbpf(ns.name, ['run', example('basic01-xdp-pass/xdp_pass.bpf.ts'), '-i', iface]);
}

test('packet03: a namespace with no address answers pings through XDP_TX alone (IPv4, IPv6)', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  await withNetns(async (a) => withNetns(async (b) => {
    a.veth('va', 'vb', b);
    b.exec('ip', ['addr', 'add', '10.16.0.2/24', 'dev', 'vb']);
    b.exec('ip', ['addr', 'add', 'fc00:16::2/64', 'dev', 'vb', 'nodad']);
    // va has no address: nothing but the XDP program can answer, so the neighbour entries are static.
    const mac = macOf(a.name, 'va');
    b.exec('ip', ['neigh', 'replace', '10.16.0.1', 'lladdr', mac, 'dev', 'vb', 'nud', 'permanent']);
    b.exec('ip', ['-6', 'neigh', 'replace', 'fc00:16::1', 'lladdr', mac, 'dev', 'vb', 'nud', 'permanent']);
    assert.equal(ping(b.name, '10.16.0.1', 1).received, 0, 'no answer without the program');
    const echoes = Proc.tsbpf(a.name, ['run', example('packet03-redirecting/xdp_icmp_echo.bpf.ts'), '-i', 'va']);
    const pass = passOn(b, 'vb');
    try {
      await echoes.waitFor(/Waiting for Ctrl-C\.\.\./);
      await pass.waitFor(/Waiting for Ctrl-C\.\.\./);
      assert.equal(ping(b.name, '10.16.0.1', 3).received, 3);
      assert.equal(ping(b.name, 'fc00:16::1', 3, ['-6']).received, 3);
      assert.deepEqual(await echoes.stop(), { code: 0, signal: null });
      assert.equal(xdpOf(a.name, 'va'), '');
      assert.equal(ping(b.name, '10.16.0.1', 1).received, 0, 'no answer once detached');
    } finally {
      killAll(echoes, pass);
    }
  }));
});

test('packet03: redirect.js carries pings between two veth pairs through a namespace that does not forward', { timeout: 180_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  const user = buildUserSide();
  try {
    // x (veth-x) ⇄ (veth-mx) m (veth-my) ⇄ (veth-y) y; names that are not prefixes of `ip` keywords (`ma` would be `master`), with m's forwarding off: only XDP crosses m.
    await withNetns(async (x) => withNetns(async (m) => withNetns(async (y) => {
      x.veth('veth-x', 'veth-mx', m);
      m.veth('veth-my', 'veth-y', y);
      x.exec('ip', ['addr', 'add', '10.17.1.1/24', 'dev', 'veth-x']);
      m.exec('ip', ['addr', 'add', '10.17.1.254/24', 'dev', 'veth-mx']);
      m.exec('ip', ['addr', 'add', '10.17.2.254/24', 'dev', 'veth-my']);
      y.exec('ip', ['addr', 'add', '10.17.2.1/24', 'dev', 'veth-y']);
      x.exec('ip', ['route', 'add', '10.17.2.0/24', 'via', '10.17.1.254']);
      y.exec('ip', ['route', 'add', '10.17.1.0/24', 'via', '10.17.2.254']);
      assert.equal(m.exec('sysctl', ['-n', 'net.ipv4.ip_forward']).stdout.trim(), '0');
      assert.equal(ping(x.name, '10.17.2.1', 1).received, 0, 'm does not forward');
      const program = example('packet03-redirecting/xdp_redirect.bpf.ts');
      const script = user.script('packet03-redirecting/redirect.ts');
      for (const viaMap of [false, true]) {
        const procs = [
          passOn(x, 'veth-x'),
          passOn(y, 'veth-y'),
          Proc.script(m.name, script, [program, '-i', 'veth-mx', '-o', 'veth-my', '--dest-mac', macOf(y.name, 'veth-y'), ...(viaMap ? ['--map'] : [])]),
          Proc.script(m.name, script, [program, '-i', 'veth-my', '-o', 'veth-mx', '--dest-mac', macOf(x.name, 'veth-x'), ...(viaMap ? ['--map'] : [])]),
        ];
        try {
          for (const p of procs) await p.waitFor(/Waiting for Ctrl-C\.\.\./);
          assert.match(procs[2]!.out, new RegExp(`^${viaMap ? 'xdp_redirect_map' : 'xdp_redirect'}: IP packets from veth-mx go out of veth-my \\(ifindex \\d+\\) to `, 'm'));
          const p = ping(x.name, '10.17.2.1', 3);
          assert.equal(p.received, 3, `${viaMap ? 'redirect_map' : 'redirect'}: ${p.out}`);
          for (const proc of procs) assert.deepEqual(await proc.stop(), { code: 0, signal: null }, proc.out);
          assert.equal(xdpOf(m.name, 'veth-mx') + xdpOf(m.name, 'veth-my'), '');
        } finally {
          killAll(...procs);
        }
      }
      assert.equal(ping(x.name, '10.17.2.1', 1).received, 0, 'nothing crosses once detached');
    })));
  } finally {
    user.remove();
  }
});
