/**
 * examples/xdp-tutorial/basic03-map-counter: packets and bytes per action in a per-CPU array —
 * exact counts after test runs (read through the library, summed over CPUs), and the user-side
 * stats.js attached to a veth, printing what pings add, with XDP_PASS and with --drop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { need } from '../helpers/env.js';
import { withNetnsPair } from '../helpers/netns.js';
import { xdpOf } from '../cli/run-process.js';
import { Proc, buildUserSide, example, loadExample, ping } from './helpers.js';
import { ETH_IPV4, PROTO_UDP, V4, ether, ipv4, udp } from './packets.js';

interface Rec { rx_packets: bigint; rx_bytes: bigint }

/** Totals per action from a stats report: the last report printed. */
function lastReport(out: string): Record<string, { packets: number; bytes: number }> {
  const blocks = out.split('\n\n').filter((b) => /^XDP_ABORTED/m.test(b));
  const last = blocks[blocks.length - 1] ?? '';
  const r: Record<string, { packets: number; bytes: number }> = {};
  for (const m of last.matchAll(/^(XDP_\w+) +(\d+) pkts \( *[\d.]+ pps\) +(\d+) bytes/gm)) r[m[1]!] = { packets: Number(m[2]), bytes: Number(m[3]) };
  return r;
}

test('basic03: each test run counts one packet and its length under its action, per CPU', (t) => {
  if (!need(t, { kernel: true })) return;
  for (const [verdict, key] of [[2, 2], [1, 1]] as const) {
    const bpf = loadExample('basic03-map-counter/xdp_stats.bpf.ts', { constants: { verdict } });
    try {
      const frame = ether(ETH_IPV4, ipv4(V4, PROTO_UDP, udp(V4, 1000, 2000, [1, 2, 3])));
      const r = bpf.program('xdp_stats').testRun(frame, { repeat: 10 });
      assert.equal(r.retval, verdict);
      const stats = bpf.map<number, Rec[]>('xdp_stats_map');
      const sum = (k: number, f: keyof Rec): bigint => (stats.get(k) ?? []).reduce((s, c) => s + BigInt(c[f]), 0n);
      assert.equal(sum(key, 'rx_packets'), 10n);
      assert.equal(sum(key, 'rx_bytes'), BigInt(10 * frame.length));
      for (const other of [0, 1, 2, 3, 4].filter((k) => k !== key)) assert.equal(sum(other, 'rx_packets'), 0n);
    } finally {
      bpf.close();
    }
  }
});

test('basic03: stats.js -i veth prints what pings add, passing and with --drop', { timeout: 180_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  const user = buildUserSide();
  try {
    await withNetnsPair(async (a, b) => {
      a.veth('va', 'vb', b);
      a.exec('ip', ['addr', 'add', '10.12.0.1/24', 'dev', 'va']);
      b.exec('ip', ['addr', 'add', '10.12.0.2/24', 'dev', 'vb']);
      const program = example('basic03-map-counter/xdp_stats.bpf.ts');
      for (const drop of [false, true]) {
        const stats = Proc.script(a.name, user.script('basic03-map-counter/stats.ts'), [program, '-i', 'va', '--interval', '200', ...(drop ? ['--drop'] : [])]);
        try {
          await stats.waitFor(/Counting on va/);
          const p = ping(b.name, '10.12.0.1', 4);
          assert.equal(p.received, drop ? 0 : 4, p.out);
          const action = drop ? 'XDP_DROP' : 'XDP_PASS';
          // Echo requests are 98 bytes on the wire; ARP and neighbour traffic may add to them.
          const deadline = Date.now() + 5_000;
          const enough = (): boolean => (lastReport(stats.out)[action]?.packets ?? 0) >= 4 && (lastReport(stats.out)[action]?.bytes ?? 0) >= 4 * 98;
          while (!enough() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          const report = lastReport(stats.out);
          assert.ok(report[action]!.packets >= 4, stats.out);
          assert.ok(report[action]!.bytes >= 4 * 98, stats.out);
          assert.equal(report[drop ? 'XDP_PASS' : 'XDP_DROP']!.packets, 0);
          assert.deepEqual(await stats.stop(), { code: 0, signal: null });
          assert.equal(xdpOf(a.name, 'va'), '');
        } finally {
          stats.kill();
        }
      }
    });
  } finally {
    user.remove();
  }
});
