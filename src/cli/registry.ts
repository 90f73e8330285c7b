/**
 * The list of subcommands. Each is imported lazily so that `tsbpf build` does not pay for the
 * loader's koffi and `tsbpf run` does not pay for the compiler.
 */
import type { Command } from './command.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
};

export function commandSummaries(): [string, string][] {
  return Object.entries(COMMANDS).map(([n, c]) => [n, c.summary]);
}

export async function loadCommand(name: string): Promise<Command | undefined> {
  const entry = COMMANDS[name];
  return entry ? entry.load() : undefined;
}
