/** Shared by the bpf(2), loader and map tests: tiny raw programs and child processes running our code. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One raw instruction: [code, dst, src, off, imm]. */
export type Raw = [number, number, number, number, number];

export function asm(...insns: Raw[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const v = new DataView(out.buffer);
  insns.forEach(([code, dst, src, off, imm], i) => {
    out[i * 8] = code;
    out[i * 8 + 1] = (src << 4) | dst;
    v.setInt16(i * 8 + 2, off, true);
    v.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}

/** `r0 = imm; exit` */
export const returns = (imm: number): Uint8Array => asm([0xb7, 0, 0, 0, imm], [0x95, 0, 0, 0, 0]);

/** URL of a compiled module under dist/ for child scripts (`distUrl('src/sys/bpf.js')`). */
export function distUrl(rel: string): string {
  return pathToFileURL(join(new URL('../../', import.meta.url).pathname, rel)).href;
}

export interface ChildOptions {
  /** Command prefix, e.g. `ip netns exec NS` or a setpriv invocation. */
  prefix?: string[];
  timeoutMs?: number;
}

/** Runs an ES module text with node (after `prefix`); returns the process result. */
export function runChild(source: string, o: ChildOptions = {}): SpawnSyncReturns<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-child-'));
  chmodSync(dir, 0o755); // readable by an unprivileged child too
  try {
    const file = join(dir, 'child.mjs');
    writeFileSync(file, source, { mode: 0o644 });
    const prefix = o.prefix ?? [];
    const argv = [...prefix, process.execPath, file];
    return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: o.timeoutMs ?? 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Drops to uid/gid 65534 with no capabilities (setpriv from util-linux), or null when unavailable. */
export function unprivilegedPrefix(setpriv: string | null): string[] | null {
  if (!setpriv) return null;
  return [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs'];
}
