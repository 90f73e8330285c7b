/**
 * `tsbpf` entry: dispatches to a subcommand and turns every failure into one clear line and a
 * non-zero exit code (a stack trace only with TSBPF_DEBUG=1).
 */
import { TsbpfError, describeError } from '../errors.js';
import { stdio, type CliIO } from './command.js';
import { loadCommand, commandSummaries } from './registry.js';

function help(io: CliIO): void {
  const lines = commandSummaries().map(([n, s]) => `  ${n.padEnd(10)} ${s}`);
  io.out(`tsbpf — eBPF for TypeScript\n\nUsage: tsbpf <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`tsbpf <command> --help\` for a command's options.\n`);
}

export async function run(argv: string[], io: CliIO = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-V') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    io.out(`${pkg.version}\n`);
    return 0;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    io.err(`tsbpf: unknown command '${name}'\n  hint: run \`tsbpf --help\` for the list of commands\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage.endsWith('\n') ? cmd.usage : `${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (process.env.TSBPF_DEBUG === '1' && err instanceof Error) io.err(`${err.stack}\n`);
    const prefix = err instanceof TsbpfError || isArgError(err) ? `tsbpf ${name}: error: ` : `tsbpf ${name}: internal error: `;
    io.err(`${prefix}${describeError(err)}\n`);
    return 1;
  }
}

/** node:util parseArgs errors are user errors (unknown option, missing value). */
function isArgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
