/**
 * `tsbpf new` without the kernel: flags and their errors, the program-type table against the
 * compiler, the arrow-key prompt driven through a fake terminal, the generated files (kernel side
 * compiled by our compiler, both sides type-checked by TypeScript), and the packed dependency.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runNew, type NewTerminal } from '../../src/cli/commands/new.js';
import { PROGRAM_TYPES, compilerProgramKinds, missingFor, resolveProgramType, supportedTypes, templatesDir } from '../../src/cli/new-types.js';
import { fill, programName } from '../../src/cli/new-project.js';
import { select } from '../../src/cli/new-prompt.js';
import { compileFile } from '../../src/compiler/compile.js';
import { readLogMeta, parseObject } from '../../src/object/index.js';
import { TsbpfError } from '../../src/errors.js';
import type { CliIO } from '../../src/cli/command.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function io(): CliIO & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', isTTY: false, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tsbpf-new-'));
}

/** A terminal double: keys written to `input` arrive as keypress events; `output` collects the screen. */
function fakeTerminal(): NewTerminal & { screen: () => string; press: (...keys: string[]) => void } {
  const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode(m: boolean) { input.isRaw = m; return input; } });
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => (screen += d.toString('utf8')));
  return {
    input,
    output,
    color: false,
    screen: () => screen,
    press: (...keys) => keys.forEach((k) => input.write(k)),
  };
}

const KEY = { up: '\x1b[A', down: '\x1b[B', enter: '\r', ctrlC: '\x03', esc: '\x1b' } as const;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

test('the type list is aya-template\'s, xdp last; every type is supported, and a missing part is named in the refusal', () => {
  assert.deepEqual(PROGRAM_TYPES.map((t) => t.name), [
    'cgroup_skb', 'cgroup_sockopt', 'cgroup_sysctl', 'classifier', 'fentry', 'fexit', 'kprobe', 'kretprobe', 'lsm',
    'perf_event', 'raw_tracepoint', 'sk_msg', 'sock_ops', 'socket_filter', 'tp_btf', 'tracepoint', 'uprobe', 'uretprobe', 'xdp',
  ]);
  // all 19: a declaration the compiler knows (its builtin table, read at run time), attach support, a template
  const kinds = compilerProgramKinds();
  for (const t of PROGRAM_TYPES) assert.ok(kinds.has(t.name), `the compiler declares ${t.declaration} (${t.name})`);
  assert.deepEqual(supportedTypes(), PROGRAM_TYPES.map((t) => t.name));
  for (const t of PROGRAM_TYPES) assert.deepEqual(missingFor(t), [], t.name);
  // The refusal path, with a templates folder that lacks types: exactly the template part is named,
  // and the hint lists what can be generated from that folder.
  const fakeTemplates = tmp();
  try {
    mkdirSync(join(fakeTemplates, 'sk_msg'));
    const dir = `${fakeTemplates}/`;
    assert.deepEqual(supportedTypes(dir), ['sk_msg']);
    assert.deepEqual(missingFor(PROGRAM_TYPES.find((t) => t.name === 'sk_msg')!, dir), []);
    for (const t of PROGRAM_TYPES.filter((x) => x.name !== 'sk_msg')) {
      assert.deepEqual(missingFor(t, dir), [`there is no project template (templates/${t.name})`], t.name);
    }
    assert.throws(() => resolveProgramType('xdp', dir), (e: unknown) => e instanceof TsbpfError
      && e.message === "program type 'xdp' is not supported yet: there is no project template (templates/xdp)"
      && e.hint === 'supported today: sk_msg (e.g. --type sk_msg)');
    assert.equal(resolveProgramType('sk_msg', dir).section, 'sk_msg');
  } finally {
    rmSync(fakeTemplates, { recursive: true, force: true });
  }
});

