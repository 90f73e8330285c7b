/**
 * Joins the CLI's compiled ES modules (dist/src/cli/main.js and everything it reaches, the lazily
 * imported commands included) into one CommonJS file, dist/bundle/tsbpf.cjs, that bin/tsbpf.js
 * runs through `vm.Script` with a V8 code cache. Why: Node's ES module loader costs ~0.8 ms per
 * module and `tsbpf build` reaches ~60 of them, and without a code cache every start parses the
 * code again and compiles each function on first call (docs/architecture.md, "Build, test, run").
 *
 * The input is tsc's output, so the bundle holds exactly the JavaScript the unit tests exercise,
 * joined by esbuild (no second transpiler: target node20 lowers nothing). What it changes:
 *  - ESM → CommonJS, because Node 20 has a code-cache API for scripts only. Statically imported
 *    modules run in import order, dynamically imported ones stay lazy (esbuild's `__esm`
 *    initialisers), `import()` of node builtins becomes `require`, and packages (koffi,
 *    typescript) stay outside and are loaded by Node as before, only when a command needs them.
 *  - `import.meta.url` of each module becomes the URL of its own dist/src file, so paths built
 *    from it (`../kernel/index.d.ts`, `../../../package.json`) keep meaning what they did. Any
 *    other use of `import.meta` is refused here rather than silently broken.
 *
 * The first line records a content id (the code cache's file name carries it, so a cache never
 * meets another bundle's code: V8 itself checks only the source length) and a stamp of
 * dist/.tsbuildinfo, which tsc rewrites whenever it emits: when the stamp differs, bin/tsbpf.js
 * knows dist/ is newer than the bundle and runs dist/src instead, so a bare `tsc` never leaves
 * the CLI running old code. Finally one training run (`tsbpf build` of the examples) through
 * the bin writes the code cache for this Node's V8 (bin/tsbpf.js writes one when none exists).
 *
 * Usage: node dist/scripts/bundle.js [--root DIR] [--no-train]; `npm run build` runs it after tsc.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

/** Where the bundle and its code caches live, relative to the package root. */
export const BUNDLE_DIR = join('dist', 'bundle');
export const BUNDLE_NAME = 'tsbpf.cjs';
/** The first line's marker; bin/tsbpf.js reads the JSON after it. */
export const HEADER_MARK = '// tsbpf-bundle ';

export interface BundleOptions {
  /** Package root: dist/src/cli/main.js is read from it, dist/bundle/ written under it. */
  root: string;
  /** Run the bin once over the examples to write the code cache (default true). */
  train?: boolean;
}

export interface BundleResult {
  file: string;
  id: string;
  bytes: number;
  modules: number;
  /** The stamp of dist/.tsbuildinfo the bundle was made from ('none' when there is none). */
  stamp: string;
  /** Code cache written by the training run, if any. */
  cacheFile?: string;
  /** Why training wrote no cache, or what the training build reported. */
  trainNote?: string;
}

/** The code cache's file name for this Node, as bin/tsbpf.js forms it. */
export function cacheName(id: string): string {
  return `tsbpf-${id}-v8-${process.versions.v8}-${process.arch}.v8cache`;
}

/** `mtimeMs:size` of dist/.tsbuildinfo: bin/tsbpf.js computes the same string to detect a newer tsc run. */
export function tsbuildinfoStamp(root: string): string {
  const st = statSync(join(root, 'dist', '.tsbuildinfo'), { throwIfNoEntry: false });
  return st ? `${st.mtimeMs}:${st.size}` : 'none';
}

/** Rewrites each module's `import.meta.url` to its own file's URL, computed from the bundle's __dirname. */
function importMetaPlugin(outDir: string): Plugin {
  return {
    name: 'tsbpf-import-meta',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta')) return { contents: text, loader: 'js' };
        const rel = relative(outDir, args.path).split(sep).join('/');
        const replaced = text.replace(/\bimport\.meta\.url\b/g, `__tsbpfModuleUrl(${JSON.stringify(rel)})`);
        const at = replaced.search(/\bimport\.meta\b/);
        if (at >= 0) {
          const line = replaced.slice(0, at).split('\n').length;
          return { errors: [{ text: `${args.path}:${line}: only import.meta.url is supported in the CLI bundle (scripts/bundle.ts)` }] };
        }
        return { contents: replaced, loader: 'js' };
      });
    },
  };
}

/**
 * charset=ascii escapes every non-ASCII character of strings, templates, regexps and names, but
 * esbuild keeps some comments as written (a JSDoc `Host → little-endian`). Reading the file as
 * latin1 instead of UTF-8 saves ~2 ms per start, so those characters are spelled out; that they
 * were all in comments is checked, not assumed: without comments the code must be identical.
 */
