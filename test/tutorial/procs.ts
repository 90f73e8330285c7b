/**
 * Processes and npm for the tests that drive whole projects (test/tutorial, test/cli/new-project,
 * test/examples): npm without the network, and the process tree of a command we started, found
 * through /proc (so that signals go to our own processes only, by pid).
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * npm without the network: everything tsbpf needs is in the cache that installing tsbpf filled.
 * NODE_TEST_CONTEXT is dropped: with it, a project's own `node --test` would report to this
 * test runner instead of printing its results.
 */
export const OFFLINE_NPM_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  NO_COLOR: '1',
};

/** Every descendant pid of `pid` (children before grandchildren), from /proc. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number): void => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids: string;
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(k);
        walk(k);
      }
    }
  };
  walk(pid);
  return out;
}

/** The argv of process `pid` ([] once it is gone). */
export function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** SIGKILL to `pid` and everything below it (cleanup after a failed test). */
export function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const p of [...descendants(pid).reverse(), pid]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
