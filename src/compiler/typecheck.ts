/**
 * `tsbpf build --typecheck`: runs the real TypeScript checker over kernel programs against the
 * tsbpf/kernel declarations, as an editor would. Loaded only on request: `require('typescript')`
 * alone costs ~0.3 s, more than the whole build.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Type errors as `file:line:col: error TSnnnn: message` lines (empty when the files check). */
export async function typecheckFiles(files: string[]): Promise<string[]> {
  const require = createRequire(import.meta.url);
  let ts: typeof import('typescript');
  try {
    ts = require('typescript') as typeof import('typescript');
  } catch {
    return ['error: --typecheck needs the typescript package (npm install --save-dev typescript)'];
  }
  const kernelDts = fileURLToPath(new URL('../kernel/index.d.ts', import.meta.url));
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: true,
    paths: { 'tsbpf/kernel': [kernelDts] },
  });
  const out: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      out.push(`${d.file.fileName}:${line + 1}:${character + 1}: error TS${d.code}: ${msg}`);
    } else out.push(`error TS${d.code}: ${msg}`);
  }
  return out;
}
