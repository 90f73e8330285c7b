/**
 * `tsbpf build [FILE.bpf.ts ...] [-o OUT.o]`: compiles kernel programs written in TypeScript into
 * BPF ELF objects. Without FILE it builds every `*.bpf.ts` under `src/`. Objects go to
 * `target/bpf/NAME.o` (NAME: the file name without `.bpf.ts`) unless `-o` names the output.
 * Diagnostics: `file:line:col: error TSBPFnnn: message`, the source line, a hint; exit 1.
 * This path never loads the `typescript` package (it costs ~0.3 s); `--typecheck` does, lazily.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { TsbpfError } from '../../errors.js';
import { compile, compileFile, type CompileResult } from '../../compiler/compile.js';
import { formatCode, type Diagnostic } from '../../compiler/diagnostics.js';
import type { Command, CliIO } from '../command.js';

const usage = `Usage: tsbpf build [FILE.bpf.ts ...] [-o OUT.o] [--typecheck] [--stats]

Compiles kernel programs written in TypeScript (importing "tsbpf/kernel") into BPF ELF objects
with BTF, ready for \`tsbpf run\`, bpftool or libbpf.

Without FILE, builds every *.bpf.ts file under ./src. Each FILE.bpf.ts becomes
target/bpf/FILE.o (relative to the current directory) unless -o gives the output (one FILE only).

Options:
  -o, --output OUT.o   where to write the object (one input file only)
      --typecheck      also type-check with the TypeScript compiler (loads the typescript package)
      --stats          print instruction counts per program
`;

/** Where `tsbpf build` puts the object of `src` by default. */
export function defaultOutput(src: string, cwd = process.cwd()): string {
  return join(cwd, 'target', 'bpf', `${basename(src).replace(/\.bpf\.ts$|\.ts$/, '')}.o`);
}

/** Renders diagnostics with the offending source line and a caret under the column. */
export function renderDiagnostics(diags: Diagnostic[], source: (file: string) => string | undefined): string {
  const out: string[] = [];
  for (const d of diags) {
    out.push(`${d.file}:${d.line}:${d.col}: error ${formatCode(d.code)}: ${d.message}`);
    const text = source(d.file);
    const line = text?.split('\n')[d.line - 1]?.replace(/\r$/, '');
    if (line !== undefined && line.trim() !== '') {
      const n = String(d.line);
      out.push(`  ${n} | ${line}`);
      out.push(`  ${' '.repeat(n.length)} | ${line.slice(0, d.col - 1).replace(/[^\t]/g, ' ')}^`);
    }
    if (d.hint) out.push(`  hint: ${d.hint}`);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

function findSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      if (n === 'node_modules' || n.startsWith('.')) continue;
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.bpf.ts')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Compiles a source for `tsbpf run`: the object bytes, or a TsbpfError listing every diagnostic. */
export function buildForRun(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsbpfError('USAGE', `cannot read '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
  const r = compile(text, { file: shownPath(path) });
  if (!r.object) {
    const text = renderDiagnostics(r.diagnostics, readSource).trimEnd();
    throw new TsbpfError('COMPILE', `cannot build '${path}':\n${text}`);
  }
  return r.object;
}

/** A path as diagnostics show it: relative to the current directory when inside it. */
function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

function readSource(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function typecheck(files: string[], io: CliIO): Promise<number> {
  const { typecheckFiles } = await import('../../compiler/typecheck.js');
  const diags = await typecheckFiles(files);
  for (const d of diags) io.err(`${d}\n`);
  return diags.length;
}

export const command: Command = {
  name: 'build',
  summary: 'compile TypeScript kernel programs (*.bpf.ts) into BPF objects',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      options: {
        output: { type: 'string', short: 'o' },
        typecheck: { type: 'boolean', default: false },
        stats: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    let files = positionals;
    if (files.length === 0) {
      files = findSources(join(process.cwd(), 'src'));
      if (files.length === 0) throw new TsbpfError('USAGE', 'no *.bpf.ts files under ./src', 'give the file to build: tsbpf build path/to/prog.bpf.ts');
    }
    if (values.output && files.length !== 1) throw new TsbpfError('USAGE', '-o needs exactly one input file');
    let failed = 0;
    const results: [string, CompileResult][] = [];
    for (const f of files) {
      const shown = shownPath(f);
      const r = compileFile(f, { file: shown });
      results.push([f, r]);
      if (!r.object) {
        io.err(renderDiagnostics(r.diagnostics, readSource));
        failed += r.diagnostics.length;
        continue;
      }
      const out = values.output ?? defaultOutput(f);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, r.object);
      const progs = r.functions.filter((x) => x.section !== '.text');
      io.out(`built ${shownPath(out)} (${progs.map((p) => p.name).join(', ')})\n`);
      if (values.stats) for (const fn of r.functions) io.out(`  ${fn.name.padEnd(24)} ${fn.section.padEnd(10)} ${String(fn.insns).padStart(5)} insns ${String(fn.slots).padStart(5)} slots\n`);
    }
    if (values.typecheck) failed += await typecheck(files, io);
    if (failed) {
      io.err(`${failed} error${failed === 1 ? '' : 's'}\n`);
      return 1;
    }
    return 0;
  },
};
