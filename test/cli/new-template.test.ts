/**
 * The `tsbpf new` template mechanism (src/cli/new-template.ts): placeholders (strings in place,
 * lists as lines, nested values), the layering of templates/common/ and templates/TYPE/, the
 * errors a broken template gives, and every type's project made from the real templates/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fill, fillFile, loadTemplate } from '../../src/cli/new-template.js';
import { createProject } from '../../src/cli/new-project.js';
import { supportedTypes, templatesDir } from '../../src/cli/new-types.js';
import { TsbpfError } from '../../src/errors.js';

/** Writes `files` (path → text) under a new temp folder; returns it. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tsbpf-tpl-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

/** Files below `root`, relative, sorted. */
function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(root, join(dir, e.name)) : [relative(root, join(dir, e.name))])).sort();
}

test('fill: strings in place, lists as lines after their prefix, empty lists remove the line, nested values', () => {
  const vars = { A: 'x', L: ['one', '', 'two __A__'], E: [], N: ['__L__'], S: '__A____A__' };
  assert.equal(fill('a __A__ b __OTHER__', vars), 'a x b __OTHER__', 'unknown placeholders stay');
  assert.equal(fill('{\n  // __L__\n}', vars), '{\n  // one\n  //\n  // two x\n}', 'an empty item is the prefix without trailing spaces');
  assert.equal(fill('before\n    __E__\nafter', vars), 'before\nafter');
  assert.equal(fill('  __N__', vars), '  one\n\n  two x', 'a list item may be a list placeholder');
  assert.equal(fill('__S__', vars), 'xx');
  assert.throws(() => fill('__P__', { P: '__Q__', Q: '__P__' }), (e: unknown) => e instanceof TsbpfError && /refer to each other without end: __P__|__Q__/.test(e.message));
});

test('fillFile: whatever is left unfilled is an error naming the file and the placeholders', () => {
  assert.equal(fillFile('__A__', { A: 'a' }, 'f'), 'a');
  assert.throws(() => fillFile('x __MISSING__ __A__', { A: 'a' }, 'templates/t/src/main.ts'),
    (e: unknown) => e instanceof TsbpfError && e.message === 'templates/t/src/main.ts: placeholder __MISSING__ left unfilled');
  assert.throws(() => fillFile('x __L__ y', { L: ['a'] }, 'f'),
    (e: unknown) => e instanceof TsbpfError && /__L__ left unfilled/.test(e.message) && /a list fills a line that ends with it/.test(e.hint ?? ''));
});

test('loadTemplate: common files and values, the groups a type uses, the type\'s own values and files last', () => {
  const root = tree({
    'common/template.json': JSON.stringify({ values: { A: 'common', B: 'common', C: ['c'] }, shared: { g: { B: 'group', C: [] } } }),
    'common/README.md': 'common readme',
    'common/src/main.ts': 'main',
    't/template.json': JSON.stringify({ uses: ['g'], values: { A: 'own' } }),
    't/README.md': 'own readme',
    't/src/__NAME__.bpf.ts': 'prog',
    'u/src/__NAME__.bpf.ts': 'prog',
  });
  try {
    const t = loadTemplate(root, 't');
    assert.deepEqual(t.values, { A: 'own', B: 'group', C: [] });
    assert.deepEqual([...t.files], [
      ['README.md', join(root, 't/README.md')],
      ['src/__NAME__.bpf.ts', join(root, 't/src/__NAME__.bpf.ts')],
      ['src/main.ts', join(root, 'common/src/main.ts')],
    ], 'template.json is not a project file; the type\'s README replaces the common one');
    assert.deepEqual(loadTemplate(root, 'u').values, { A: 'common', B: 'common', C: ['c'] }, 'a type without template.json takes the defaults');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('loadTemplate: broken template.json files are errors naming the file', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ 't/template.json': JSON.stringify({ uses: ['nope'] }) }, /templates\/t\/template\.json uses 'nope', which templates\/common\/template\.json does not share/],
    [{ 't/template.json': '{ "values": ' }, /^templates\/t\/template\.json: .*JSON/],
    [{ 't/template.json': '[]' }, /templates\/t\/template\.json is not a JSON object/],
    [{ 't/template.json': JSON.stringify({ values: { A: 1 } }) }, /templates\/t\/template\.json "values": A is neither a string nor a list of strings/],
    [{ 't/template.json': JSON.stringify({ values: { lower: 'x' } }) }, /'lower' is not a placeholder name/],
    [{ 'common/template.json': JSON.stringify({ shared: { g: { A: ['x', 2] } } }) }, /templates\/common\/template\.json shared "g": A is neither/],
    [{ 't/template.json': JSON.stringify({ uses: 'g' }) }, /"uses" is not a list of names/],
  ];
  for (const [files, re] of cases) {
    const root = tree(files);
    try {
      assert.throws(() => loadTemplate(root, 't'), (e: unknown) => e instanceof TsbpfError && re.test(e.message), re.source);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});

test('every supported type: the same project files, made from templates/common/ and its own folder, nothing left to fill', () => {
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-tpl-all-'));
  try {
    const common = listFiles(join(templatesDir(), 'common'));
    assert.ok(common.includes('src/main.ts') && common.includes('test/__NAME__.test.ts') && common.includes('README.md'), common.join(' '));
    for (const type of supportedTypes()) {
      const dir = join(work, type);
      const made = createProject({ name: 'demo-app', type, iface: 'lo', dir, dependency: 'link' }, templatesDir());
      assert.deepEqual(made.files, ['src/demo-app.bpf.ts', 'src/main.ts', 'test/demo-app.test.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', '.gitignore'], type);
      for (const f of made.files) assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /__[A-Z]+__/, `${type}: ${f}`);
      const main = readFileSync(join(dir, 'src/main.ts'), 'utf8');
      assert.match(main, /^async function main\(\): Promise<void> \{$/m, `${type}: main.ts has the common shape`);
      assert.match(main, /\n {4}console\.log\('Waiting for Ctrl-C\.\.\.'\);\n {4}await ctrlC\(\);\n/, type);
      assert.match(readFileSync(join(dir, 'test/demo-app.test.ts'), 'utf8'), /^test\('demo_app /m, type);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
