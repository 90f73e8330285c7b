/**
 * Generates src/abi/attr.gen.ts: the field offsets and sizes of `union bpf_attr`'s member structs
 * and of the info structs (`bpf_prog_info`, `bpf_map_info`, `bpf_link_info`, `bpf_btf_info`,
 * `bpf_func_info`, `bpf_line_info`), computed by parsing the C declarations of the uapi header
 * and laying them out with the x86-64/BPF C rules (natural alignment, `__aligned_u64`, bit-fields,
 * nested anonymous structs/unions flattened, named ones as `outer.inner`).
 *
 * Layouts newer than the installed header come from scripts/uapi-supplement.h: its `union
 * bpf_attr` members and info structs are laid out with the same rules and merged field by field
 * (fields both have must agree; new ones need a `since X.Y` comment on their line, repeated in
 * the output).
 * The work is done in scripts/uapi/ (c-tokens, read-structs, layout, read-layouts, merge-layouts,
 * emit-attr); this file is the command and re-exports their API.
 *
 * Usage: node dist/scripts/gen-attr.js [path/to/linux/bpf.h] [--check] [--no-supplement]
 * (default header /usr/include/linux/bpf.h; --check compares instead of writing).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { generateAttr } from './uapi/emit-attr.js';
import { ATTR_OUTPUT_PATH, DEFAULT_HEADER, isMainModule, readSupplement } from './uapi/files.js';

export { generateAttr } from './uapi/emit-attr.js';
export { GenAttrError } from './uapi/errors.js';
export { ATTR_OUTPUT_PATH as OUTPUT_PATH, DEFAULT_HEADER, SUPPLEMENT_PATH, readSupplement } from './uapi/files.js';
export { layout, type GenField, type GenLayout } from './uapi/layout.js';
export { mergeLayouts } from './uapi/merge-layouts.js';
export { computeLayouts, supplementLayouts, type Generated } from './uapi/read-layouts.js';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const header = argv.find((a) => !a.startsWith('--')) ?? DEFAULT_HEADER;
  const text = generateAttr(readFileSync(header, 'utf8'), argv.includes('--no-supplement') ? null : readSupplement());
  if (check) {
    let current = '';
    try { current = readFileSync(ATTR_OUTPUT_PATH, 'utf8'); } catch { /* missing counts as different */ }
    if (current !== text) { console.error(`${ATTR_OUTPUT_PATH} is out of date with ${header}`); return 1; }
    console.log(`${ATTR_OUTPUT_PATH} is up to date`);
    return 0;
  }
  writeFileSync(ATTR_OUTPUT_PATH, text);
  console.log(`wrote ${ATTR_OUTPUT_PATH} from ${header}`);
  return 0;
}

if (isMainModule(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`gen-attr: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
