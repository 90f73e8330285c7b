/**
 * `tsbpf run OBJECT -i IFACE`: load an XDP program, attach it, stream its output until Ctrl-C
 * (or SIGTERM), detach, exit 0 — the seed's `cargo xtask run -- -i lo`. Every failure before the
 * wait leaves nothing loaded, attached or pinned (the object is closed in `finally`; the XDP link
 * dies with its fd).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { TsbpfError } from '../../errors.js';
import type { Command, CliIO } from '../command.js';
import type { BpfObject, BpfProgram } from '../../object/index.js';

const usage = `Usage: tsbpf run OBJECT -i IFACE [-p PROGRAM] [-m MODE] [--force] [--json] [--verbose]

Loads an XDP program from OBJECT (a BPF ELF object), attaches it to interface IFACE, prints
"Waiting for Ctrl-C...", streams the program's bpf_printk output, and on Ctrl-C (or SIGTERM)
prints "Exiting...", detaches and exits.

Options:
  -i, --iface IFACE      interface to attach to (in the current network namespace)
  -p, --program NAME     the program to run, when the object has more than one XDP program
  -m, --mode MODE        auto (default: native, else skb with a notice), native, skb or hw
      --force            replace an XDP program already attached to IFACE
      --json             print log records as JSON, one object per line (status lines go to stderr)
  -v, --verbose          the full verifier log when the program is rejected; attach details

bpf_printk output is read from a private tracing instance, so \`tsbpf trace\` or
\`cat /sys/kernel/tracing/trace_pipe\` elsewhere see the same lines. The trace buffer is shared
by every BPF program: lines printed by other programs at the same time appear as well.

When the object logs (log.info(ctx, "…") and friends), its records are printed as
\`[2024-06-08T04:24:21Z INFO  hello_world] received a packet\`. TSBPF_LOG chooses what is shown
and compiled in at load time: \`info\` (default), \`warn\`, \`hello_world=debug,info\`, \`off\`.
Records the kernel could not write (ring buffer full) are reported as "N log records lost".
`;

const BPF_PROG_TYPE_XDP = 6;
const HELPER_TRACE_PRINTK = 6;
const HELPER_TRACE_VPRINTK = 177;

interface RunArgs {
  object: string;
  iface: string;
  program?: string;
  mode: string;
  force: boolean;
  json: boolean;
  verbose: boolean;
}

function parse(args: string[]): RunArgs {
  const { values, positionals } = parseArgs({
    args,
    options: {
      iface: { type: 'string', short: 'i' },
      program: { type: 'string', short: 'p' },
      mode: { type: 'string', short: 'm', default: 'auto' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) {
    throw new TsbpfError('USAGE', positionals.length ? `expected one OBJECT, got ${positionals.length}: ${positionals.join(' ')}` : 'missing OBJECT', 'usage: tsbpf run OBJECT -i IFACE [-p PROGRAM] [-m MODE]');
  }
  if (!values.iface) throw new TsbpfError('USAGE', 'missing -i IFACE (the interface to attach to)', 'e.g. `tsbpf run hello.o -i lo`');
  return { object: positionals[0]!, iface: values.iface, program: values.program, mode: values.mode!, force: values.force!, json: values.json!, verbose: values.verbose! };
}

/** Builds a `.bpf.ts` source into object bytes with the compiler (loaded only for .ts inputs). */
async function buildSource(path: string): Promise<Uint8Array> {
  const { buildForRun } = await import('./build.js');
  return buildForRun(path);
}

