/**
 * uprobe/uretprobe programs on a function of a binary or shared library: the binary is found
 * (a path, a command on PATH, or a library name such as `libc.so.6` / `libc` in the usual library
 * directories), the symbol is looked up in its .symtab/.dynsym and turned into a file offset, and
 * probe.ts opens the uprobe perf event — for every process, or one `pid`.
 */
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AttachError, nearMatches, type ProgramRef } from './common.js';
import { hostFunctionSymbols, type HostSymbol } from './elf-symbols.js';
import { attachProbe, probeUnsupportedReason } from './probe.js';
import type { LinkAttachment } from './common.js';

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

export interface UprobeOptions {
  retprobe?: boolean;
  /** Only this process (default: every process that runs the binary). */
  pid?: number;
  /** `tracefs`: a legacy uprobe_events probe even where the uprobe PMU exists. */
  method?: 'auto' | 'tracefs';
}

export interface UprobeTarget {
  /** Path, command name or library name. */
  binary: string;
  /** Function symbol (optionally `name@VERSION`); or give `offset` alone. */
  symbol?: string;
  /** Bytes past the symbol, or the file offset itself when there is no symbol. */
  offset?: number;
}

/** Parses `BINARY:SYMBOL[+OFFSET]` or `BINARY:0xOFFSET` (libbpf's `uprobe/…` section form). */
export function parseUprobeTarget(spec: string): UprobeTarget {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || at === spec.length - 1) {
    throw new AttachError(`'${spec}' is not a uprobe target`, 'use BINARY:FUNCTION (e.g. libc.so.6:getpid or /usr/bin/bash:readline), BINARY:FUNCTION+OFFSET or BINARY:0xFILEOFFSET');
  }
  const binary = spec.slice(0, at);
  const rest = spec.slice(at + 1);
  if (/^0x[0-9a-fA-F]+$/.test(rest)) return { binary, offset: Number.parseInt(rest, 16) };
  const m = /^([^+\s]+)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(rest);
  if (!m) throw new AttachError(`'${rest}' is not FUNCTION or FUNCTION+OFFSET (in uprobe target '${spec}')`);
  return { binary, symbol: m[1], offset: m[2] ? Number(m[2]) : undefined };
}

function isElf(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32BE(0) === 0x7f454c46;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The absolute path of a binary named by path, command or library name. */
export function resolveBinary(name: string): string {
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) {
    if (!isFile(name)) throw new AttachError(`uprobe binary '${name}' does not exist (or is not a file)`);
    return realpathSync(name);
  }
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (isFile(p)) return realpathSync(p);
    } catch {
      // not here
    }
  }
  for (const dir of LIB_DIRS) {
    if (isFile(join(dir, name))) return realpathSync(join(dir, name));
  }
  // `libc` → libc.so.6: a versioned ELF library of that name (a bare libc.so is often a linker script).
  for (const dir of LIB_DIRS) {
    if (!existsSync(dir)) continue;
    const hits = readdirSync(dir).filter((f) => f.startsWith(`${name}.so`) && isElf(join(dir, f)));
    hits.sort((a, b) => Number(/\.so\.\d/.test(b)) - Number(/\.so\.\d/.test(a)) || a.length - b.length || (a < b ? -1 : 1));
    if (hits[0]) return realpathSync(join(dir, hits[0]));
  }
  throw new AttachError(`uprobe binary '${name}' not found`, `give a path, a command on PATH, or a library in ${LIB_DIRS.slice(0, 2).join(' or ')}`);
}

/** The symbol's entry, by name (a `@VERSION` suffix is ignored); an error listing near names when absent. */
export function findHostSymbol(path: string, symbol: string): HostSymbol {
  const syms = hostFunctionSymbols(readFileSync(path), path);
  const bare = symbol.replace(/@.*$/, '');
  const hit = syms.find((s) => s.name === symbol) ?? syms.find((s) => s.name.replace(/@.*$/, '') === bare);
  if (!hit) {
    if (syms.length === 0) throw new AttachError(`'${path}' has no function symbols (stripped?)`, 'probe a file offset instead: BINARY:0xOFFSET');
    const near = nearMatches(bare, new Set(syms.map((s) => s.name)));
    throw new AttachError(`no function '${symbol}' in '${path}'`, near.length ? `did you mean: ${near.join(', ')}?` : 'list them with `nm -D --defined-only FILE`');
  }
  if (hit.ifunc) throw new AttachError(`'${symbol}' in '${path}' is an IFUNC (its address is the resolver, not the implementation)`, 'probe the implementation the resolver picks (e.g. __strlen_avx2), or a file offset');
  return hit;
}

/** Attaches a uprobe (or uretprobe) program to a function of a binary. */
export function attachUprobe(prog: ProgramRef, target: UprobeTarget, opts: UprobeOptions = {}): LinkAttachment {
  const retprobe = opts.retprobe ?? false;
  const kind = retprobe ? 'uretprobe' : 'uprobe';
  const unsupported = probeUnsupportedReason('uprobe');
  if (unsupported) throw new AttachError(`cannot attach ${kind} program '${prog.name}': ${unsupported}`);
  if (opts.pid !== undefined && (!Number.isInteger(opts.pid) || opts.pid <= 0)) throw new AttachError(`bad pid ${opts.pid} for ${kind}`);
  const path = resolveBinary(target.binary);
  let offset = BigInt(target.offset ?? 0);
  let label = `${kind} ${path}:0x${offset.toString(16)}`;
  if (target.symbol !== undefined) {
    const sym = findHostSymbol(path, target.symbol);
    offset += sym.fileOffset;
    label = `${kind} ${path}:${target.symbol}${target.offset ? `+${target.offset}` : ''}`;
  } else if (target.offset === undefined) {
    throw new AttachError(`uprobe target '${target.binary}' names no function or offset`);
  }
  if (opts.pid !== undefined) label += ` (pid ${opts.pid})`;
  return attachProbe(prog, { kind: 'uprobe', retprobe, where: path, offset, pid: opts.pid, label, method: opts.method }, (e) =>
    new AttachError(`cannot attach ${kind} program '${prog.name}' at ${label}: ${e.code} (the kernel refused the probe)`, opts.pid !== undefined ? `is process ${opts.pid} running?` : 'the offset must be inside an executable segment of the file', e.errno));
}
