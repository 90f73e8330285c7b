/** `tsbpf readelf`: llvm-readelf's section, relocation and symbol tables (and BTF) for BPF objects. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TsbpfError } from '../../errors.js';
import type { CliIO, Command } from '../command.js';

const usage = `Usage: tsbpf readelf [options] FILE...

Prints the tables of a BPF object file as llvm-readelf does (LLVM 14, GNU style).

Options:
  -S, --sections, --section-headers   section header table
  -r, --relocations, --relocs         relocation sections
  -s, --symbols, --syms               symbol table
      --btf                           .BTF types (as \`bpftool btf dump file\` lists them)
`;

async function main(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      sections: { type: 'boolean', short: 'S' },
      'section-headers': { type: 'boolean' },
      relocations: { type: 'boolean', short: 'r' },
      relocs: { type: 'boolean' },
      symbols: { type: 'boolean', short: 's' },
      syms: { type: 'boolean' },
      btf: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  const opts = {
    sections: Boolean(values.sections || values['section-headers']),
    relocations: Boolean(values.relocations || values.relocs),
    symbols: Boolean(values.symbols || values.syms),
    btf: Boolean(values.btf),
  };
  if (positionals.length === 0) throw new TsbpfError('USAGE', 'no input file', 'usage: tsbpf readelf --sections FILE');
  if (!opts.sections && !opts.relocations && !opts.symbols && !opts.btf) {
    throw new TsbpfError('USAGE', 'nothing to print', 'pass --sections (-S), --relocations (-r), --symbols (-s) or --btf');
  }
  const { renderReadelf } = await import('../../inspect/readelf.js');
  for (const file of positionals) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new TsbpfError('USAGE', `${file}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code ?? String(err)})`);
    }
    let text: string;
    try {
      text = renderReadelf(bytes, opts);
    } catch (err) {
      if (err instanceof TsbpfError) throw new TsbpfError(err.kind, `${file}: ${err.message}`, err.hint);
      throw err;
    }
    if (positionals.length > 1) io.out(`\nFile: ${file}\n`);
    io.out(text);
  }
  return 0;
}

export const command: Command = { name: 'readelf', summary: 'print section headers, relocations, symbols or BTF of a BPF object', usage, run: main };
