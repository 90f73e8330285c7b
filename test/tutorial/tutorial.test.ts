/**
 * docs/tutorial.md, run as written: every command of the document in a fresh folder, inside a
 * network namespace (so `lo` is the namespace's own), with `tsbpf` on PATH as the tutorial
 * assumes (`npm link`) and `sudo` dropped (the test runs as root). Outputs are compared with
 * the document's blocks (test/tutorial/steps.ts says how). TSBPF_UPDATE_TUTORIAL=1 rewrites the
 * exact-output blocks of foreground commands from what the commands printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { need } from '../helpers/env.js';
import { withNetns, type Netns } from '../helpers/netns.js';
import { BIN, xdpOf } from '../cli/run-process.js';
import { OFFLINE_NPM_ENV, descendants, killTree } from './procs.js';
import { cleanOutput, compareOutput, normalize, parseSteps, replaceBlocks, type Step } from './steps.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = join(ROOT, 'docs', 'tutorial.md');
const UPDATE = process.env.TSBPF_UPDATE_TUTORIAL === '1';

test('every command block of the tutorial is a marked step; the markers parse', () => {
  const doc = readFileSync(DOC, 'utf8');
  const steps = parseSteps(doc);
  const lines = doc.split('\n');
  const marked = new Set(steps.filter((s) => s.block).map((s) => s.block!.from - 1));
  lines.forEach((l, i) => {
    if (/^```(sh|bash|console|shell)\s*$/.test(l)) assert.ok(marked.has(i), `docs/tutorial.md:${i + 1}: a command block without a tutorial marker`);
  });
  const kinds = steps.map((s) => s.kind);
  for (const k of ['run', 'output', 'start', 'ctrl-c', 'file', 'prompt']) assert.ok(kinds.includes(k as Step['kind']), k);
  // Every background command is stopped, and every output block names a command that exists.
  const started = steps.filter((s) => s.kind === 'start').map((s) => s.attrs.name);
  assert.deepEqual(steps.filter((s) => s.kind === 'ctrl-c').map((s) => s.attrs.name).sort(), [...started].sort());
  for (const s of steps.filter((x) => x.kind === 'output' && x.attrs.of)) assert.ok(started.includes(s.attrs.of!), `line ${s.line}`);
});

test('output comparison: shapes of volatile fields, `...`, contains', () => {
  assert.equal(normalize('ping-75348   [000] ..s21 47214.233803: bpf_trace_printk: packet  received!'), 'ping-<pid> [<cpu>] <flags> <ts>: bpf_trace_printk: packet  received!');
  assert.equal(normalize('kworker/u8:1-13951   [001] .Ns2. 5714.162845: bpf_trace_printk: x'), 'kworker/u8:1-<pid> [<cpu>] <flags> <ts>: bpf_trace_printk: x');
  assert.equal(normalize('[2024-06-08T04:24:21Z INFO  hello_world] received a packet'), '[<time> INFO  hello_world] received a packet');
  assert.equal(normalize('64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.083 ms'), '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=<t> ms');
  assert.equal(compareOutput('a\n...\nd', 'a\nb\nc\nd\n', 'exact'), undefined);
  assert.equal(compareOutput('a\n...', 'a\n', 'exact'), undefined);
  assert.match(compareOutput('a\nb', 'a\nc', 'exact')!, /- b\n\+ c/);
  assert.match(compareOutput('a\nb', 'a\nb\nc', 'exact')!, /differs/);
  assert.equal(compareOutput('b\n\nd', 'a\nb\nc\nd', 'contains'), undefined);
  assert.match(compareOutput('d\nb', 'a\nb\nc\nd', 'contains')!, /not found \(in order\): "b"/);
  assert.deepEqual(cleanOutput('npm warn Unknown user config "x".\nline\r\n\n'), ['line']);
  assert.equal(replaceBlocks('a\n```\nold\nold\n```\nb', [{ block: { from: 2, to: 4 }, text: 'new' }]), 'a\n```\nnew\n```\nb');
});

test('the prompt shown in the tutorial is what `tsbpf new` shows on a terminal', { timeout: 60_000 }, async (t) => {
  if (!need(t, { tools: ['script'] })) return;
  const step = parseSteps(readFileSync(DOC, 'utf8')).find((s) => s.kind === 'prompt')!;
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-tut-prompt-'));
  try {
    // A real pseudo-terminal (util-linux `script`); Ctrl-C cancels once the list is up.
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} new hello-world`, '/dev/null'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!/❯ xdp/.test(screen) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.stdin!.write('\x03');
    const code = await exited;
    const first = screen.slice(0, screen.indexOf('❯ xdp') + '❯ xdp'.length).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    assert.equal(first.trim(), step.text.trim());
    assert.equal(code, 1, 'cancelled');
    assert.match(screen, /cancelled; nothing was created/);
    assert.equal(existsSync(join(dir, 'hello-world')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Background {
  name: string;
  child: ChildProcess;
  out: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pending: Step[];
}

/** Runs the document's steps in `work`, inside namespace `ns`. */
class TutorialRun {
  cwd: string;
  last?: { command: string; output: string };
  readonly outputs = new Map<string, string>();
  readonly bg = new Map<string, Background>();
  readonly updates: { block: { from: number; to: number }; text: string }[] = [];
  readonly env: NodeJS.ProcessEnv;

