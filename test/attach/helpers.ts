/**
 * Shared pieces of the attach tests: the clang-built type corpus (test/corpus/types/), the host
 * helper program (fixtures/probe-target.c, built with gcc), test cgroups under the cgroup v2
 * mount (removed afterwards), and polling with a deadline.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusObject } from '../helpers/corpus.js';
import { unique } from '../helpers/netns.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { cgroup2Mounts } from '../../src/attach/cgroup.js';

export const FIXTURES = fileURLToPath(new URL('../../../test/attach/fixtures/', import.meta.url));

/** The object of test/corpus/types/NAME.bpf.c. */
export function typeObject(name: string): string {
  return corpusObject(`types/${name}`);
}

/** Loads a type-corpus object, with `target_tgid` (and other settings) set. */
export function loadType(name: string, constants: Record<string, number> = {}, programs?: string[]): Promise<LoadedObject> {
  return loadObject(typeObject(name), { constants, programs });
}

/** A global as a number (bigint globals converted). */
export function num(obj: LoadedObject, name: string): number {
  return Number(obj.readGlobal(name) as number | bigint);
}

/** Builds fixtures/probe-target.c with gcc (cached by content) and returns the binary's path. */
export function probeTarget(): string {
  const src = join(FIXTURES, 'probe-target.c');
  const key = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'tsbpf-corpus');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `probe-target-${key}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-O2', '-o', tmp, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed on ${src}: ${r.stderr}`);
  renameSync(tmp, out);
  return out;
}

/** Runs the helper (optionally inside a cgroup / with a command prefix); returns its pid after it exited. */
export function runTarget(args: string[], opts: { cgroup?: string; prefix?: string[] } = {}): number {
  const argv = [...(opts.prefix ?? []), probeTarget(), ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...(opts.cgroup ? { TSBPF_CGROUP: opts.cgroup } : {}) }, timeout: 30_000 });
  if (r.status !== 0 || !/^done/m.test(r.stdout)) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.pid!;
}

/** The cgroup v2 mount, or undefined (tests then skip). */
export function cgroup2Root(): string | undefined {
  return cgroup2Mounts()[0];
}

/** Creates a cgroup under the v2 root, runs `fn`, then removes it (moving stragglers to the root first). */
export async function withCgroup<T>(fn: (path: string) => Promise<T> | T): Promise<T> {
  const root = cgroup2Root();
  if (!root) throw new Error('no cgroup v2 mount');
  const path = join(root, unique('tsbpf'));
  mkdirSync(path);
  try {
    return await fn(path);
  } finally {
    for (let i = 0; i < 50; i++) {
      try {
        for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try {
            writeFileSync(join(root, 'cgroup.procs'), pid);
          } catch {
            // exited meanwhile
          }
        }
        rmdirSync(path);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/** Polls `f` until it returns true or `ms` pass; returns the last result. */
export async function eventually(f: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (f()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
