/**
 * Writes a `tsbpf new` project: the files of its template (templates/common/ and templates/TYPE/,
 * see new-template.ts) with the project's names and the type's values filled in, a package.json,
 * and tsbpf itself as a dependency that installs without a registry.
 *
 * tsbpf is packed (`npm pack`) into the project's vendor/ folder and depended on as
 * `file:vendor/tsbpf-X.Y.Z.tgz`: the tarball carries the built dist/, so `npm install` only
 * unpacks it (no tsbpf build step runs), and the project keeps working when the checkout moves,
 * changes or is rebuilt. `--link` depends on the checkout instead (`file:/path/to/tsbpf`, a
 * symlink: edits to tsbpf show at once, but npm runs tsbpf's `prepare` — a full tsc build of
 * the checkout — on every `npm install`, which needs the checkout's devDependencies).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsbpfError } from '../errors.js';
import { fill, fillFile, loadTemplate, type TemplateValues } from './new-template.js';

export { fill } from './new-template.js';

export interface ProjectSpec {
  /** Project (npm package) name: `hello-world`. */
  name: string;
  /** The program type (a folder of templates/). */
  type: string;
  /** Default interface for `-i`. */
  iface: string;
  /** The folder to create (absolute). */
  dir: string;
  /** How the project depends on tsbpf. */
  dependency: 'tarball' | 'link';
}

export interface CreatedProject {
  /** Files written, relative to the project folder, in order. */
  files: string[];
  /** The program's name: the ELF symbol and log target (`hello_world`). */
  program: string;
  /** The dependency spec written into package.json. */
  tsbpfSpec: string;
}

/** The tsbpf package this code runs from (its package.json folder). */
export function tsbpfRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends false finally for ' +
  'function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
  'implements interface package private protected public await async of').split(' '));

/** Checks a project name; returns the program identifier (`hello-world` → `hello_world`). */
export function programName(name: string): string {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    throw new TsbpfError('USAGE', `invalid project name '${name}'`, 'use lowercase letters, digits, - and _, starting with a letter (it becomes the npm package name and, with - as _, the program name)');
  }
  if (name.length > 64) throw new TsbpfError('USAGE', `project name '${name}' is ${name.length} characters long; keep it within 64`);
  const ident = name.replace(/-/g, '_');
  if (RESERVED.has(ident)) throw new TsbpfError('USAGE', `project name '${name}' is a TypeScript keyword and cannot name the program`, `e.g. '${name}-xdp'`);
  return ident;
}

/** The folder must not exist, or be empty. */
export function checkDestination(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new TsbpfError('USAGE', `'${dir}' exists and is not a directory`, 'choose another NAME or --dir');
  if (readdirSync(dir).length > 0) throw new TsbpfError('USAGE', `'${dir}' already exists and is not empty`, 'choose another NAME or --dir (tsbpf new never overwrites files)');
}

/** npm drops files named .gitignore from packages, so templates keep them as `gitignore`. */
function targetPath(rel: string, vars: TemplateValues): string {
  const p = fill(rel, vars);
  return p === 'gitignore' || p.endsWith('/gitignore') ? p.replace(/gitignore$/, '.gitignore') : p;
}

interface TsbpfPackage {
  name: string;
  version: string;
  devDependencies?: Record<string, string>;
}

function readTsbpfPackage(root: string): TsbpfPackage {
  try {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as TsbpfPackage;
  } catch (e) {
    throw new TsbpfError('NEW', `cannot read tsbpf's own package.json in '${root}': ${(e as Error).message}`);
  }
}

/**
 * A checkout's dist/bundle/tsbpf.cjs is made from dist/src by `npm run build`; after a bare `tsc`
 * it is older than dist/src (its header's stamp of dist/.tsbuildinfo differs). bin/tsbpf.js
 * notices that in the checkout, but a packed copy has no .tsbuildinfo and would run the old
 * bundle, so it is made again before packing. (An installed tsbpf has no .tsbuildinfo: nothing to do.)
 */
export function refreshStaleBundle(root: string): void {
  const info = join(root, 'dist', '.tsbuildinfo');
  const bundle = join(root, 'dist', 'bundle', 'tsbpf.cjs');
  if (!existsSync(info) || !existsSync(bundle)) return;
  const head = readFileSync(bundle, 'latin1').slice(0, 512);
  const mark = '// tsbpf-bundle ';
  let stamp: unknown;
  try {
    stamp = head.startsWith(mark) ? (JSON.parse(head.slice(mark.length, head.indexOf('}') + 1)) as { stamp?: unknown }).stamp : undefined;
  } catch {
    stamp = undefined;
  }
  const st = statSync(info);
  if (stamp === `${st.mtimeMs}:${st.size}`) return;
  const script = join(root, 'dist', 'scripts', 'bundle.js');
  const r = existsSync(script) ? spawnSync(process.execPath, [script, '--root', root, '--no-train'], { encoding: 'utf8', timeout: 120_000 }) : undefined;
  if (!r || r.status !== 0) {
    throw new TsbpfError('NEW', `tsbpf's dist/bundle/tsbpf.cjs in '${root}' is older than dist/src and could not be made again${r ? `: ${(r.stderr || r.stdout).trim().split('\n').pop()}` : ''}`, `run \`npm run build\` in ${root}, or use --link`);
  }
}