async function asciiOnly(text: string, transform: typeof import('esbuild').transform): Promise<string> {
  const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  if (ascii === text) return text;
  const bare = async (t: string): Promise<string> => (await transform(t, { minifyWhitespace: true, charset: 'ascii', format: 'cjs', logLevel: 'silent' })).code;
  if ((await bare(ascii)) !== (await bare(text))) throw new Error('the bundle has non-ASCII characters outside comments (bin/tsbpf.js reads it as latin1)');
  return ascii;
}

/** Builds dist/bundle/tsbpf.cjs (and, unless `train` is false, its code cache). */
export async function bundleCli(opts: BundleOptions): Promise<BundleResult> {
  const { build, transform } = await import('esbuild');
  const root = opts.root;
  const outDir = join(root, BUNDLE_DIR);
  const file = join(outDir, BUNDLE_NAME);
  const stamp = tsbuildinfoStamp(root); // before reading any input: a tsc run during bundling makes the bundle stale, never wrongly fresh
  const result = await build({
    entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
    bundle: true,
    write: false,
    outfile: file,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    // import() of a builtin stays import() in CommonJS output, and a vm.Script cannot run it
    // without an experimental flag: turn it into require.
    supported: { 'dynamic-import': false },
    keepNames: true, // TsbpfError sets name = new.target.name; esbuild renames on clashes
    charset: 'ascii', // bin/tsbpf.js reads the file as latin1
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
    banner: {
      js: [
        "'use strict';", // ES modules are strict; keep that in the CommonJS bundle
        'function __tsbpfModuleUrl(rel) { return require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href; }',
      ].join('\n'),
    },
    plugins: [importMetaPlugin(outDir)],
  });
  if (result.warnings.length) throw new Error(`esbuild warned: ${result.warnings.map((w) => w.text).join('; ')}`);
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output');
  for (const o of Object.values(result.metafile.outputs)) {
    const dyn = o.imports.find((i) => i.kind === 'dynamic-import');
    if (dyn) throw new Error(`the bundle still has import('${dyn.path}'): a vm.Script cannot run it`);
  }
  const body = await asciiOnly(out.text, transform);
  const id = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const header = `${HEADER_MARK}${JSON.stringify({ id, stamp })} (generated by scripts/bundle.ts from dist/src; do not edit)\n`;
  mkdirSync(outDir, { recursive: true });
  // Caches of other bundles can never be used again (their id is in the name); one of the same
  // code stays valid and is kept, so re-bundling unchanged code keeps its trained cache.
  for (const n of readdirSync(outDir)) {
    if ((n.endsWith('.v8cache') && !n.startsWith(`tsbpf-${id}-`)) || n.endsWith('.tmp')) rmSync(join(outDir, n), { force: true });
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, header + body);
  renameSync(tmp, file);
  const res: BundleResult = { file, id, bytes: header.length + body.length, modules: Object.keys(result.metafile.inputs).length, stamp };
  if (opts.train !== false) Object.assign(res, train(root, outDir, id));
  return res;
}

/** One `tsbpf build` of the examples through the bin: it writes the code cache at exit. */
function train(root: string, outDir: string, id: string): { cacheFile?: string; trainNote?: string } {
  const cacheFile = join(outDir, cacheName(id));
  if (existsSync(cacheFile)) return { cacheFile }; // the same code was bundled and trained before
  const examples = join(root, 'examples');
  let sources: string[] = [];
  try {
    sources = readdirSync(examples).filter((n) => n.endsWith('.bpf.ts')).sort().map((n) => join(examples, n));
  } catch {
    // no examples: the cache then holds what --help compiles
  }
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-bundle-'));
  try {
    const args = sources.length ? ['build', ...sources] : ['--help'];
    const r = spawnSync(process.execPath, [join(root, 'bin', 'tsbpf.js'), ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, TSBPF_NO_BUNDLE: '' } });
    const made = existsSync(cacheFile);
    const note = r.status === 0 ? undefined : `training build exited ${r.status}: ${(r.stderr || '').trim().split('\n')[0]}`;
    return { cacheFile: made ? cacheFile : undefined, trainNote: made ? note : `no code cache written${note ? ` (${note})` : ''}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  let root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let trainIt = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1]) root = argv[++i]!;
    else if (argv[i] === '--no-train') trainIt = false;
    else {
      process.stderr.write(`usage: node dist/scripts/bundle.js [--root DIR] [--no-train]\n`);
      return 2;
    }
  }
  const t0 = performance.now();
  const r = await bundleCli({ root, train: trainIt });
  const ms = (performance.now() - t0).toFixed(0);
  const cache = r.cacheFile ? `, code cache ${(statSync(r.cacheFile).size / 1024).toFixed(0)} KiB` : '';
  process.stdout.write(`bundled ${r.modules} modules into ${relative(root, r.file)} (${(r.bytes / 1024).toFixed(0)} KiB${cache}) in ${ms} ms\n`);
  if (r.trainNote) process.stderr.write(`bundle: note: ${r.trainNote}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bundle: error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
