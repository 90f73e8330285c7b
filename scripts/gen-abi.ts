/**
 * Generates the kernel ABI tables in src/abi/*.gen.ts from the uapi headers:
 *   - helpers.gen.ts: every helper of the FN() mapper (id, name) with its C prototype(s) from
 *     the doc comment, parsed into return and argument types;
 *   - enums.gen.ts:   every named enum of linux/bpf.h (bpf_cmd, bpf_prog_type, xdp_action, …);
 *   - consts.gen.ts:  object-like #defines and anonymous-enum members of linux/bpf_common.h and
 *     linux/bpf.h (opcodes, BPF_PSEUDO_*, BPF_F_*, …) plus XDP_FLAGS_* / XDP_ATTACHED_* of
 *     linux/if_link.h.
 * Facts newer than the installed header come from scripts/uapi-supplement.h (see its rules):
 * its enum members are spliced into the header's enums ahead of their sentinels, its constants
 * added; entries the header has must agree with it, and new ones are marked with their version.
 * The work is done in scripts/uapi/ (read-constants, read-helpers, merge-constants, emit-abi);
 * this file is the command and re-exports their API.
 *
 * Usage: node dist/scripts/gen-abi.js [path/to/linux/bpf.h] [--out DIR] [--check] [--no-supplement]
 * (default /usr/include/linux/bpf.h; bpf_common.h and if_link.h are read from the same folder).
 * `--check` writes nothing and exits 1 when a committed file differs from what would be written.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAbi } from './uapi/emit-abi.js';
import { ABI_DIR, DEFAULT_HEADER, SUPPLEMENT_PATH, isMainModule, readHeaders } from './uapi/files.js';

export { evalCExpr } from './uapi/c-expr.js';
export { generateAbi } from './uapi/emit-abi.js';
export { HeaderParseError } from './uapi/errors.js';
export { ABI_DIR, DEFAULT_HEADER, SUPPLEMENT_PATH, readHeaders, type AbiHeaders } from './uapi/files.js';
export { mergeSupplement, type SupplementMerge } from './uapi/merge-constants.js';
export type { EnumDecl } from './uapi/read-constants.js';
export { parseHelperIds, parseHelperProtos, parseProto, type ProtoSig } from './uapi/read-helpers.js';
export { sinceMarks } from './uapi/since.js';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 ? argv[outIdx + 1] : ABI_DIR;
  const header = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--out') ?? DEFAULT_HEADER;
  if (!out || !existsSync(header)) {
    process.stderr.write(`gen-abi: header ${header} not found (install linux-libc-dev)\n`);
    return 1;
  }
  const files = generateAbi(readHeaders(header, argv.includes('--no-supplement') ? null : SUPPLEMENT_PATH));
  let stale = 0;
  for (const [name, text] of Object.entries(files)) {
    const path = join(out, name);
    if (check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) { stale++; process.stderr.write(`gen-abi: ${path} is out of date\n`); }
    } else {
      mkdirSync(out, { recursive: true });
      writeFileSync(path, text);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return stale ? 1 : 0;
}

function run(argv: string[]): number {
  try {
    return main(argv);
  } catch (e) {
    // a header we cannot read or parse: one line naming what, not a stack trace
    process.stderr.write(`gen-abi: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (isMainModule(import.meta.url)) process.exitCode = run(process.argv.slice(2));
