/** `tsbpf objdump`: llvm-objdump-compatible disassembly of BPF objects, with helper names, relocation targets and source lines. */
import { parseArgs } from 'node:util';
import { TsbpfError } from '../../errors.js';
import type { Command, CliIO } from '../command.js';

const usage = `Usage: tsbpf objdump -d [--no-show-raw-insn] [-S] [--section=NAME] [--llvm] FILE...

Disassembles BPF ELF objects, line for line as llvm-objdump -d prints them, plus trailing
comments LLVM lacks: helper names on calls (call 6 ; bpf_trace_printk) and the targets of
relocated loads and calls (r1 = 0 ll ; map events).

Options:
  -d, --disassemble      disassemble the executable sections
  -S, --source           also show source lines from .BTF.ext line info (implies -d)
  --no-show-raw-insn     leave out the instruction bytes
  -j, --section NAME     only this section (repeatable; any section, as llvm-objdump -j)
  --llvm                 exactly llvm-objdump's output: no trailing ; comments
`;

async function main(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      disassemble: { type: 'boolean', short: 'd' },
      source: { type: 'boolean', short: 'S' },
      'no-show-raw-insn': { type: 'boolean' },
      section: { type: 'string', short: 'j', multiple: true },
      llvm: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (!values.disassemble && !values.source) {
    throw new TsbpfError('USAGE', 'no action given', 'use -d to disassemble (or -S for source lines too); see `tsbpf objdump --help`');
  }
  if (positionals.length === 0) throw new TsbpfError('USAGE', 'no input file', 'usage: tsbpf objdump -d FILE');
  const { readFile } = await import('node:fs/promises');
  const { objdump } = await import('../../inspect/objdump.js');
  for (const file of positionals) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new TsbpfError('IO', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
    }
    let result;
    try {
      result = objdump(bytes, {
        fileName: file,
        rawBytes: !values['no-show-raw-insn'],
        source: values.source,
        sections: values.section,
        llvm: values.llvm,
      });
    } catch (e) {
      if (e instanceof TsbpfError) throw new TsbpfError(e.kind, `${file}: ${e.message}`, e.hint);
      throw e;
    }
    io.out(result.text);
    for (const w of result.warnings) io.err(`tsbpf objdump: warning: ${file}: ${w}\n`);
  }
  return 0;
}

export const command: Command = { name: 'objdump', summary: 'disassemble BPF objects (llvm-objdump -d compatible)', usage, run: main };
