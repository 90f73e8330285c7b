/**
 * Shared by the xdp-tutorial example tests: the examples' paths, their kernel programs compiled
 * and loaded for test runs, their user-side scripts compiled (as the README says, with the
 * checkout's TypeScript) into a private folder, and long-running processes inside namespaces.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFile } from '../../src/compiler/compile.js';
import { formatDiagnostic } from '../../src/compiler/diagnostics.js';
import { loadModel, type LoadOptions, type LoadedObject } from '../../src/loader/index.js';
import { parseObject } from '../../src/object/index.js';
import { BIN } from '../cli/run-process.js';
import { killTree } from '../tutorial/procs.js';
import { sh } from '../helpers/netns.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TUTORIAL = join(ROOT, 'examples', 'xdp-tutorial');
export { BIN };

/** examples/xdp-tutorial/REL */
export const example = (rel: string): string => join(TUTORIAL, rel);

/** Compiles and loads an example's kernel program (for test runs); throws with the diagnostics. */
export function loadExample(rel: string, options: LoadOptions = {}): LoadedObject {
  const r = compileFile(example(rel), { file: `examples/xdp-tutorial/${rel}` });
  if (!r.object) throw new Error(`${rel} does not compile:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return loadModel(parseObject(r.object), options);
}

/**
 * The user-side scripts compiled with examples/xdp-tutorial/tsconfig.json into a temporary
 * folder whose node_modules/tsbpf is this checkout (what `import 'tsbpf'` finds in the checkout).
 */
export function buildUserSide(): { dir: string; script: (rel: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-xdptut-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'tsbpf'));
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(TUTORIAL, 'tsconfig.json'), '--outDir', out], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the examples' user side does not compile:\n${r.stdout}${r.stderr}`);
  }
  return { dir, script: (rel) => join(out, rel.replace(/\.ts$/, '.js')), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A long-running command (a loader, `tsbpf run`, a receiver) with its output collected. */
export class Proc {
  readonly child: ChildProcess;
  out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly argv: string[], opts: { cwd?: string } = {}) {
    this.child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }

  /** `tsbpf ARGS` inside namespace `ns`. */
  static tsbpf(ns: string, args: string[]): Proc {
    return new Proc(['ip', 'netns', 'exec', ns, process.execPath, BIN, ...args]);
  }

  /** A compiled user-side script inside namespace `ns` (or, with `netOnly`, in the namespace's network only: same mounts as the test). */
  static script(ns: string, path: string, args: string[], netOnly = false): Proc {
    const enter = netOnly ? ['nsenter', `--net=/run/netns/${ns}`] : ['ip', 'netns', 'exec', ns];
    return new Proc([...enter, process.execPath, path, ...args]);
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the output matches `re` (fails when the process ends first or after `ms`). */
  async waitFor(re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (!this.running) throw new Error(`${this.argv.join(' ')} ended before printing ${re}:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} from ${this.argv.join(' ')}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Ctrl-C, and the exit (SIGKILL and a failure after `ms`). */
  async stop(ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([this.exited, new Promise<never>((_, rej) => (timer = setTimeout(() => {
        killTree(this.child.pid);
        rej(new Error(`${this.argv.join(' ')} did not exit after Ctrl-C:\n${this.out}`));
      }, ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** For `finally`: kills it if it still runs. */
  kill(): void {
    if (this.running) killTree(this.child.pid);
  }
}

/** Kills every process given (for `finally`). */
export function killAll(...procs: (Proc | undefined)[]): void {
  for (const p of procs) p?.kill();
}

/** The MAC address of `iface` in namespace `ns`. */
export function macOf(ns: string, iface: string): string {
  const m = /link\/ether ([0-9a-f:]{17})/.exec(sh('ip', ['-n', ns, 'link', 'show', 'dev', iface]).stdout);
  if (!m) throw new Error(`no MAC address for ${iface} in ${ns}`);
  return m[1]!;
}

/** `ping` from namespace `ns`; returns how many replies came back and the sequence numbers answered. */
export function ping(ns: string, target: string, count: number, extra: string[] = []): { received: number; seqs: number[]; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', ...extra, '-c', String(count), '-i', '0.2', '-W', '1', target], { encoding: 'utf8' });
  const received = Number(/(\d+) received/.exec(r.stdout)?.[1] ?? -1);
  const seqs = [...r.stdout.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
  return { received, seqs, out: r.stdout + r.stderr };
}
