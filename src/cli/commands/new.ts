/**
 * `tsbpf new NAME [--type TYPE] [--iface IFACE] [--dir DIR]`: a project that builds and runs, as
 * `cargo generate aya-template` gives Aya users. On a terminal without --type it asks for the
 * program type (aya-template's 19, xdp preselected); without a terminal the flags decide.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { TsbpfError } from '../../errors.js';
import type { Command, CliIO } from '../command.js';
import { DEFAULT_PROGRAM_TYPE, PROGRAM_TYPES, missingFor, resolveProgramType, templatesDir } from '../new-types.js';
import { checkDestination, createProject, programName } from '../new-project.js';
import { select, type PromptInput } from '../new-prompt.js';

const usage = `Usage: tsbpf new NAME [--type TYPE] [--iface IFACE] [--dir DIR] [--link]

Creates the project NAME: a kernel program in TypeScript (src/NAME.bpf.ts), the user-side
program that loads it, prints its logs, attaches it and detaches on Ctrl-C (src/main.ts), a
test that runs it on a packet, package.json (build, start, test), tsconfig files and a README.
Then: cd NAME && npm install && sudo npm start -- -i IFACE

On a terminal, tsbpf new asks for the program type (arrow keys and Enter) unless --type is
given; otherwise the type is --type, or xdp.

Options:
  -t, --type TYPE     the program type (aya-template's list; default xdp):
                      ${PROGRAM_TYPES.map((t) => t.name).join(', ')}
  -i, --iface IFACE   the interface src/main.ts attaches to when -i is not given (default eth0)
  -d, --dir DIR       the folder to create (default ./NAME); it must not exist or be empty
      --link          depend on this tsbpf through a file: link to its folder instead of a
                      packed copy in vendor/ (for working on tsbpf itself)

Types the compiler or the loader cannot handle yet are listed but refused, with what is missing.
`;

const IFACE_RE = /^[^\s/]{1,15}$/;

/** The prompt's input/output; tests pass their own. */
export interface NewTerminal {
  input: PromptInput;
  output: Writable;
  color: boolean;
}

function terminal(io: CliIO): NewTerminal | undefined {
  if (!io.isTTY || !process.stdin.isTTY) return undefined;
  return { input: process.stdin, output: process.stdout, color: !process.env.NO_COLOR };
}

async function askType(term: NewTerminal): Promise<string> {
  const templates = templatesDir();
  const choices = PROGRAM_TYPES.map((t) => ({ value: t.name, note: missingFor(t, templates).length ? 'not supported yet' : undefined }));
  const picked = await select({
    message: 'Which type of eBPF program?',
    choices,
    initial: DEFAULT_PROGRAM_TYPE,
    input: term.input,
    output: term.output,
    color: term.color,
    check: (value) => {
      const missing = missingFor(PROGRAM_TYPES.find((t) => t.name === value)!, templates);
      return missing.length ? `${value} is not supported yet: ${missing.join('; ')}` : undefined;
    },
  });
  if (picked === undefined) throw new TsbpfError('CANCELLED', 'cancelled; nothing was created');
  return picked;
}

export async function runNew(args: string[], io: CliIO, term: NewTerminal | undefined = terminal(io)): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      type: { type: 'string', short: 't' },
      iface: { type: 'string', short: 'i', default: 'eth0' },
      dir: { type: 'string', short: 'd' },
      link: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) {
    throw new TsbpfError('USAGE', positionals.length ? `expected one NAME, got ${positionals.length}: ${positionals.join(' ')}` : 'missing NAME', 'usage: tsbpf new NAME [--type TYPE] [--iface IFACE] [--dir DIR]');
  }
  const name = positionals[0]!;
  const program = programName(name);
  const iface = values.iface!;
  if (!IFACE_RE.test(iface)) throw new TsbpfError('USAGE', `invalid interface name '${iface}'`, 'interface names are 1-15 characters without spaces or /');
  const dir = resolve(values.dir ?? name);
  checkDestination(dir); // before asking anything
  const typeName = values.type ?? (term ? await askType(term) : DEFAULT_PROGRAM_TYPE);
  const type = resolveProgramType(typeName);

  const existed = existsSync(dir);
  let made;
  try {
    made = createProject({ name, type: type.name, iface, dir, dependency: values.link ? 'link' : 'tarball' }, templatesDir());
  } catch (e) {
    // Leave nothing half-made: the folder as it was (absent, or empty).
    if (existed) for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
    else rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const shown = relative(process.cwd(), dir) || '.';
  const where = shown.startsWith('..') ? dir : shown;
  const lines = [`Created ${name} (${type.name} program '${program}') in ${where}/`];
  const width = Math.max(...made.files.map((f) => f.length));
  for (const f of made.files) lines.push(`  ${f.padEnd(width)}  ${describeFile(f, name)}`.trimEnd());
  lines.push('', 'Next:');
  if (where !== '.') lines.push(`  cd ${/[^\w./-]/.test(where) ? `'${where}'` : where}`);
  lines.push('  npm install', `  sudo npm start -- -i ${iface}`, '');
  io.out(lines.join('\n'));
  return 0;
}

function describeFile(f: string, name: string): string {
  if (f === `src/${name}.bpf.ts`) return 'the kernel program';
  if (f === 'src/main.ts') return 'the user side: load, log, attach, wait for Ctrl-C, detach';
  if (f === `test/${name}.test.ts`) return 'runs the program on a packet (npm test)';
  if (f.startsWith('vendor/')) return 'tsbpf itself, packed (package.json depends on it)';
  if (f === 'package.json') return 'scripts: build, start, test, typecheck';
  if (f === 'tsconfig.json') return 'editors: both sides type-checked';
  if (f === 'tsconfig.build.json') return 'compiles the user side to dist/';
  return '';
}

export const command: Command = {
  name: 'new',
  summary: 'create a project: a kernel program, its user side and a test (like cargo generate aya-template)',
  usage,
  run: (args, io) => runNew(args, io),
};
