/**
 * `tsbpf run` with assembled logging programs, each test in its own network namespace: the seed's
 * hello world prints `[… INFO  hello_world] received a packet` per packet, an echo-request logger
 * one line per ping, a UDP logger the source address, MAC and port (as JSON with --json), TSBPF_LOG
 * chooses what is shown (bad values are one-line errors), and records lost while the reader was
 * stopped are reported: printed + reported lost = produced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { need } from '../helpers/env.js';
import { withNetns, withNetnsPair } from '../helpers/netns.js';
import { CliProcess, runCli, xdpOf } from '../cli/run-process.js';
import { tempFile } from '../elf/tools.js';
import { buildLogObject } from './producer.js';
import { hello, ping, udp } from './programs.js';

const LINE = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (ERROR|WARN |INFO |DEBUG|TRACE) [^\]]+\] .*$/;
const objectFile = (name: string, body: typeof hello, ringSize?: number) => tempFile(buildLogObject([{ name, body }], { ringSize, file: `${name}.bpf.ts` }).bytes, name);

function pingIn(ns: string, args: string[]): void {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', ...args, '-W', '1', '127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ping failed: ${r.stdout}${r.stderr}`);
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

test('hello world: each packet on lo prints one formatted INFO line; Ctrl-C exits 0 and detaches', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  const obj = objectFile('hello_world', hello);
  await withNetns(async (ns) => {
    const run = new CliProcess(ns.prefix(), ['run', obj, '-i', 'lo', '-m', 'skb']);
    try {
      await run.waitFor(/Waiting for Ctrl-C\.\.\.\n/);
      pingIn(ns.name, ['-c', '3', '-i', '0.2']);
      const infos = () => run.lines.filter((l) => l.endsWith('] received a packet'));
      await until(() => infos().length >= 6);
      const res = await run.stop('SIGINT');
      assert.equal(res.code, 0, run.stderr);
      // Request and reply both cross lo: two packets per ping, as in the seed's trace output.
      assert.equal(infos().length, 6, run.stdout);
      for (const l of infos()) assert.match(l, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO  hello_world\] received a packet$/);
      assert.deepEqual(run.lines, ['Waiting for Ctrl-C...', ...infos(), 'Exiting...']);
      assert.doesNotMatch(run.stdout, /\x1b/, 'no colours when stdout is not a TTY');
      assert.equal(xdpOf(ns.name, 'lo'), '');
    } finally {
      run.kill();
    }
  });
});

test('one line per ping: the echo-request logger prints source, id and sequence numbers', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  const obj = objectFile('ping_log', ping);
  await withNetns(async (ns) => {
    const run = new CliProcess(ns.prefix(), ['run', obj, '-i', 'lo', '-m', 'skb']);
    try {
      await run.waitFor(/Waiting for Ctrl-C/);
      pingIn(ns.name, ['-c', '4', '-i', '0.2']);
      const got = () => run.lines.filter((l) => l.includes('echo request'));
      await until(() => got().length >= 4);
      await run.stop('SIGINT');
      const lines = got();
      assert.equal(lines.length, 4, run.stdout);
      lines.forEach((l) => assert.match(l, /^\[\S+Z INFO  ping_log\] echo request from 127\.0\.0\.1 id \d+ seq \d+$/));
      assert.deepEqual(lines.map((l) => Number(/seq (\d+)$/.exec(l)![1])), [1, 2, 3, 4]);
      assert.equal(new Set(lines.map((l) => /id (\d+)/.exec(l)![1])).size, 1, 'one ping process');
    } finally {
      run.kill();
    }
  });
});

test('UDP over a veth pair: source address, MAC and port, as JSON lines with --json', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  const obj = objectFile('udp_log', udp);
  await withNetnsPair(async (a, b) => {
    a.veth('lga', 'lgb', b);
    a.exec('ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'lga']);
    b.exec('ip', ['addr', 'add', '10.77.0.2/24', 'dev', 'lgb']);
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(b.exec('ip', ['link', 'show', 'lgb']).stdout)![1]!;
    const run = new CliProcess(a.prefix(), ['run', obj, '-i', 'lga', '--json']);
    try {
      await run.waitFor(/Waiting for Ctrl-C/, 20_000, 'stderr');
      const send = `const s=require('dgram').createSocket('udp4');s.bind(40123,'10.77.0.2',()=>{let n=0;const go=()=>s.send('hi',5353,'10.77.0.1',()=>{if(++n<3)setTimeout(go,50);else s.close()});go()})`;
      const r = spawnSync('ip', ['netns', 'exec', b.name, process.execPath, '-e', send], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      await until(() => run.lines.length >= 3);
      await run.stop('SIGINT');
      const recs = run.lines.map((l) => JSON.parse(l));
      assert.equal(recs.length, 3, run.stdout);
      for (const x of recs) {
        assert.deepEqual(Object.keys(x), ['time', 'level', 'target', 'message', 'args', 'file', 'line', 'id']);
        assert.equal(x.message, `udp from 10.77.0.2 mac ${mac} port 40123 (9cbb)`);
        assert.deepEqual(x.args, ['10.77.0.2', mac, 40123, 40123]);
        assert.equal(x.level, 'info');
        assert.equal(x.target, 'udp_log');
        assert.equal(x.file, 'udp_log.bpf.ts');
        assert.match(x.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      assert.match(run.stderr, /Exiting\.\.\./, 'status lines go to stderr with --json');
    } finally {
      run.kill();
    }
  });
});

test('TSBPF_LOG: warn hides info (compiled out at load), a typo gets a note, a bad value is one error line', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  const obj = objectFile('hello_world', hello);
  await withNetns(async (ns) => {
    const envPrefix = (v: string) => ['env', `TSBPF_LOG=${v}`, ...ns.prefix()];
    const quiet = new CliProcess(envPrefix('warn'), ['run', obj, '-i', 'lo', '-m', 'skb']);
    try {
      await quiet.waitFor(/Waiting for Ctrl-C/);
      pingIn(ns.name, ['-c', '2', '-i', '0.2']);
      await new Promise((r) => setTimeout(r, 300));
      await quiet.stop('SIGINT');
      assert.deepEqual(quiet.lines, ['Waiting for Ctrl-C...', 'Exiting...']);
    } finally {
      quiet.kill();
    }
    const typo = new CliProcess(envPrefix('helo_world=debug,info'), ['run', obj, '-i', 'lo', '-m', 'skb']);
    try {
      await typo.waitFor(/Waiting for Ctrl-C/);
      assert.match(typo.stderr, /note: TSBPF_LOG names 'helo_world', which is not a log target of this object \(targets: hello_world\)/);
      await typo.stop('SIGINT');
    } finally {
      typo.kill();
    }
    const bad = runCli(envPrefix('hello_world=loud'), ['run', obj, '-i', 'lo']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^tsbpf run: error: TSBPF_LOG: 'hello_world=loud': 'loud' is not a level\n  hint: TSBPF_LOG is a comma-separated list/);
    assert.equal(xdpOf(ns.name, 'lo'), '', 'nothing attached');
  });
});

test('records lost while the reader is stopped are reported: printed + lost = produced', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  const obj = objectFile('hello_world', hello, 4096); // 16 bytes per record (8-byte header + 4, rounded up)
  await withNetns(async (ns) => {
    const run = new CliProcess(ns.prefix(), ['run', obj, '-i', 'lo', '-m', 'skb']);
    try {
      await run.waitFor(/Waiting for Ctrl-C/);
      run.child.kill('SIGSTOP');
      try {
        pingIn(ns.name, ['-c', '200', '-i', '0.002', '-q']);
      } finally {
        run.child.kill('SIGCONT');
      }
      await run.waitFor(/log records lost/);
      await run.stop('SIGINT');
      const infos = run.lines.filter((l) => l.endsWith('] received a packet')).length;
      const lostLine = run.lines.find((l) => l.includes('log records lost'))!;
      assert.match(lostLine, /^\[\S+Z WARN  tsbpf\] (\d+) log records lost \(the ring buffer was full\)$/);
      const lost = Number(/\] (\d+) log/.exec(lostLine)![1]);
      assert.equal(infos, 255, 'a full ring: the kernel keeps the producer less than the ring size ahead, so 4095 of 4096 bytes');
      assert.equal(infos + lost, 400, '200 pings = 400 packets on lo, each printed or counted');
      for (const l of run.lines.slice(1, -1)) assert.match(l, LINE);
    } finally {
      run.kill();
    }
  });
});
