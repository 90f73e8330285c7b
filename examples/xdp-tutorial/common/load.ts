// What the user-side scripts of these examples share: reading a kernel program (a .bpf.ts source,
// compiled in-process, or a .o built by `tsbpf build`), waiting for Ctrl-C, reporting errors.
import { readFile } from 'node:fs/promises';
import { compile, describeError, formatDiagnostic, parseObject, type BpfObject } from 'tsbpf';

/** The object model of `path`: a `.bpf.ts` is compiled first (diagnostics end the script). */
export async function readProgram(path: string): Promise<BpfObject> {
  const text = await readFile(path, path.endsWith('.ts') ? 'utf8' : undefined);
  if (typeof text !== 'string') return parseObject(text);
  const built = compile(text, { file: path });
  if (!built.object) {
    for (const d of built.diagnostics) console.error(formatDiagnostic(d));
    throw new Error(`${path} does not compile`);
  }
  return parseObject(built.object);
}

/** Ctrl-C (SIGINT) or SIGTERM: `done` resolves on the first; `dispose()` stops waiting. */
export function ctrlC(): { done: Promise<void>; dispose: () => void } {
  const alive = setInterval(() => {}, 1 << 30); // signal handlers alone do not keep node running
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  // Kept until exit: a second Ctrl-C while cleaning up is ignored rather than killing the process.
  const onSignal = (): void => {
    clearInterval(alive);
    resolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { done, dispose: () => clearInterval(alive) };
}

/** Runs `main`; a failure is one line on stderr and exit status 1. */
export function run(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(`error: ${describeError(e)}`);
    process.exitCode = 1;
  });
}