  constructor(work: string, readonly ns: Netns, shims: string) {
    this.cwd = work;
    this.env = { ...OFFLINE_NPM_ENV, PATH: `${shims}:${process.env.PATH}` };
  }

  /** `sudo` is dropped: the test is root, and sudo (if installed) would reset PATH. */
  private shell(command: string): string {
    return command.replace(/^sudo\s+/, '');
  }

  run(step: Step): void {
    for (const raw of step.text.split('\n')) {
      const command = raw.trim();
      if (!command || command.startsWith('#')) continue;
      const cd = /^cd\s+(\S+)$/.exec(command);
      if (cd) {
        this.cwd = resolve(this.cwd, cd[1]!);
        assert.ok(existsSync(this.cwd), `docs/tutorial.md:${step.line}: cd ${cd[1]}: no such folder`);
        continue;
      }
      const r = spawnSync('ip', ['netns', 'exec', this.ns.name, 'sh', '-c', `exec 2>&1; ${this.shell(command)}`], { cwd: this.cwd, env: this.env, encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, `docs/tutorial.md:${step.line}: \`${command}\` failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
      this.last = { command, output: r.stdout };
      this.outputs.set(command, r.stdout);
    }
  }

  output(step: Step): void {
    const mode = step.attrs.match === 'contains' ? 'contains' : 'exact';
    if (step.attrs.of) {
      const b = this.bg.get(step.attrs.of);
      assert.ok(b, `docs/tutorial.md:${step.line}: no background command '${step.attrs.of}' started before`);
      b.pending.push(step); // compared once it has stopped
      return;
    }
    assert.ok(this.last, `docs/tutorial.md:${step.line}: output block before any command`);
    const actual = cleanOutput(this.last.output).join('\n');
    if (UPDATE && mode === 'exact' && !step.text.split('\n').includes('...') && step.block) {
      this.updates.push({ block: step.block, text: actual });
      return;
    }
    const why = compareOutput(step.text, this.last.output, mode);
    assert.equal(why, undefined, `docs/tutorial.md:${step.line}: output of \`${this.last.command}\`: ${why}`);
  }

  async start(step: Step): Promise<void> {
    const name = step.attrs.name!;
    const command = step.text.trim();
    const child = spawn('ip', ['netns', 'exec', this.ns.name, 'sh', '-c', `exec 2>&1; exec ${this.shell(command)}`], { cwd: this.cwd, env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const b: Background = { name, child, out: '', pending: [], exited: new Promise((r) => child.once('exit', (code, signal) => r({ code, signal }))) };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (b.out += d));
    this.bg.set(name, b);
    const ready = new RegExp(step.attrs.ready ?? '.');
    const deadline = Date.now() + 180_000;
    while (!ready.test(b.out)) {
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`docs/tutorial.md:${step.line}: \`${command}\` ended before it was ready:\n${b.out}`);
      assert.ok(Date.now() < deadline, `docs/tutorial.md:${step.line}: \`${command}\` not ready (${ready}):\n${b.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for the lines the step wants, then Ctrl-C to the command's process group (a terminal's Ctrl-C). */
  async ctrlC(step: Step): Promise<void> {
    const b = this.bg.get(step.attrs.name!);
    assert.ok(b, `docs/tutorial.md:${step.line}: no background command '${step.attrs.name}'`);
    if (step.attrs.after) {
      const re = new RegExp(step.attrs.after, 'g');
      const want = Number(step.attrs.count ?? 1);
      const deadline = Date.now() + 15_000;
      while ((b.out.match(re) ?? []).length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok((b.out.match(re) ?? []).length >= want, `docs/tutorial.md:${step.line}: ${want} lines matching ${re} before Ctrl-C:\n${b.out}`);
    }
    const group = [b.child.pid!, ...descendants(b.child.pid!)];
    process.kill(-b.child.pid!, 'SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race([b.exited, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`docs/tutorial.md:${step.line}: no exit after Ctrl-C:\n${b.out}`)), 20_000)))]);
    clearTimeout(timer);
    // The leader is the command, or npm running it: npm reports a Ctrl-C as its own death by SIGINT.
    assert.ok(end.code === 0 || end.signal === 'SIGINT', `docs/tutorial.md:${step.line}: exit ${JSON.stringify(end)}:\n${b.out}`);
    const gone = Date.now() + 5_000;
    while (group.some((p) => existsSync(`/proc/${p}`)) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!group.some((p) => existsSync(`/proc/${p}`)), 'every process of the command has ended');
    for (const o of b.pending) {
      const why = compareOutput(o.text, b.out, o.attrs.match === 'contains' ? 'contains' : 'exact');
      assert.equal(why, undefined, `docs/tutorial.md:${o.line}: output of \`${b.name}\`: ${why}`);
    }
    this.bg.delete(b.name);
  }

  file(step: Step): void {
    writeFileSync(resolve(this.cwd, step.arg!), `${step.text}\n`);
  }

  /** Kills what is still running (a failed step). */
  killAll(): void {
    for (const b of this.bg.values()) killTree(b.child.pid);
  }
}

test('docs/tutorial.md: every command runs and prints what the document shows', { timeout: 600_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping', 'npm'] })) return;
  const doc = readFileSync(DOC, 'utf8');
  const steps = parseSteps(doc);
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-tutorial-'));
  try {
    // `tsbpf` on PATH, as `npm link` in the checkout would put it.
    const shims = join(work, '.bin');
    mkdirSync(shims);
    writeFileSync(join(shims, 'tsbpf'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(shims, 'tsbpf'), 0o755);
    await withNetns(async (ns) => {
      const run = new TutorialRun(work, ns, shims);
      try {
        for (const step of steps) {
          switch (step.kind) {
            case 'run': run.run(step); break;
            case 'output': run.output(step); break;
            case 'start': await run.start(step); break;
            case 'ctrl-c': await run.ctrlC(step); break;
            case 'file': run.file(step); break;
            case 'prompt': break; // the test above, on a real terminal
          }
        }
        assert.equal(run.bg.size, 0, 'every background command was stopped');
        assert.equal(xdpOf(ns.name, 'lo'), '', 'nothing left attached to lo');
        // The instruction count the prose and the table claim is the one `--stats` printed.
        const stats = run.outputs.get('npx tsbpf build --stats');
        const n = /hello_world\s+xdp\s+(\d+) insns/.exec(stats ?? '')?.[1];
        assert.ok(n, `--stats output: ${stats}`);
        assert.match(doc, new RegExp(`\\*\\*${n} instructions\\*\\*`), 'the table shows the measured count');
      } finally {
        run.killAll();
      }
      if (UPDATE && run.updates.length) writeFileSync(DOC, replaceBlocks(doc, run.updates));
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
