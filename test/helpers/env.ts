/**
 * What a test needs from the machine (root, BPF, tools) and the rule for when it is missing:
 * skip with a clear reason, except under TSBPF_REQUIRE_KERNEL=1 (CI), where a skip is a failure.
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const REQUIRE_KERNEL = process.env.TSBPF_REQUIRE_KERNEL === '1';

const toolCache = new Map<string, string | null>();

/** Absolute path of a command on PATH (or in the sbin dirs), or null. */
export function findTool(name: string): string | null {
  if (toolCache.has(name)) return toolCache.get(name)!;
  const r = spawnSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name} /sbin/${name} 2>/dev/null`], { encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim().split('\n')[0] || null : null;
  toolCache.set(name, path);
  return path;
}

let kernelReason: string | null | undefined;

/** Why kernel tests cannot run here, or null when they can (root and a bpf(2) that answers). */
export function kernelUnavailableReason(): string | null {
  if (kernelReason !== undefined) return kernelReason;
  if (process.platform !== 'linux') kernelReason = 'not Linux';
  else if (process.getuid?.() !== 0) kernelReason = 'needs root (or CAP_BPF+CAP_NET_ADMIN); run the tests as root';
  else if (!findTool('ip')) kernelReason = 'iproute2 (`ip`) is not installed; .ci/run installs it';
  else kernelReason = null;
  return kernelReason;
}

/**
 * Call at the start of a test that needs the kernel and/or tools. Returns true when the test may
 * proceed; otherwise marks it skipped with the reason (or throws under TSBPF_REQUIRE_KERNEL=1).
 */
export function need(t: TestContext, what: { kernel?: boolean; tools?: string[] }): boolean {
  const reasons: string[] = [];
  if (what.kernel) {
    const r = kernelUnavailableReason();
    if (r) reasons.push(r);
  }
  for (const tool of what.tools ?? []) {
    if (!findTool(tool)) reasons.push(`${tool} is not installed (.ci/run installs it with apt-get)`);
  }
  if (reasons.length === 0) return true;
  const msg = reasons.join('; ');
  if (REQUIRE_KERNEL) throw new Error(`TSBPF_REQUIRE_KERNEL=1 but this test cannot run: ${msg}`);
  t.skip(msg);
  return false;
}
