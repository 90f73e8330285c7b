/**
 * examples/xdp-tutorial/basic04-pinning-maps: load.js pins the counters under
 * /sys/fs/bpf/<unique>; stats.js, a second process outside the namespace, reads them by path;
 * the map outlives the loader, and the next load counts on into it. The pin folder is removed
 * afterwards, also on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { need } from '../helpers/env.js';
import { unique, withNetnsPair } from '../helpers/netns.js';
import { xdpOf } from '../cli/run-process.js';
import { Proc, buildUserSide, example, killAll, ping } from './helpers.js';

/** XDP_PASS packets and bytes as stats.js prints them after one interval. */
function readPinned(script: string, pinDir: string): { packets: number; bytes: number; out: string } {
  const r = spawnSync(process.execPath, [script, '--pin-dir', pinDir, '--interval', '50', '--count', '1'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const m = /^XDP_PASS +(\d+) pkts \( *[\d.]+ pps\) +(\d+) bytes/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  return { packets: Number(m[1]), bytes: Number(m[2]), out: r.stdout };
}

test('basic04: counters pinned by one process, read by another, kept across loads', { timeout: 180_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping', 'nsenter'] })) return;
  const pinDir = `/sys/fs/bpf/${unique('tsbpf-basic04')}`;
  const pin = `${pinDir}/xdp_stats_map`;
  const user = buildUserSide();
  let loader: Proc | undefined;
  try {
    await withNetnsPair(async (a, b) => {
      a.veth('va', 'vb', b);
      a.exec('ip', ['addr', 'add', '10.13.0.1/24', 'dev', 'va']);
      b.exec('ip', ['addr', 'add', '10.13.0.2/24', 'dev', 'vb']);
      const program = example('basic04-pinning-maps/xdp_stats.bpf.ts');
      const stats = user.script('basic04-pinning-maps/stats.ts');
      // The loader enters the namespace's network only: its pins land on this machine's /sys/fs/bpf.
      loader = Proc.script(a.name, user.script('basic04-pinning-maps/load.ts'), [program, '-i', 'va', '--pin-dir', pinDir], true);
      await loader.waitFor(/Waiting for Ctrl-C\.\.\./);
      assert.match(loader.out, new RegExp(`^Pinned the map at ${pin}$`, 'm'));
      assert.ok(existsSync(pin));
      let p = ping(b.name, '10.13.0.1', 3);
      assert.equal(p.received, 3, p.out);
      const first = readPinned(stats, pinDir);
      assert.ok(first.packets >= 3 && first.bytes >= 3 * 98, first.out);
      assert.match(first.out, new RegExp(`^Reading ${pin} \\(percpu_array, 5 entries\\)$`, 'm'));

      assert.deepEqual(await loader.stop(), { code: 0, signal: null });
      assert.equal(xdpOf(a.name, 'va'), '', 'detached');
      assert.ok(existsSync(pin), 'the map outlives the loader');
      assert.equal(readPinned(stats, pinDir).packets, first.packets, 'nothing counts while detached');

      loader = Proc.script(a.name, user.script('basic04-pinning-maps/load.ts'), [program, '-i', 'va', '--pin-dir', pinDir], true);
      await loader.waitFor(/Waiting for Ctrl-C\.\.\./);
      assert.match(loader.out, new RegExp(`^Reusing the map pinned at ${pin}$`, 'm'));
      p = ping(b.name, '10.13.0.1', 2);
      assert.equal(p.received, 2, p.out);
      const second = readPinned(stats, pinDir);
      assert.ok(second.packets >= first.packets + 2, `${first.packets} then ${second.out}`);
      assert.deepEqual(await loader.stop(), { code: 0, signal: null });
    });
  } finally {
    killAll(loader);
    rmSync(pinDir, { recursive: true, force: true });
    user.remove();
  }
  assert.equal(existsSync(pinDir), false);
});
