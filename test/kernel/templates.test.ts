/**
 * The `tsbpf new` templates of the program types beyond XDP (templates/TYPE/):
 * - every one: the project's kernel program compiles with our compiler to one program named after
 *   the project in the type's section, both sides type-check with TypeScript against this
 *   checkout's tsbpf and tsbpf/kernel, and the program passes the verifier (kernel);
 * - three for real, as a user would: `tsbpf new`, `npm install` (offline), `npm run typecheck`,
 *   `npm test` — a test run for a classifier and a socket filter, a load for a tracepoint — and
 *   the tracepoint project's `npm start` logging a file this test opens, then Ctrl-C.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { need } from '../helpers/env.js';
import { compile } from '../../src/compiler/compile.js';
import { formatDiagnostic } from '../../src/compiler/diagnostics.js';
import { createProject } from '../../src/cli/new-project.js';
import { PROGRAM_TYPES, supportedTypes, templatesDir } from '../../src/cli/new-types.js';
import { PROGRAM_KINDS } from '../../src/compiler/program-kinds.js';
import { loadObject } from '../../src/loader/index.js';
import { SysError } from '../../src/sys/errors.js';
import { OFFLINE_NPM_ENV, argvOf, descendants, killTree } from '../tutorial/procs.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'tsbpf.js');
const TYPES = supportedTypes().filter((t) => t !== 'xdp');
/** BTF trampolines: kernels without them (or that forbid them) refuse these at load with EPERM/ENOTSUPP. */
const TRAMPOLINES = new Set(['fentry', 'fexit', 'lsm']);

interface Made {
  type: string;
  dir: string;
  object: Uint8Array;
}

function makeAll(work: string): Made[] {
  return TYPES.map((type) => {
    const dir = join(work, type);
    createProject({ name: `hello-${type.replace(/_/g, '-')}`, type, iface: 'lo', dir, dependency: 'link' }, templatesDir());
    const name = `hello-${type.replace(/_/g, '-')}`;
    const src = readFileSync(join(dir, 'src', `${name}.bpf.ts`), 'utf8');
    const r = compile(src, { file: `${name}.bpf.ts` });
    assert.ok(r.object, `${type}: ${r.diagnostics.map(formatDiagnostic).join('\n')}`);
    return { type, dir, object: r.object };
  });
}

test('every non-XDP type the compiler declares has a template, and tsbpf new offers it', () => {
  const declared = new Set([...PROGRAM_KINDS.keys()]);
  const aya = new Set(PROGRAM_TYPES.map((t) => t.name));
  for (const k of declared) if (aya.has(k)) assert.ok(supportedTypes().includes(k), `${k} is supported by tsbpf new`);
  assert.deepEqual(PROGRAM_TYPES.map((t) => t.name).filter((t) => !supportedTypes().includes(t)), [], 'all 19 of the seed\'s types are offered');
});

test('each template compiles to one program in its section, and both sides type-check', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-templates-'));
  try {
    const made = makeAll(work);
    const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
    const files: string[] = [];
    for (const m of made) {
      const r = compile(readFileSync(join(m.dir, 'src', `hello-${m.type.replace(/_/g, '-')}.bpf.ts`), 'utf8'));
      assert.equal(r.functions.filter((f) => f.section !== '.text').length, 1, `${m.type}: one program`);
      const want = PROGRAM_TYPES.find((t) => t.name === m.type)!.section.split('/')[0]!;
      assert.ok(r.functions[0]!.section.startsWith(want === 'cgroup_skb' ? 'cgroup_skb/' : want), `${m.type}: section ${r.functions[0]!.section}`);
      for (const f of ['src/main.ts', `test/hello-${m.type.replace(/_/g, '-')}.test.ts`, `src/hello-${m.type.replace(/_/g, '-')}.bpf.ts`]) files.push(join(m.dir, f));
    }
    const program = ts.createProgram(files, {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      paths: { tsbpf: [join(ROOT, 'src', 'index.ts')], 'tsbpf/kernel': [join(ROOT, 'src', 'kernel', 'index.ts')] },
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    assert.deepEqual(diags, []);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('each template\'s program passes the verifier', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-templates-'));
  try {
    for (const m of makeAll(work)) {
      try {
        (await loadObject(m.object, { name: m.type.slice(0, 12) })).close();
      } catch (e) {
        if (TRAMPOLINES.has(m.type) && e instanceof SysError && (e.code === 'EPERM' || e.code === 'ENOTSUPP')) {
          t.diagnostic(`${m.type}: this kernel refuses BTF trampoline programs (${e.code}); not verified here`);
          continue;
        }
        throw new Error(`${m.type}: ${(e as Error).message}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

function npm(cwd: string, args: string[]): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  return spawnSync('npm', args, { cwd, encoding: 'utf8', env: OFFLINE_NPM_ENV, timeout: 180_000 }) as never;
}

test('tsbpf new for classifier, socket_filter and tracepoint: npm install, typecheck, npm test; the tracepoint project runs', { timeout: 600_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['npm'] })) return;
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-newtypes-'));
  try {
    for (const type of ['classifier', 'socket_filter', 'tracepoint']) {
      const name = `hi-${type.replace(/_/g, '-')}`;
      const gen = spawnSync(process.execPath, [BIN, 'new', name, '--type', type], { cwd: work, encoding: 'utf8' });
      assert.equal(gen.status, 0, gen.stderr);
      assert.match(gen.stdout, new RegExp(`^Created ${name} \\(${type} program '${name.replace(/-/g, '_')}'\\)`, 'm'));
      const dir = join(work, name);
      for (const args of [['install'], ['run', 'typecheck'], ['test']]) {
        const r = npm(dir, args);
        assert.equal(r.status, 0, `${type}: npm ${args.join(' ')}: ${r.stdout}${r.stderr}`);
        if (args[0] === 'test') {
          assert.match(r.stdout, /^# pass 1$/m, `${type}: ${r.stdout}`);
          assert.match(r.stdout, /^# fail 0$/m);
        }
      }
    }
    // the tracepoint project attached: a file this test opens shows up in its log
    const dir = join(work, 'hi-tracepoint');
    const start = spawn('npm', ['start'], { cwd: dir, env: OFFLINE_NPM_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    start.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    start.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      const until = async (re: RegExp, ms: number): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!re.test(out)) {
          if (start.exitCode !== null) throw new Error(`npm start ended: ${out}`);
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(/^Waiting for Ctrl-C\.\.\.$/m, 120_000);
      assert.match(out, /^Attached: tracepoint syscalls\/sys_enter_openat/m);
      const path = join(tmpdir(), `tsbpf-template-${process.pid}-${Date.now()}`);
      closeSync(openSync(path, 'w'));
      rmSync(path);
      await until(new RegExp(`INFO  hi_tracepoint\\] pid ${process.pid} opens ${path}$`, 'm'), 10_000);
      const main = descendants(start.pid!).find((p) => argvOf(p).slice(1).join(' ') === 'dist/src/main.js');
      assert.ok(main, 'the program runs as node dist/src/main.js');
      process.kill(main, 'SIGINT');
      const code = await new Promise<number | null>((r) => start.once('exit', (c) => r(c)));
      assert.equal(code, 0, out);
      assert.match(out, /^Exiting\.\.\.$/m);
    } finally {
      killTree(start.pid);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