/** Packs tsbpf into `dest` with npm; returns the tarball's file name. */
export function packTsbpf(root: string, dest: string): string {
  refreshStaleBundle(root);
  mkdirSync(dest, { recursive: true });
  // --ignore-scripts: dist/ is already built (this code runs from it); prepare would rebuild it.
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest, root], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) {
    throw new TsbpfError('NEW', `cannot run npm to pack tsbpf: ${r.error.message}`, 'npm comes with Node.js; or use --link to depend on this checkout instead');
  }
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n').filter((l) => !/^npm warn/i.test(l)).slice(-3).join(' / ');
    throw new TsbpfError('NEW', `npm pack of '${root}' failed (exit ${r.status}): ${why || 'no output'}`, 'use --link to depend on this checkout instead');
  }
  let file: string | undefined;
  try {
    const out = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename?: string }[];
    file = out[0]?.filename;
  } catch {
    file = undefined;
  }
  if (!file || !existsSync(join(dest, file))) throw new TsbpfError('NEW', `npm pack of '${root}' did not say which tarball it wrote`, `its output was: ${r.stdout.trim().slice(0, 200)}`);
  return file;
}

/** The generated package.json. */
export function packageJson(spec: ProjectSpec, tsbpfSpec: string, tsbpf: TsbpfPackage): string {
  const dev = tsbpf.devDependencies ?? {};
  const pkg = {
    name: spec.name,
    version: '0.1.0',
    private: true,
    description: `An eBPF ${spec.type} program written in TypeScript with tsbpf`,
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      build: 'tsbpf build && tsc -p tsconfig.build.json',
      start: 'npm run build --silent && node dist/src/main.js',
      test: 'npm run build --silent && node --test dist/test/',
      typecheck: 'tsc -p tsconfig.json && tsbpf build --typecheck',
    },
    dependencies: { tsbpf: tsbpfSpec },
    // The versions tsbpf builds with, so that npm finds them in the cache installing tsbpf filled.
    devDependencies: {
      '@types/node': dev['@types/node'] ?? '^20.0.0',
      typescript: dev.typescript ?? '^5.4.0',
    },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Writes the project. The destination must have been checked (checkDestination). */
export function createProject(spec: ProjectSpec, templates: string): CreatedProject {
  const program = programName(spec.name);
  const root = tsbpfRoot();
  const tsbpf = readTsbpfPackage(root);
  const template = loadTemplate(templates, spec.type);
  const vars: TemplateValues = { ...template.values, NAME: spec.name, PROG: program, IFACE: spec.iface, TYPE: spec.type, VERSION: tsbpf.version };
  const files: string[] = [];
  mkdirSync(spec.dir, { recursive: true });
  for (const [rel, from] of template.files) {
    const out = targetPath(rel, vars);
    mkdirSync(join(spec.dir, out, '..'), { recursive: true });
    writeFileSync(join(spec.dir, out), fillFile(readFileSync(from, 'utf8'), vars, `templates/${relative(templates, from)}`));
    files.push(out);
  }
  let tsbpfSpec: string;
  if (spec.dependency === 'link') {
    tsbpfSpec = `file:${root.replace(/\/$/, '')}`;
  } else {
    const tgz = packTsbpf(root, join(spec.dir, 'vendor'));
    tsbpfSpec = `file:vendor/${tgz}`;
    files.push(`vendor/${tgz}`);
  }
  writeFileSync(join(spec.dir, 'package.json'), packageJson(spec, tsbpfSpec, tsbpf));
  files.push('package.json');
  return { files: files.sort((a, b) => rank(a, spec.name) - rank(b, spec.name) || a.localeCompare(b)), program, tsbpfSpec };
}

/** Listing order: the program, its user side and test first, then configuration, then the rest. */
function rank(f: string, name: string): number {
  const order = [`src/${name}.bpf.ts`, 'src/main.ts', `test/${name}.test.ts`, 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', '.gitignore'];
  const i = order.indexOf(f);
  return i >= 0 ? i : f.startsWith('vendor/') ? order.length + 1 : order.length;
}
