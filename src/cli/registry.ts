/**
 * The list of subcommands. Each is imported lazily so that `tsbpf build` does not pay for the
 * loader's koffi and `tsbpf run` does not pay for the compiler.
 */
import type { Command } from './command.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  build: { summary: 'compile TypeScript kernel programs (*.bpf.ts) into BPF objects', load: async () => (await import('./commands/build.js')).command },
  new: { summary: 'create a project: a kernel program, its user side and a test (like cargo generate aya-template)', load: async () => (await import('./commands/new.js')).command },
  objdump: { summary: 'disassemble BPF objects (llvm-objdump -d compatible, with helper and relocation notes)', load: async () => (await import('./commands/objdump.js')).command },
  readelf: { summary: 'print section headers, relocations, symbols or BTF of a BPF object', load: async () => (await import('./commands/readelf.js')).command },
  run: { summary: 'load a program, attach it (xdp, tc, kprobe, tracepoint, cgroup, …) and stream its output until Ctrl-C', load: async () => (await import('./commands/run.js')).command },
  status: { summary: 'show what is attached: XDP and tc programs per interface, and every BPF link', load: async () => (await import('./commands/status.js')).command },
  trace: { summary: 'stream bpf_printk output (the kernel trace pipe)', load: async () => (await import('./commands/trace.js')).command },
};

export function commandSummaries(): [string, string][] {
  return Object.entries(COMMANDS).map(([n, c]) => [n, c.summary]);
}

export async function loadCommand(name: string): Promise<Command | undefined> {
  const entry = COMMANDS[name];
  return entry ? entry.load() : undefined;
}