async function readObject(path: string): Promise<Uint8Array> {
  if (path.endsWith('.ts')) return buildSource(path);
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsbpfError('USAGE', `cannot read '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

/** The program to run: -p NAME, or the object's only XDP program. */
function chooseProgram(obj: BpfObject, file: string, name?: string): BpfProgram {
  const all = obj.programs.map((p) => p.name);
  if (name !== undefined) {
    const p = obj.programs.find((x) => x.name === name);
    if (!p) throw new TsbpfError('USAGE', `no program '${name}' in '${file}'`, all.length ? `programs: ${all.join(', ')}` : 'the object has no programs');
    if (p.type?.progType !== BPF_PROG_TYPE_XDP) {
      throw new TsbpfError('USAGE', `program '${name}' in '${file}' is not an XDP program (section '${p.section}'); tsbpf run attaches XDP programs`);
    }
    return p;
  }
  const xdp = obj.programs.filter((p) => p.type?.progType === BPF_PROG_TYPE_XDP);
  if (xdp.length === 1) return xdp[0]!;
  if (xdp.length === 0) {
    throw new TsbpfError('USAGE', `'${file}' has no XDP program`, all.length ? `programs: ${all.join(', ')} (sections ${obj.programs.map((p) => p.section).join(', ')})` : 'the object has no programs');
  }
  throw new TsbpfError('USAGE', `'${file}' has ${xdp.length} XDP programs (${xdp.map((p) => p.name).join(', ')}): choose one with -p NAME`);
}

/** True when the program or any function it could call uses bpf_printk (trace_printk/trace_vprintk). */
function usesPrintk(obj: BpfObject, prog: BpfProgram): boolean {
  return [prog, ...obj.functions].some((f) => {
    for (let off = 0; off + 8 <= f.bytes.length; off += 8) {
      if (f.bytes[off] !== 0x85 || f.bytes[off + 1]! >> 4 !== 0) continue; // call, helper (src_reg 0)
      const imm = new DataView(f.bytes.buffer, f.bytes.byteOffset + off + 4, 4).getInt32(0, true);
      if (imm === HELPER_TRACE_PRINTK || imm === HELPER_TRACE_VPRINTK) return true;
    }
    return false;
  });
}

/** Resolves on the first SIGINT/SIGTERM/SIGHUP; `dispose` removes the handlers. */
function signalPromise(): { done: Promise<string>; fired: () => boolean; dispose: () => void } {
  let fired = false;
  let resolve!: (s: string) => void;
  const done = new Promise<string>((r) => (resolve = r));
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handler = (s: NodeJS.Signals): void => {
    fired = true;
    resolve(s);
  };
  for (const s of sigs) process.on(s, handler);
  return { done, fired: () => fired, dispose: () => sigs.forEach((s) => process.removeListener(s, handler)) };
}

export async function runMain(args: string[], io: CliIO): Promise<number> {
  const a = parse(args);
  const { XDP_ATTACH_MODES, attachXdp } = await import('../../attach/xdp.js');
  if (!(XDP_ATTACH_MODES as readonly string[]).includes(a.mode)) {
    throw new TsbpfError('USAGE', `unknown mode '${a.mode}' for -m`, `use one of: ${XDP_ATTACH_MODES.join(', ')}`);
  }
  // Signals from here on end the run cleanly (detach included) instead of killing the process.
  const signals = signalPromise();
  try {
    const bytes = await readObject(a.object);
    const { resolveInterface } = await import('../../sys/netif.js');
    const iface = resolveInterface(a.iface); // fail before loading anything
    const { parseObject, readLogMeta } = await import('../../object/index.js');
    const model = parseObject(bytes);
    const prog = chooseProgram(model, a.object, a.program);
    // An object that logs gets its level setting from TSBPF_LOG before load (disabled calls are pruned).
    const logMeta = readLogMeta(model.elf);
    const logs = logMeta ? await import('../../log/index.js') : undefined;
    const logFilter = logs?.parseLogFilter(process.env.TSBPF_LOG);
    if (logs && logMeta && logFilter) {
      const unknown = logs.unknownTargets(logFilter, logMeta);
      if (unknown.length) io.err(`tsbpf run: note: TSBPF_LOG names ${unknown.map((t) => `'${t}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not a log target of this object (targets: ${logMeta.targets.join(', ')})\n`);
    }
    const { loadModel } = await import('../../loader/index.js');
    const { VerifierError } = await import('../../sys/errors.js');
    let obj;
    try {
      obj = loadModel(model, {
        programs: [prog.name],
        name: basename(a.object).replace(/(\.bpf)?\.(o|ts)$/, ''),
        constants: logs && logMeta && logFilter ? logs.logLoadConstants(model, logMeta, logFilter) : undefined,
      });
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      if (a.verbose) {
        io.err(`${e.log.trimEnd()}\n`);
        throw new TsbpfError('VERIFIER', e.message);
      }
      throw new TsbpfError('VERIFIER', e.message, 'run again with --verbose for the full verifier log');
    }
    let pipe: import('../../trace/trace-pipe.js').TracePipe | undefined;
    let logReader: import('../../log/index.js').LogReader | undefined;
    try {
      if (a.verbose) for (const w of obj.warnings) io.err(`tsbpf run: note: ${w}\n`);
      if (usesPrintk(model, prog)) {
        // Opened before attaching so that the first packets' lines are not missed.
        const { TracePipe } = await import('../../trace/trace-pipe.js');
        pipe = TracePipe.open();
      }
      if (logs && logFilter) {
        // Also before attaching. Records print as they arrive; close() prints the rest and the final loss count.
        const color = io.isTTY && !process.env.NO_COLOR;
        logReader = logs.LogReader.open(obj, { filter: logFilter });
        const { formatJson, formatLine } = logs;
        logReader.subscribe((r) => io.out(`${a.json ? formatJson(r) : formatLine(r, { color })}\n`), (e) => io.err(`tsbpf run: error: reading log records: ${e.message}\n`));
      }
      const loaded = obj.program(prog.name);
      const att = attachXdp({ fd: loaded.fd, name: prog.name }, iface.index, {
        mode: a.mode as import('../../attach/xdp.js').XdpAttachMode,
        force: a.force,
        onNotice: (m) => io.err(`tsbpf run: note: ${m}\n`),
      });
      const status = a.json ? io.err : io.out; // --json keeps stdout one JSON object per line
      try {
        if (a.verbose) io.err(`tsbpf run: attached '${prog.name}' (prog id ${att.progId}) to ${iface.name} in ${att.mode} mode via ${att.method}${att.link ? '' : ' (the kernel has no XDP links: detached on exit, but not if this process is killed)'}\n`);
        status('Waiting for Ctrl-C...\n');
        if (!signals.fired()) await streamUntil(signals.done, pipe, io);
      } finally {
        att.detach();
      }
      logReader?.close(); // detached: the last records and the final loss count, then the last line
      status('Exiting...\n');
    } finally {
      pipe?.close();
      logReader?.close();
      obj.close();
    }
  } finally {
    signals.dispose();
  }
  return 0;
}

/** Prints printk lines (seed format) until `stop` resolves. */
async function streamUntil(stop: Promise<string>, pipe: import('../../trace/trace-pipe.js').TracePipe | undefined, io: CliIO): Promise<void> {
  if (!pipe) {
    // Nothing else may hold the event loop (a program without printk or logs): signal handlers
    // alone do not, and node would exit at once, detaching the program.
    const alive = setInterval(() => {}, 1 << 30);
    await stop.finally(() => clearInterval(alive));
    return;
  }
  const { formatTraceLine, parseTraceLine } = await import('../../trace/trace-line.js');
  void stop.then(() => pipe.close()); // ends the iteration below
  for await (const raw of pipe.lines()) {
    const l = parseTraceLine(raw);
    io.out(`${l ? formatTraceLine(l) : raw.trimStart()}\n`);
  }
  await stop;
}

export const command: Command = {
  name: 'run',
  summary: 'load an XDP program, attach it to an interface and stream its output until Ctrl-C',
  usage,
  run: runMain,
};
