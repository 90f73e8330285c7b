/**
 * `tsbpf run OBJECT [-p PROGRAM]… [-i IFACE] [--target SPEC] …`: load a program, attach it the
 * way its type and section say (src/attach/plan.ts: XDP or tc on an interface, kprobes,
 * tracepoints, BTF tracing, uprobes, cgroups, perf events, sockmaps), stream its output until
 * Ctrl-C (or SIGTERM), detach, exit 0 — the seed's `cargo xtask run -- -i lo`. Every failure
 * before the wait leaves nothing loaded, attached or pinned (targets are checked before loading;
 * the object is closed in `finally`; links die with their fds).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { TsbpfError } from '../../errors.js';
import type { Command, CliIO } from '../command.js';
import type { BpfObject, BpfProgram } from '../../object/index.js';
import type { AttachPlan, AutoAttachOptions } from '../../attach/plan.js';
import type { Attachment } from '../../attach/common.js';

const usage = `Usage: tsbpf run OBJECT [-p PROGRAM]... [-i IFACE] [--target SPEC] [options]

Loads a program from OBJECT (a BPF ELF object, or a .bpf.ts source built first), attaches it
according to its type and ELF section, prints "Waiting for Ctrl-C...", streams the program's
bpf_printk output and log records, and on Ctrl-C (or SIGTERM) prints "Exiting...", detaches
and exits. Give -p several times to run several programs of the object together.

What each program type attaches to (SEC(...) in C, the target may also come from --target):
  xdp                         -i IFACE (modes: -m)
  tc, classifier, tc/ingress, tcx/egress, ...
                              -i IFACE, hook --direction ingress|egress (default ingress, or
                              the section's): a tcx link (Linux 6.6+), else a clsact filter (-m);
                              removed on exit
  kprobe/FUNC[+OFF], kretprobe/FUNC, ksyscall/NAME
                              the kernel function (--target FUNC)
  uprobe/BINARY:FUNC, uretprobe/...
                              a function of a binary or library (--target libc.so.6:getpid),
                              every process or --pid PID
  tracepoint/CAT/NAME         a tracefs tracepoint (--target syscalls/sys_enter_openat)
  raw_tracepoint/NAME         a raw tracepoint (--target sched_switch)
  tp_btf/NAME, fentry/FUNC, fexit/FUNC, fmod_ret/FUNC, lsm/HOOK
                              fixed by the section (BTF id resolved at load)
  cgroup_skb/ingress|egress, cgroup/skb, cgroup/sysctl, cgroup/getsockopt, cgroup/setsockopt,
  sockops, cgroup/sock*, cgroup/connect4, ...
                              --cgroup PATH, a cgroup v2 directory (default /sys/fs/cgroup)
  perf_event                  a sampling event on every CPU: --target EVENT (cpu-clock default;
                              page-faults, cycles, ...), --freq HZ (default 99) or --period N
  sk_msg, sk_skb/...          the object's sockmap/sockhash (--target MAP when it has several);
                              sockets get into it through a sock_ops program or from user space
  socket (socket filters) cannot be run this way: they belong to a socket a program owns.

Options:
  -p, --program NAME     the program to run (repeatable); needed when the object has several
  -i, --iface IFACE      interface for xdp and tc programs (in the current network namespace)
  -t, --target SPEC      what to attach to, overriding or completing the section (see above)
      --direction DIR    tc hook (ingress, egress); cgroup/skb: inet ingress or egress
      --cgroup PATH      cgroup v2 directory for cgroup programs (default /sys/fs/cgroup)
      --pid PID          uprobe, perf_event: only this process
      --freq HZ          perf_event: samples per second per CPU
      --period N         perf_event: one sample every N events
  -m, --mode MODE        XDP: auto (default: native, else skb with a notice), native, skb or hw;
                         tc: auto (default: a tcx link, else a clsact filter via netlink with a
                         notice), tcx or netlink (a clsact filter, which outlives a killed run)
      --force            XDP: replace a program already attached to IFACE
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

const HELPER_TRACE_PRINTK = 6;
const HELPER_TRACE_VPRINTK = 177;
const XDP_MODES = ['auto', 'native', 'skb', 'hw'];
const TC_MODES = ['auto', 'tcx', 'netlink'];

interface RunArgs {
  object: string;
  programs: string[];
  attach: AutoAttachOptions;
  json: boolean;
  verbose: boolean;
}

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v) || !Number.isSafeInteger(Number(v))) throw new TsbpfError('USAGE', `bad --${name} '${v}': expected a positive integer`);
  return Number(v);
}

function parse(args: string[]): RunArgs {
  const { values, positionals } = parseArgs({
    args,
    options: {
      iface: { type: 'string', short: 'i' },
      program: { type: 'string', short: 'p', multiple: true },
      target: { type: 'string', short: 't' },
      direction: { type: 'string' },
      cgroup: { type: 'string' },
      pid: { type: 'string' },
      freq: { type: 'string' },
      period: { type: 'string' },
      mode: { type: 'string', short: 'm' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) {
    throw new TsbpfError('USAGE', positionals.length ? `expected one OBJECT, got ${positionals.length}: ${positionals.join(' ')}` : 'missing OBJECT', 'usage: tsbpf run OBJECT [-p PROGRAM] [-i IFACE] [--target SPEC]');
  }
  if (values.mode !== undefined && !XDP_MODES.includes(values.mode) && !TC_MODES.includes(values.mode)) {
    throw new TsbpfError('USAGE', `unknown mode '${values.mode}' for -m`, `XDP: ${XDP_MODES.join(', ')}; tc: ${TC_MODES.join(', ')}`);
  }
  if (values.freq !== undefined && values.period !== undefined) throw new TsbpfError('USAGE', 'give --freq or --period, not both');
  return {
    object: positionals[0]!,
    programs: values.program ?? [],
    attach: {
      iface: values.iface, target: values.target, direction: values.direction, cgroup: values.cgroup,
      pid: intOption('pid', values.pid), sampleFreq: intOption('freq', values.freq), samplePeriod: intOption('period', values.period),
      // -m names an XDP or a tc mode (`auto` is both); each program type takes its own.
      xdpMode: XDP_MODES.includes(values.mode ?? '') ? values.mode as AutoAttachOptions['xdpMode'] : undefined,
      tcMode: TC_MODES.includes(values.mode ?? '') ? values.mode as AutoAttachOptions['tcMode'] : undefined,
      force: values.force,
    },
    json: values.json!,
    verbose: values.verbose!,
  };
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

/** The programs to run: each -p NAME, or the object's only program. */
function choosePrograms(obj: BpfObject, file: string, names: string[]): BpfProgram[] {
  const all = obj.programs.map((p) => p.name);
  if (names.length) {
    return [...new Set(names)].map((name) => {
      const p = obj.programs.find((x) => x.name === name);
      if (!p) throw new TsbpfError('USAGE', `no program '${name}' in '${file}'`, all.length ? `programs: ${all.join(', ')}` : 'the object has no programs');
      return p;
    });
  }
  if (obj.programs.length === 1) return [obj.programs[0]!];
  if (obj.programs.length === 0) throw new TsbpfError('USAGE', `'${file}' has no programs`);
  const kinds = new Set(obj.programs.map((p) => p.type?.progTypeName));
  const kind = kinds.size === 1 && obj.programs[0]!.type ? `${obj.programs[0]!.type.progTypeName.replace(/^BPF_PROG_TYPE_/, '')} ` : '';
  const list = kind ? all.join(', ') : obj.programs.map((p) => `${p.name} [${p.section}]`).join(', ');
  throw new TsbpfError('USAGE', `'${file}' has ${obj.programs.length} ${kind}programs (${list}): choose one with -p NAME`, kind ? undefined : 'give -p several times to run several together');
}

