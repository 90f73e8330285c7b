/** `tsbpf trace`: streams bpf_printk output (the kernel trace pipe) until Ctrl-C. */
import { parseArgs } from 'node:util';
import type { Command, CliIO } from '../command.js';

const usage = `Usage: tsbpf trace [--filter TEXT] [--raw] [--global] [--buffer-kb N]

Streams bpf_printk output from the kernel trace pipe until Ctrl-C, mounting tracefs when needed:

  ping-75348   [000] ..s21 47214.233803: bpf_trace_printk: packet  received!

Options:
  --filter TEXT   only lines containing TEXT (task, pid, message, ...)
  --raw           print lines exactly as the kernel writes them (column padding included)
  --global        read the shared /sys/kernel/tracing/trace_pipe (all events, consumed by
                  whoever reads first) instead of a private tracing instance that sees every
                  bpf_printk line without taking it from other readers
  --buffer-kb N   per-CPU buffer of the private instance, in KiB
`;

export async function traceMain(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      filter: { type: 'string' },
      raw: { type: 'boolean' },
      global: { type: 'boolean' },
      'buffer-kb': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  let bufferSizeKb: number | undefined;
  if (values['buffer-kb'] !== undefined) {
    bufferSizeKb = Number(values['buffer-kb']);
    if (!Number.isInteger(bufferSizeKb) || bufferSizeKb < 1 || bufferSizeKb > 1 << 20) {
      const { TsbpfError } = await import('../../errors.js');
      throw new TsbpfError('USAGE', `--buffer-kb '${values['buffer-kb']}' is not a whole number of KiB between 1 and 1048576`);
    }
  }
  const { TracePipe } = await import('../../trace/trace-pipe.js');
  const { parseTraceLine, formatTraceLine } = await import('../../trace/trace-line.js');
  const pipe = TracePipe.open({ filter: values.filter, global: values.global, bufferSizeKb });
  // On stderr, so that stdout carries only trace lines: tells a user (or a script) reading started.
  io.err(`tsbpf trace: reading bpf_printk output from ${values.global ? pipe.dir + '/trace_pipe' : 'a private tracing instance'} (Ctrl-C to stop)\n`);
  const stop = (): void => pipe.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for await (const raw of pipe.lines()) {
      if (values.raw) {
        io.out(`${raw}\n`);
        continue;
      }
      const parsed = parseTraceLine(raw);
      io.out(`${parsed ? formatTraceLine(parsed) : raw.trimStart()}\n`);
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    pipe.close();
  }
  const lost = pipe.overruns();
  if (lost > 0) io.err(`tsbpf trace: ${lost} line(s) lost: the kernel's trace buffer overran before they were read (try --buffer-kb)\n`);
  return 0;
}

export const command: Command = {
  name: 'trace',
  summary: 'stream bpf_printk output (the kernel trace pipe)',
  usage,
  run: traceMain,
};
