/**
 * Long-running CLI processes for kernel tests (`tsbpf run`, `tsbpf trace`): spawned inside a
 * network namespace, output collected line by line, waits with deadlines (a hang fails the test
 * instead of blocking the suite), and killed in `finally` whatever happens.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/tsbpf.js', import.meta.url));

export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(prefix: string[], args: string[]) {
    const argv = [...prefix, process.execPath, BIN, ...args];
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get lines(): string[] {
    return this.stdout.split('\n').filter((l) => l.length > 0);
  }

  /** Waits until stdout (or stderr) matches `re` (or the process exits, or `ms` pass: both fail). */
  async waitFor(re: RegExp, ms = 20_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<void> {
    const deadline = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!re.test(this[stream])) {
      if (exited) throw new Error(`process exited before printing ${re}: stdout=${JSON.stringify(this.stdout)} stderr=${JSON.stringify(this.stderr)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}: stdout=${JSON.stringify(this.stdout)} stderr=${JSON.stringify(this.stderr)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends `sig` and waits for the exit (SIGKILL after `ms`, and the test fails). */
  async stop(sig: NodeJS.Signals = 'SIGINT', ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`process did not exit within ${ms} ms after ${sig}: stdout=${JSON.stringify(this.stdout)} stderr=${JSON.stringify(this.stderr)}`));
      }, ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process if it still runs (for `finally`). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Runs the CLI to completion. A run killed by the timeout or a signal (status null) says so at the
 * end of its stderr, so the assertion on `status` shows why.
 */
export function runCli(prefix: string[], args: string[], timeoutMs = 60_000): { status: number | null; stdout: string; stderr: string } {
  const argv = [...prefix, process.execPath, BIN, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  let stderr = r.stderr ?? '';
  if (r.error) stderr += `\n[runCli: ${(r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `killed after the ${timeoutMs} ms timeout` : r.error.message}]`;
  else if (r.signal) stderr += `\n[runCli: killed by ${r.signal}]`;
  return { status: r.status, stdout: r.stdout ?? '', stderr };
}

/** The XDP part of `ip link show dev IFACE` in namespace `ns` ('' when nothing is attached). */
export function xdpOf(ns: string, iface: string): string {
  const r = spawnSync('ip', ['-n', ns, '-d', 'link', 'show', 'dev', iface], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip link show ${iface} in ${ns}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => /\bxdp|prog\/xdp/.test(l)).join('\n');
}

/** Polls until no XDP program is attached to `iface` (links are released asynchronously after a kill). */
export async function waitNoXdp(ns: string, iface: string, ms = 5_000): Promise<string> {
  const deadline = Date.now() + ms;
  let now = xdpOf(ns, iface);
  while (now && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    now = xdpOf(ns, iface);
  }
  return now;
}
