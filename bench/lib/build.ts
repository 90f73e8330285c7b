/**
 * Building both sides of a row: the TypeScript examples with tsbpf's compiler (in-process, or
 * `tsbpf build` as a whole process) and their C equivalents under bench/c/ with clang -O2, plus
 * the libbpf C consumer with gcc. Everything is built into the run's scratch directory, at
 * bench time, never taken from the test corpus or a cache.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseObject } from '../../src/object/index.js';
import { type BenchContext, Unavailable, requireTools, run } from '../harness.js';

/** clang flags of every C anchor: the test corpus's (-mcpu=v3: 32-bit jumps and ALU, as kernels ≥ 5.1 take). */
export const CLANG_FLAGS = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu'];

export interface ExamplePair {
  /** File stem: `udp-drop`. */
  name: string;
  /** examples/NAME.bpf.ts */
  ts: string;
  /** bench/c/NAME.bpf.c, or null when no C equivalent exists (yet, or by design: `noC`). */
  c: string | null;
  /** Why this example has no C equivalent by design (rows print it instead of "not written yet"). */
  noC?: string;
}

/**
 * Examples that have no C equivalent by design. The logging examples' work is the log call
 * itself, which row 3 measures against aya-log (the C anchors of other examples that log write
 * tsbpf's log records by hand, see bench/c/README.md).
 */
export const NO_C_EQUIVALENT: Readonly<Record<string, string>> = {
  'hello-log': 'logging example, not compared with C: its work is the log call, measured against aya-log in row 3',
  'udp-log': 'logging example, not compared with C: its work is the log call, measured against aya-log in row 3',
};

/** Every TypeScript example with its C equivalent (same stem under bench/c/). */
export function examplePairs(repoRoot: string): ExamplePair[] {
  const dir = join(repoRoot, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bpf.ts'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.bpf.ts'.length);
      const noC = NO_C_EQUIVALENT[name];
      if (noC) return { name, ts: join(dir, f), c: null, noC };
      const c = join(repoRoot, 'bench', 'c', `${name}.bpf.c`);
      return { name, ts: join(dir, f), c: existsSync(c) ? c : null };
    });
}

/** The reason a row of `ex` cannot compare with C, or undefined when it has a C equivalent. */
export function noCReason(ex: ExamplePair): string | undefined {
  if (ex.c) return undefined;
  return ex.noC ?? `no C equivalent bench/c/${ex.name}.bpf.c yet`;
}

export function benchC(ctx: BenchContext, file: string): string {
  return join(ctx.repoRoot, 'bench', 'c', file);
}

/** Compiles a C file for BPF with CLANG_FLAGS (+ -D defines) into the scratch dir; returns the object path. */
export function clangBuild(ctx: BenchContext, src: string, defines: string[] = [], outName?: string): string {
  requireTools(['clang']);
  const out = join(ctx.workDir, outName ?? `${basename(src).replace(/\.c$/, '')}${defines.map((d) => `-${d.replace(/\W+/g, '_')}`).join('')}.o`);
  if (existsSync(out)) return out;
  const r = run('clang', [...CLANG_FLAGS, ...defines.map((d) => `-D${d}`), '-c', src, '-o', out], { allowFail: true });
  if (r.status !== 0) {
    const hint = /asm\/types\.h|bpf\/bpf_helpers\.h/.test(r.stderr) ? ' (install linux-libc-dev and libbpf-dev)' : '';
    throw new Unavailable(`clang cannot build ${relative(ctx.repoRoot, src)}: ${firstError(r.stderr)}${hint}`);
  }
  return out;
}

/** The libbpf ring-buffer consumer (bench/c/rb-consumer.c), built with gcc -O2 -lbpf. */
export function buildConsumer(ctx: BenchContext): string {
  requireTools(['gcc', 'libbpf-dev']);
  const out = join(ctx.workDir, 'rb-consumer');
  if (existsSync(out)) return out;
  const r = run('gcc', ['-O2', '-o', out, benchC(ctx, 'rb-consumer.c'), '-lbpf'], { allowFail: true });
  if (r.status !== 0) throw new Unavailable(`gcc cannot build bench/c/rb-consumer.c: ${firstError(r.stderr)} (libbpf-dev provides bpf/libbpf.h and -lbpf)`);
  return out;
}

function firstError(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim());
  return (lines.find((l) => /error/.test(l)) ?? lines[0] ?? 'no output').trim();
}

type CompileModule = typeof import('../../src/compiler/compile.js');
type DiagModule = typeof import('../../src/compiler/diagnostics.js');
let compiler: { compileFile: CompileModule['compileFile']; formatCode: DiagModule['formatCode'] } | undefined;

/**
 * tsbpf's compiler, imported lazily: it is being written alongside the bench, and a compiler that
 * does not load must make its rows unavailable, not stop the bench.
 */
export async function loadCompiler(): Promise<NonNullable<typeof compiler>> {
  if (compiler) return compiler;
  try {
    const c = (await import('../../src/compiler/compile.js')) as CompileModule;
    const d = (await import('../../src/compiler/diagnostics.js')) as DiagModule;
    compiler = { compileFile: c.compileFile, formatCode: d.formatCode };
    return compiler;
  } catch (e) {
    throw new Unavailable(`the compiler (src/compiler) cannot be loaded yet: ${(e as Error).message.split('\n')[0]}`);
  }
}

export interface TsBuild {
  object: Uint8Array;
  /** Where the object was written (scratch dir). */
  path: string;
}

/** Builds a TypeScript kernel program in-process; Unavailable carries the compiler's first error. */
export async function tsbpfBuild(ctx: BenchContext, src: string): Promise<TsBuild> {
  const { compileFile, formatCode } = await loadCompiler();
  const shown = relative(ctx.repoRoot, src).startsWith('..') ? basename(src) : relative(ctx.repoRoot, src);
  let r;
  try {
    r = compileFile(src, { file: shown });
  } catch (e) {
    throw new Unavailable(`the compiler cannot build ${shown} yet: it crashed: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!r.object) {
    const d = r.diagnostics[0];
    const text = d ? `${d.file}:${d.line}:${d.col}: error ${formatCode(d.code)}: ${d.message}` : 'no object and no diagnostic';
    const more = r.diagnostics.length > 1 ? ` (+${r.diagnostics.length - 1} more)` : '';
    throw new Unavailable(`the compiler cannot build ${shown} yet: ${text}${more}`);
  }
  const path = join(ctx.workDir, `${basename(src).replace(/\.bpf\.ts$|\.ts$/, '')}.tsbpf.o`);
  writeFileSync(path, r.object);
  return { object: r.object, path };
}

export interface SizeCount {
  /** Instructions in every program and sub-function of the object (an ld_imm64 counts once). */
  insns: number;
  /** 8-byte slots (an ld_imm64 counts twice): what the kernel and llvm-objdump's index count. */
  slots: number;
  /** Per function: `name insns`. */
  parts: string[];
}

/** Instruction counts of an object, read with tsbpf's object parser (checked against llvm-objdump by the tests). */
export function countInsns(bytes: Uint8Array): SizeCount {
  const obj = parseObject(bytes);
  let insns = 0;
  let slots = 0;
  const parts: string[] = [];
  for (const f of [...obj.programs, ...obj.functions]) {
    insns += f.insns.length;
    slots += f.slots.length;
    parts.push(`${f.name} ${f.insns.length}`);
  }
  return { insns, slots, parts };
}
