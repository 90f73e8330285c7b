/**
 * Reads the steps of docs/tutorial.md from the document itself, and compares outputs, so the
 * tutorial cannot drift from what the commands really print. A step is an HTML comment
 * `<!-- tutorial: KIND [ARG] [key=value | key="a value"]… -->` followed by a fenced block:
 *
 *   run                      the block's lines are shell commands, run in order (`cd DIR` moves)
 *   output [of=NAME] [match=exact|contains]
 *                            the expected output of the last command run, or of the background
 *                            command NAME (checked when it has stopped)
 *   start name=NAME ready=RE the block's command runs in the background until `ctrl-c`
 *   ctrl-c name=NAME [after=RE count=N]   (no block) waits for N lines matching RE, then Ctrl-C
 *   file PATH                the block is the new content of PATH
 *   prompt                   the block is what `tsbpf new NAME` shows first on a terminal
 *
 * Matching: `exact` compares every line (a line `...` stands for any number of lines);
 * `contains` wants the expected non-blank lines in order among the actual ones. Both sides are
 * normalized first: timestamps, pids, CPUs, trace flags and ping times are compared by shape.
 */

export type StepKind = 'run' | 'output' | 'start' | 'ctrl-c' | 'file' | 'prompt';

export interface Step {
  kind: StepKind;
  /** 1-based line of the marker comment. */
  line: number;
  /** The positional argument (`file PATH`). */
  arg?: string;
  attrs: Record<string, string>;
  /** The fenced block's text (lines joined with \n, no trailing newline); '' for ctrl-c. */
  text: string;
  /** 0-based line indexes of the block's content (first, end exclusive), for updates. */
  block?: { from: number; to: number };
}

const MARK = /^<!--\s*tutorial:\s*([a-z-]+)(.*?)-->\s*$/;
const NEEDS_BLOCK = new Set<StepKind>(['run', 'output', 'start', 'file', 'prompt']);
const KINDS = new Set<StepKind>(['run', 'output', 'start', 'ctrl-c', 'file', 'prompt']);

function parseAttrs(src: string, line: number): { arg?: string; attrs: Record<string, string> } {
  const attrs: Record<string, string> = {};
  let arg: string | undefined;
  for (const m of src.matchAll(/(\w+)=(?:"([^"]*)"|(\S+))|(\S+)/g)) {
    if (m[1]) attrs[m[1]] = m[2] ?? m[3]!;
    else if (arg === undefined) arg = m[4];
    else throw new Error(`docs/tutorial.md:${line}: more than one positional argument in the marker`);
  }
  return { arg, attrs };
}

/** The steps of a tutorial document, in order. */
export function parseSteps(doc: string): Step[] {
  const lines = doc.split('\n');
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARK.exec(lines[i]!.trim());
    if (!m) continue;
    const kind = m[1] as StepKind;
    if (!KINDS.has(kind)) throw new Error(`docs/tutorial.md:${i + 1}: unknown step '${m[1]}'`);
    const { arg, attrs } = parseAttrs(m[2]!, i + 1);
    const step: Step = { kind, line: i + 1, arg, attrs, text: '' };
    if (NEEDS_BLOCK.has(kind)) {
      let j = i + 1;
      while (j < lines.length && lines[j]!.trim() === '') j++;
      if (!/^```/.test(lines[j] ?? '')) throw new Error(`docs/tutorial.md:${i + 1}: '${kind}' must be followed by a fenced block`);
      const from = j + 1;
      let to = from;
      while (to < lines.length && !/^```\s*$/.test(lines[to]!)) to++;
      if (to >= lines.length) throw new Error(`docs/tutorial.md:${j + 1}: unterminated fenced block`);
      step.text = lines.slice(from, to).join('\n');
      step.block = { from, to };
      i = to;
    }
    steps.push(step);
  }
  return steps;
}

/** Compares by shape what changes from run to run. */
export function normalize(line: string): string {
  return line
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>')
    // trace lines: `ping-75348   [000] ..s21 47214.233803: bpf_trace_printk: …`
    .replace(/^\s*(.+?)-\d+\s+\[\d{3}\]\s+\S+\s+\d+\.\d{6}:/, (_m, task: string) => `${task}-<pid> [<cpu>] <flags> <ts>:`)
    .replace(/time=[\d.]+ ms/g, 'time=<t> ms')
    .replace(/, time \d+ms$/, ', time <t>ms')
    .replace(/= [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/, '= <rtt> ms')
    .trimEnd();
}

/** Output as compared: npm's own warnings about the machine's npm config dropped, CRs removed, trailing blank lines cut. */
export function cleanOutput(text: string): string[] {
  const lines = text.replace(/\r/g, '').split('\n').filter((l) => !/^npm warn /i.test(l));
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}

/** Does `actual` match `expected` in the given mode? Returns undefined, or what is wrong. */
export function compareOutput(expected: string, actualText: string, mode: 'exact' | 'contains'): string | undefined {
  const exp = cleanOutput(expected).map(normalize);
  const act = cleanOutput(actualText).map(normalize);
  if (mode === 'contains') {
    let at = 0;
    for (const e of exp) {
      if (e.trim() === '' || e === '...') continue;
      const k = act.indexOf(e, at);
      if (k < 0) return `expected line not found (in order): ${JSON.stringify(e)}\nactual (normalized):\n${act.join('\n')}`;
      at = k + 1;
    }
    return undefined;
  }
  // exact, with `...` matching any run of lines
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const seen = memo.get(key);
    if (seen !== undefined) return seen;
    let r: boolean;
    if (i === exp.length) r = j === act.length;
    else if (exp[i] === '...') r = go(i + 1, j) || (j < act.length && go(i, j + 1));
    else r = j < act.length && exp[i] === act[j] && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  if (go(0, 0)) return undefined;
  const n = Math.max(exp.length, act.length);
  const diff: string[] = [];
  for (let k = 0; k < n; k++) {
    const e = exp[k];
    const a = act[k];
    diff.push(e === a ? `  ${e}` : `- ${e ?? '(nothing)'}\n+ ${a ?? '(nothing)'}`);
  }
  return `output differs (- expected, + actual, normalized):\n${diff.join('\n')}`;
}

/** The document with the given blocks' content replaced (for TSBPF_UPDATE_TUTORIAL=1). */
export function replaceBlocks(doc: string, updates: { block: { from: number; to: number }; text: string }[]): string {
  const lines = doc.split('\n');
  for (const u of [...updates].sort((a, b) => b.block.from - a.block.from)) {
    lines.splice(u.block.from, u.block.to - u.block.from, ...u.text.split('\n'));
  }
  return lines.join('\n');
}