/** A -m that only one kind of program takes must have a program of that kind to apply to. */
function checkMode(a: RunArgs, progs: BpfProgram[]): void {
  const kinds = new Set(progs.map((p) => p.type?.progTypeName));
  const { xdpMode, tcMode } = a.attach;
  if (tcMode && !xdpMode && !kinds.has('BPF_PROG_TYPE_SCHED_CLS')) {
    throw new TsbpfError('USAGE', `-m ${tcMode} is a tc mode, but no tc program is run`, `XDP modes: ${XDP_MODES.join(', ')}`);
  }
  if (xdpMode && !tcMode && kinds.has('BPF_PROG_TYPE_SCHED_CLS') && !kinds.has('BPF_PROG_TYPE_XDP')) {
    throw new TsbpfError('USAGE', `-m ${xdpMode} is an XDP mode; tc programs take ${TC_MODES.join(', ')}`);
  }
}

/** True when a program or any function it could call uses bpf_printk (trace_printk/trace_vprintk). */
function usesPrintk(obj: BpfObject, progs: BpfProgram[]): boolean {
  return [...progs, ...obj.functions].some((f) => {
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
  // Signals from here on end the run cleanly (detach included) instead of killing the process.
  const signals = signalPromise();
  try {
    const bytes = await readObject(a.object);
    const { parseObject, readLogMeta } = await import('../../object/index.js');
    const model = parseObject(bytes);
    const progs = choosePrograms(model, a.object, a.programs);
    checkMode(a, progs);
    // Every target (interface, function, tracepoint, cgroup, …) is checked before loading anything.
    const { planAttach } = await import('../../attach/plan.js');
    const onNotice = (m: string): void => io.err(`tsbpf run: note: ${m}\n`);
    const maps = model.maps.map((m) => ({ name: m.name, type: m.type }));
    const plans = progs.map((p): [BpfProgram, AttachPlan] => [p, planAttach({ name: p.name, section: p.section, type: p.type, maps }, { ...a.attach, onNotice })]);
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
      // `log` gives an object that logs its level setting (ignored for others).
      obj = loadModel(model, { programs: progs.map((p) => p.name), name: basename(a.object).replace(/(\.bpf)?\.(o|ts)$/, ''), log: logFilter });
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
    const attached: Attachment[] = [];
    try {
      if (a.verbose) for (const w of obj.warnings) io.err(`tsbpf run: note: ${w}\n`);
      if (usesPrintk(model, progs)) {
        // Opened before attaching so that the first events' lines are not missed.
        const { TracePipe } = await import('../../trace/trace-pipe.js');
        pipe = TracePipe.open();
      }
      if (logs && logFilter) {
        // Also before attaching. Records print as they arrive, one write per batch taken from the
        // ring; close() prints the rest and the final loss count.
        const color = io.isTTY && !process.env.NO_COLOR;
        const { formatJson, formatLine } = logs;
        const format = a.json ? formatJson : (r: import('../../log/index.js').LogRecord): string => formatLine(r, { color });
        logReader = obj.logs();
        logReader.subscribeBatch((batch) => {
          let text = '';
          for (const r of batch) text += `${format(r)}\n`;
          io.out(text);
          // formatted synchronously, never kept: pooled records spare the collector (src/log/reader.ts)
        }, (e) => io.err(`tsbpf run: error: reading log records: ${e.message}\n`), { reuse: true });
      }
      const status = a.json ? io.err : io.out; // --json keeps stdout one JSON object per line
      try {
        for (const [p, plan] of plans) {
          const loaded = obj.program(p.name);
          const att = plan.attach({ fd: loaded.fd, name: p.name }, { mapFd: (m) => obj.maps.get(m)?.fd });
          attached.push(att);
          if (a.verbose) io.err(`tsbpf run: ${describeAttachment(p.name, loaded.id, att)}\n`);
          if (att.kind === 'sk_msg' || att.kind === 'sk_skb') {
            if (!plans.some(([q]) => q.type?.progTypeName === 'BPF_PROG_TYPE_SOCK_OPS')) onNotice(`${att.description}: it runs for the sockets in that map, which a sock_ops program (run it too: -p NAME) or your own program puts there`);
          }
        }
        status('Waiting for Ctrl-C...\n');
        if (!signals.fired()) await streamUntil(signals.done, pipe, io);
      } finally {
        detachAll(attached, io);
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

/** The --verbose line for one attachment (the XDP wording is the one existing users know). */
function describeAttachment(name: string, progId: number, att: Attachment): string {
  const x = att as Attachment & { ifname?: string; mode?: string; method?: string; link?: unknown };
  if (att.kind === 'xdp') {
    return `attached '${name}' (prog id ${progId}) to ${x.ifname} in ${x.mode} mode via ${x.method}${x.link ? '' : ' (the kernel has no XDP links: detached on exit, but not if this process is killed)'}`;
  }
  // tcx links die with the process; netlink tc filters (and other such attachments) do not.
  const stays = att.diesWithProcess ? '' : ' (removed on exit, but left attached if this process is killed)';
  return `attached '${name}' (prog id ${progId}): ${att.description}${stays}`;
}

/** Detaches in reverse order; after a failure the others are still detached, then the first error is thrown. */
function detachAll(attached: Attachment[], io: CliIO): void {
  let first: unknown;
  for (const att of attached.reverse()) {
    try {
      att.detach();
    } catch (e) {
      if (first) io.err(`tsbpf run: error: detaching ${att.description}: ${(e as Error).message}\n`);
      first ??= e;
    }
  }
  if (first) throw first;
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
  summary: 'load a program, attach it (xdp, tc, kprobe, tracepoint, cgroup, …) and stream its output until Ctrl-C',
  usage,
  run: runMain,
};
