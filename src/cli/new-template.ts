/**
 * A `tsbpf new` template: the files a project of one program type gets and the values their
 * placeholders take. Every type shares templates/common/ (the user side, the test, the README,
 * the tsconfig files); templates/TYPE/ holds what differs — its kernel program, and in
 * template.json the attach call, options, test kind and README lines. A file of the type's folder
 * replaces the common one at the same path (xdp keeps its own, longer README).
 *
 * Values: templates/common/template.json's `values`, then the groups of its `shared` that the
 * type's template.json `uses` (in order), then the type's own `values`; later ones win. In a file,
 * `__KEY__` takes a string value where it stands; a line ending in `__KEY__` whose value is a
 * list becomes one line per item, each after the same prefix (`    `, `// `), or goes away when
 * the list is empty. Values may hold placeholders of their own, filled in later rounds.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TsbpfError } from '../errors.js';

export type TemplateValue = string | readonly string[];
export type TemplateValues = Record<string, TemplateValue>;

export interface ProjectTemplate {
  /** Project path (placeholders unfilled) → the template file it is made from, sorted by path. */
  files: Map<string, string>;
  /** The placeholders' values for this type (without the project's own: NAME, PROG, …). */
  values: TemplateValues;
}

/** The folder every type shares. */
export const COMMON = 'common';
/** The file of a template folder holding its values; not copied into projects. */
const VALUES_FILE = 'template.json';

const PLACEHOLDER = /__([A-Z]+)__/g;
const LIST_LINE = /^(.*)__([A-Z]+)__$/;
/** Values nest a level or two; more rounds than this means values that refer to each other. */
const MAX_ROUNDS = 8;

/** Fills placeholders (see the file comment); unknown ones are left as they are. */
export function fill(text: string, vars: TemplateValues): string {
  let out = text;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = fillOnce(out, vars);
    if (next === out) return out;
    out = next;
  }
  const keys = [...new Set([...out.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((k) => k in vars))];
  throw new TsbpfError('NEW', `template values refer to each other without end: ${keys.map((k) => `__${k}__`).join(', ')}`);
}

function fillOnce(text: string, vars: TemplateValues): string {
  const lines = text.split('\n').flatMap((line) => {
    const m = LIST_LINE.exec(line);
    const value = m ? vars[m[2]!] : undefined;
    if (value === undefined || typeof value === 'string') return [line];
    const prefix = m![1]!;
    return value.map((item) => (item === '' ? prefix.trimEnd() : prefix + item));
  });
  // A list standing inside a line is left for the check of the finished file to report.
  return lines.join('\n').replace(PLACEHOLDER, (all, key: string) => {
    const value = vars[key];
    return typeof value === 'string' ? value : all;
  });
}

/** Fills a file of the template and checks that nothing is left to fill. */
export function fillFile(text: string, vars: TemplateValues, where: string): string {
  const out = fill(text, vars);
  const left = [...new Set([...out.matchAll(PLACEHOLDER)].map((m) => m[0]))];
  if (left.length > 0) {
    const lists = left.filter((p) => typeof vars[p.slice(2, -2)] === 'object');
    throw new TsbpfError('NEW', `${where}: placeholder${left.length > 1 ? 's' : ''} ${left.join(', ')} left unfilled`,
      lists.length ? `${lists.join(', ')} ${lists.length > 1 ? 'are lists' : 'is a list'}: a list fills a line that ends with it` : 'give it a value in template.json');
  }
  return out;
}

interface ValuesFile {
  uses: string[];
  values: TemplateValues;
  shared: Record<string, TemplateValues>;
}

function checkValues(v: unknown, where: string): TemplateValues {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TsbpfError('NEW', `${where} is not an object of values`);
  for (const [k, x] of Object.entries(v)) {
    if (!/^[A-Z]+$/.test(k)) throw new TsbpfError('NEW', `${where}: '${k}' is not a placeholder name (capital letters, as in __${k.toUpperCase().replace(/[^A-Z]/g, '')}__)`);
    if (typeof x !== 'string' && !(Array.isArray(x) && x.every((i) => typeof i === 'string'))) {
      throw new TsbpfError('NEW', `${where}: ${k} is neither a string nor a list of strings`);
    }
  }
  return v as TemplateValues;
}

/** Reads DIR/template.json (absent: nothing to add). */
function readValuesFile(dir: string, where: string): ValuesFile {
  const path = join(dir, VALUES_FILE);
  if (!existsSync(path)) return { uses: [], values: {}, shared: {} };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TsbpfError('NEW', `${where}: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new TsbpfError('NEW', `${where} is not a JSON object`);
  const d = doc as Record<string, unknown>;
  const uses = d.uses ?? [];
  if (!Array.isArray(uses) || !uses.every((u) => typeof u === 'string')) throw new TsbpfError('NEW', `${where}: "uses" is not a list of names`);
  const shared: Record<string, TemplateValues> = {};
  if (d.shared !== undefined) {
    if (typeof d.shared !== 'object' || d.shared === null) throw new TsbpfError('NEW', `${where}: "shared" is not an object`);
    for (const [name, v] of Object.entries(d.shared)) shared[name] = checkValues(v, `${where} shared "${name}"`);
  }
  return { uses, values: checkValues(d.values ?? {}, `${where} "values"`), shared };
}

/** Files below `root` (relative paths), sorted. */
function filesBelow(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

/** The template of `type` from the templates folder (templates/). */
export function loadTemplate(templates: string, type: string): ProjectTemplate {
  const commonDir = join(templates, COMMON);
  const typeDir = join(templates, type);
  const common = readValuesFile(commonDir, `templates/${COMMON}/${VALUES_FILE}`);
  const own = readValuesFile(typeDir, `templates/${type}/${VALUES_FILE}`);
  const values: Record<string, TemplateValue> = { ...common.values };
  for (const name of own.uses) {
    const group = common.shared[name];
    if (!group) {
      throw new TsbpfError('NEW', `templates/${type}/${VALUES_FILE} uses '${name}', which templates/${COMMON}/${VALUES_FILE} does not share`,
        `shared groups: ${Object.keys(common.shared).join(', ') || 'none'}`);
    }
    Object.assign(values, group);
  }
  Object.assign(values, own.values);
  const files = new Map<string, string>();
  for (const dir of [commonDir, typeDir]) {
    for (const rel of filesBelow(dir)) if (rel !== VALUES_FILE) files.set(rel, join(dir, rel));
  }
  return { files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), values };
}
