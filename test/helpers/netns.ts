/**
 * Network namespaces for kernel tests: each test gets its own namespace (its own `lo`, optional
 * veth pairs) and everything is deleted afterwards, also when the test fails.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

let counter = 0;

export function sh(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input });
  if (!opts.allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return r;
}

export interface Netns {
  name: string;
  /** Runs a command inside the namespace (`ip netns exec NAME ...`). */
  exec(cmd: string, args: string[], opts?: { allowFail?: boolean; input?: string }): SpawnSyncReturns<string>;
  /** Argument prefix for spawning a long-running child inside the namespace. */
  prefix(): string[];
  /** Creates a veth pair `a` (in this namespace) ↔ `b` (in `peer`'s namespace, or here), both up. */
  veth(a: string, b: string, peer?: Netns): void;
}

export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
}

let swept = false;

/**
 * Deletes namespaces left by test processes that were killed before their `finally` ran (names
 * carry the creating pid: `tsbpf-PID-…`). Runs once per process, before the first namespace.
 */
export function sweepStaleNetns(): void {
  if (swept) return;
  swept = true;
  const list = sh('ip', ['netns', 'list'], { allowFail: true }).stdout;
  for (const line of list.split('\n')) {
    const m = /^(tsbpf-(\d+)-\S+)/.exec(line.trim());
    if (!m || Number(m[2]) === process.pid) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      alive = false;
    }
    if (!alive) sh('ip', ['netns', 'del', m[1]!], { allowFail: true });
  }
}

/** Creates a namespace with `lo` up, runs `fn`, then deletes it (and its veths) whatever happens. */
export async function withNetns<T>(fn: (ns: Netns) => Promise<T> | T, extra = 0): Promise<T> {
  sweepStaleNetns();
  const made: string[] = [];
  const mk = (): Netns => {
    const name = unique('tsbpf');
    sh('ip', ['netns', 'add', name]);
    made.push(name);
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const ns: Netns = {
      name,
      exec: (cmd, args, opts) => sh('ip', ['netns', 'exec', name, cmd, ...args], opts),
      prefix: () => ['ip', 'netns', 'exec', name],
      veth(a, b, peer) {
        sh('ip', ['-n', name, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', (peer ?? ns).name]);
        sh('ip', ['-n', name, 'link', 'set', a, 'up']);
        sh('ip', ['-n', (peer ?? ns).name, 'link', 'set', b, 'up']);
      },
    };
    return ns;
  };
  try {
    const main = mk();
    for (let i = 0; i < extra; i++) mk();
    return await fn(main);
  } finally {
    for (const name of made) sh('ip', ['netns', 'del', name], { allowFail: true });
  }
}

/** Creates several namespaces at once (e.g. two ends of a veth pair); all are deleted afterwards. */
export async function withNetnsPair<T>(fn: (a: Netns, b: Netns) => Promise<T> | T): Promise<T> {
  return withNetns(async (a) => withNetns(async (b) => fn(a, b)));
}