test('names, interfaces and destinations are checked before anything is written', async () => {
  const dir = tmp();
  try {
    const cases: [string[], RegExp][] = [
      [[], /missing NAME/],
      [['a', 'b'], /expected one NAME, got 2: a b/],
      [['Hello'], /invalid project name 'Hello'/],
      [['9lives'], /invalid project name '9lives'/],
      [['new'], /project name 'new' is a TypeScript keyword/],
      [['ok', '--iface', 'a b'], /invalid interface name 'a b'/],
      [['ok', '--type', 'nope', '--dir', join(dir, 'k')], /unknown program type 'nope'/],
    ];
    for (const [args, re] of cases) {
      await assert.rejects(runNew(args, io(), undefined), (e: unknown) => e instanceof Error && re.test(e.message), args.join(' '));
    }
    assert.equal(existsSync(join(dir, 'k')), false, 'an unknown type creates nothing');
    writeFileSync(join(dir, 'file'), 'x');
    await assert.rejects(runNew(['ok', '--dir', dir], io(), undefined), /already exists and is not empty/);
    await assert.rejects(runNew(['ok', '--dir', join(dir, 'file')], io(), undefined), /exists and is not a directory/);
    assert.equal(programName('hello-world'), 'hello_world');
    assert.equal(fill('a __NAME__ b __PROG__ __OTHER__', { NAME: 'n', PROG: 'p' }), 'a n b p __OTHER__');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a terminal and without --type the project is xdp; every placeholder is filled', async () => {
  const dir = tmp();
  try {
    const out = io();
    assert.equal(await runNew(['hello-world', '--dir', join(dir, 'hw'), '--iface', 'veth0', '--link'], out, undefined), 0);
    assert.match(out.stdout, /^Created hello-world \(xdp program 'hello_world'\) in .*hw\/\n/);
    assert.match(out.stdout, /\n {2}npm install\n {2}sudo npm start -- -i veth0\n$/);
    const p = join(dir, 'hw');
    for (const f of ['src/hello-world.bpf.ts', 'src/main.ts', 'test/hello-world.test.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', '.gitignore']) {
      assert.ok(existsSync(join(p, f)), f);
      assert.doesNotMatch(readFileSync(join(p, f), 'utf8'), /__[A-Z]+__/, `${f} has no placeholder left`);
    }
    const pkg = JSON.parse(readFileSync(join(p, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'hello-world');
    assert.equal(pkg.dependencies.tsbpf, `file:${ROOT.replace(/\/$/, '')}`);
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.devDependencies.typescript, own.devDependencies.typescript, 'the versions tsbpf itself was installed with');
    assert.deepEqual(Object.keys(pkg.scripts), ['build', 'start', 'test', 'typecheck']);
    assert.match(readFileSync(join(p, 'src/main.ts'), 'utf8'), /default: 'veth0'/);
    assert.match(readFileSync(join(p, 'src/main.ts'), 'utf8'), /bpf\.program\('hello_world'\)/);

    // The kernel side compiles with our compiler: one xdp program, named after the project, that logs.
    const r = compileFile(join(p, 'src/hello-world.bpf.ts'));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.functions.map((f) => [f.name, f.section]).filter(([, s]) => s === 'xdp'), [['hello_world', 'xdp']]);
    const meta = readLogMeta(parseObject(r.object!).elf);
    assert.deepEqual(meta?.sites.map((s) => [s.level, s.text.join('')]), [['info', 'received a packet']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the tutorial shows the generated src/main.ts as it is (load with the log setting, start the logger, attach, Ctrl-C)', async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'hello-world');
    await runNew(['hello-world', '--dir', p, '--link'], io(), undefined);
    const main = readFileSync(join(p, 'src/main.ts'), 'utf8');
    const doc = readFileSync(join(ROOT, 'docs/tutorial.md'), 'utf8');
    const block = /<!-- tutorial: file src\/main\.ts -->\n```ts\n([\s\S]*?)```\n/.exec(doc);
    assert.ok(block, 'docs/tutorial.md has a `file src/main.ts` block');
    assert.equal(block[1], main, 'the tutorial\'s src/main.ts is the template (tsbpf new hello-world)');
    // The Aya-like shape: no table reading or level constants by hand.
    assert.match(main, /loadObject\(OBJECT, \{ log: process\.env\.TSBPF_LOG \}\)/);
    assert.match(main, /startLogger\(bpf\)/);
    assert.doesNotMatch(main, /parseObject|readLogMeta|logLoadConstants|parseLogFilter|LogReader/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('both sides of the generated project type-check with TypeScript (tsconfig.json)', { timeout: 60_000 }, async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'tc');
    await runNew(['tc', '--dir', p, '--link'], io(), undefined);
    // What `npm install` would provide, from this checkout: tsbpf itself and @types/node.
    mkdirSync(join(p, 'node_modules'));
    symlinkSync(ROOT, join(p, 'node_modules', 'tsbpf'));
    symlinkSync(join(ROOT, 'node_modules', '@types'), join(p, 'node_modules', '@types'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(p, 'tsconfig.json')], { encoding: 'utf8', cwd: p });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // A type error in the kernel program is caught by the same config (so editors see it).
    writeFileSync(join(p, 'src', 'tc.bpf.ts'), readFileSync(join(p, 'src', 'tc.bpf.ts'), 'utf8').replace('XdpAction.PASS', '"pass"'));
    const bad = spawnSync(process.execPath, [tsc, '-p', join(p, 'tsconfig.json')], { encoding: 'utf8', cwd: p });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /src\/tc\.bpf\.ts\(\d+,\d+\): error TS\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default dependency is tsbpf packed into vendor/: built code, bin, kernel types, templates', { timeout: 120_000 }, async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'packed');
    await runNew(['packed', '--dir', p], io(), undefined);
    const pkg = JSON.parse(readFileSync(join(p, 'package.json'), 'utf8'));
    const m = /^file:vendor\/(tsbpf-[\d.]+\.tgz)$/.exec(pkg.dependencies.tsbpf);
    assert.ok(m, pkg.dependencies.tsbpf);
    const list = spawnSync('tar', ['tzf', join(p, 'vendor', m[1]!)], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const files = new Set(list.stdout.split('\n'));
    for (const f of ['package/package.json', 'package/bin/tsbpf.js', 'package/dist/src/index.js', 'package/dist/src/index.d.ts',
      'package/dist/src/kernel/index.d.ts', 'package/dist/src/cli/main.js', 'package/templates/common/src/main.ts',
      'package/templates/common/template.json', 'package/templates/xdp/template.json', 'package/templates/xdp/src/__NAME__.bpf.ts']) {
      assert.ok(files.has(f), `${f} is in the tarball`);
    }
    assert.ok(![...files].some((f) => f.startsWith('package/test/') || f.startsWith('package/src/')), 'no sources or tests');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on a terminal: the prompt lists every type (none refused), a letter jumps to sk_msg, Enter creates it', async () => {
  const dir = tmp();
  try {
    const term = fakeTerminal();
    const out = io();
    const done = runNew(['prompted', '--dir', join(dir, 'p'), '--link'], out, term);
    await tick();
    const first = term.screen();
    assert.match(first, /\? Which type of eBPF program\? ›\n/);
    assert.match(first, /❯ xdp/);
    for (const t of PROGRAM_TYPES) assert.match(first, new RegExp(`^[ ❯] ${t.name}$`, 'm'), `${t.name} is listed without a note`);
    assert.doesNotMatch(first, /not supported yet/);
    term.press('s'); // from xdp, the next type starting with s
    await tick();
    assert.match(term.screen(), /❯ sk_msg/);
    term.press(KEY.enter);
    assert.equal(await done, 0);
    assert.doesNotMatch(term.screen(), /✖/, 'nothing was refused');
    assert.match(term.screen(), /✔ Which type of eBPF program\? · sk_msg\n/);
    assert.match(out.stdout, /^Created prompted \(sk_msg program 'prompted'\)/);
    assert.match(readFileSync(join(dir, 'p', 'src', 'prompted.bpf.ts'), 'utf8'), /export const prompted = skMsg\(\(ctx\) => \{/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on a terminal: Ctrl-C cancels and creates nothing; --type skips the prompt', async () => {
  const dir = tmp();
  try {
    const term = fakeTerminal();
    const done = runNew(['c', '--dir', join(dir, 'c'), '--link'], io(), term);
    await tick();
    term.press(KEY.ctrlC);
    await assert.rejects(done, (e: unknown) => e instanceof TsbpfError && /cancelled; nothing was created/.test(e.message));
    assert.match(term.screen(), /✖ Which type of eBPF program\? · cancelled/);
    assert.equal(existsSync(join(dir, 'c')), false);
    assert.equal((term.input as unknown as { isRaw: boolean }).isRaw, false, 'raw mode is restored');

    const quiet = fakeTerminal();
    assert.equal(await runNew(['t', '--dir', join(dir, 't'), '--type', 'xdp', '--link'], io(), quiet), 0);
    assert.equal(quiet.screen(), '', 'no prompt when --type is given');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('select: letters jump, arrows wrap around, Home/End, Esc cancels; long refusals are redrawn in place', async () => {
  const term = fakeTerminal();
  const choices = ['alpha', 'beta', 'bravo', 'charlie'].map((value) => ({ value }));
  let p = select({ message: 'Pick', choices, input: term.input, output: term.output, color: false });
  await tick();
  term.press('b', 'b', KEY.enter); // beta, then bravo
  assert.equal(await p, 'bravo');
  p = select({ message: 'Pick', choices, initial: 'alpha', input: term.input, output: term.output, color: false });
  await tick();
  term.press(KEY.up, KEY.enter); // wraps to the last
  assert.equal(await p, 'charlie');
  p = select({ message: 'Pick', choices, initial: 'beta', input: term.input, output: term.output, color: false });
  await tick();
  term.press('\x1b[F', '\x1b[H', KEY.down, KEY.enter); // End, Home, down
  assert.equal(await p, 'beta');
  p = select({ message: 'Pick', choices, input: term.input, output: term.output, color: false });
  await tick();
  term.press(KEY.esc);
  await new Promise((r) => setTimeout(r, 600)); // a lone Esc is told apart from a sequence by a pause
  assert.equal(await p, undefined);

  // Every redraw moves up over exactly the rows the previous one used, wrapped lines included.
  const narrow = fakeTerminal();
  Object.assign(narrow.output, { columns: 20 });
  const long = 'x'.repeat(45); // "✖ " + 45 characters: 3 rows of 20
  p = select({ message: 'Pick', choices, input: narrow.input, output: narrow.output, color: false, check: (v) => (v === 'alpha' ? long : undefined) });
  await tick();
  narrow.press(KEY.enter, KEY.down);
  await tick();
  const ups = [...narrow.screen().matchAll(/\x1b\[(\d+)A/g)].map((m) => Number(m[1]));
  assert.deepEqual(ups.slice(0, 2), [4, 7], 'header + 4 choices = 5 rows, then 5 + 3 rows of the refusal');
  narrow.press(KEY.enter);
  assert.equal(await p, 'beta');
});

test('templates/ holds a template for each supported type only', () => {
  for (const t of supportedTypes()) assert.ok(existsSync(join(templatesDir(), t, 'src', '__NAME__.bpf.ts')), t);
});

test('a failure while creating leaves nothing behind (no npm to pack tsbpf with)', async () => {
  const dir = tmp();
  const saved = process.env.PATH;
  try {
    process.env.PATH = join(dir, 'no-such-bin');
    await assert.rejects(runNew(['nopack', '--dir', join(dir, 'p')], io(), undefined), /cannot run npm to pack tsbpf: .*ENOENT/);
    assert.equal(existsSync(join(dir, 'p')), false);
    mkdirSync(join(dir, 'empty'));
    await assert.rejects(runNew(['nopack', '--dir', join(dir, 'empty')], io(), undefined), /cannot run npm/);
    assert.deepEqual(readdirSync(join(dir, 'empty')), [], 'an empty destination stays empty');
  } finally {
    process.env.PATH = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
