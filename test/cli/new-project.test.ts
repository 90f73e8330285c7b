/**
 * A new user's first minutes, for real: `tsbpf new hello --type xdp` in an empty folder, then the
 * generated README's two commands — `npm install` (offline: tsbpf comes from vendor/, its
 * dependencies from the npm cache) and `npm start -- -i lo` inside a network namespace — plus
 * `npm test` and `npm run typecheck`. Checks one INFO line per packet while pinging, Ctrl-C
 * (SIGINT to the program), exit 0 through npm, and no XDP program left on lo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { BIN, xdpOf } from './run-process.js';
import { OFFLINE_NPM_ENV, argvOf, descendants, killTree } from '../tutorial/procs.js';

function npm(cwd: string, args: string[], timeout = 180_000): SpawnSyncReturns<string> {
  return spawnSync('npm', args, { cwd, encoding: 'utf8', env: OFFLINE_NPM_ENV, timeout });
}

test('tsbpf new hello --type xdp, npm install, npm test, npm start -- -i lo: a line per packet, Ctrl-C, exit 0, nothing attached', { timeout: 600_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping', 'npm'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-newproj-'));
  try {
    const gen = spawnSync(process.execPath, [BIN, 'new', 'hello', '--type', 'xdp'], { cwd: work, encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    assert.match(gen.stdout, /^Created hello \(xdp program 'hello'\) in hello\/$/m);
    assert.match(gen.stdout, /\n {2}cd hello\n {2}npm install\n {2}sudo npm start -- -i eth0\n$/);
    const dir = join(work, 'hello');
    // The README shows the same two commands.
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    assert.match(readme, /```sh\nnpm install\nsudo npm start -- -i eth0\n```/);

    const install = npm(dir, ['install']);
    assert.equal(install.status, 0, install.stdout + install.stderr);
    const version = spawnSync(join(dir, 'node_modules', '.bin', 'tsbpf'), ['--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(BIN, '..', '..', 'package.json'), 'utf8')).version);

    const check = npm(dir, ['run', 'typecheck']);
    assert.equal(check.status, 0, check.stdout + check.stderr);

    const tested = npm(dir, ['test']);
    assert.equal(tested.status, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /^built target\/bpf\/hello\.o \(hello\)$/m);
    assert.match(tested.stdout, /^# pass 1$/m);
    assert.match(tested.stdout, /^# fail 0$/m);

    await withNetns(async (ns) => {
      const start = spawn('ip', ['netns', 'exec', ns.name, 'npm', 'start', '--', '-i', 'lo'], { cwd: dir, env: OFFLINE_NPM_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      start.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      start.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => start.once('exit', (code, signal) => r({ code, signal })));
      const until = async (re: RegExp, ms: number): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!re.test(out)) {
          if (start.exitCode !== null || start.signalCode !== null) throw new Error(`npm start ended early: ${out}\n${err}`);
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}: ${out}\n${err}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      try {
        await until(/^Waiting for Ctrl-C\.\.\.$/m, 120_000);
        assert.match(xdpOf(ns.name, 'lo'), /prog\/xdp id \d+ name hello /);
        const ping = ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1']);
        assert.match(ping.stdout, /3 packets transmitted, 3 received/);
        // Each echo crosses lo twice (request and reply): six packets, six lines.
        const line = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO {2}hello\] received a packet$/gm;
        const deadline = Date.now() + 10_000;
        while ((out.match(line) ?? []).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.ok((out.match(line) ?? []).length >= 6, `six INFO lines: ${out}`);

        // Ctrl-C to the program (npm then exits with its status).
        const main = descendants(start.pid!).find((p) => {
          const argv = argvOf(p);
          return /(^|\/)node$/.test(argv[0] ?? '') && argv.slice(1).join(' ') === 'dist/src/main.js -i lo';
        });
        assert.ok(main, 'the user-side process runs');
        process.kill(main, 'SIGINT');
        let timer: NodeJS.Timeout | undefined;
        const end = await Promise.race([exited, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no exit after Ctrl-C: ${out}\n${err}`)), 20_000)))]);
        clearTimeout(timer);
        assert.deepEqual(end, { code: 0, signal: null }, err);
        assert.match(out, /^Exiting\.\.\.$/m);
        assert.equal(xdpOf(ns.name, 'lo'), '', 'nothing attached after Ctrl-C');
      } finally {
        if (start.exitCode === null && start.signalCode === null) killTree(start.pid);
      }
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
