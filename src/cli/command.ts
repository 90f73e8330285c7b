/** The shape of a CLI subcommand; each lives in src/cli/commands/NAME.ts and is listed in registry.ts. */
export interface Command {
  name: string;
  /** One line for `tsbpf --help`. */
  summary: string;
  /** Full usage text for `tsbpf NAME --help`. */
  usage: string;
  /** Runs the command; returns the exit code. Throw TsbpfError for user-facing failures. */
  run(args: string[], io: CliIO): Promise<number>;
}

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export const stdio: CliIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
};
