// The user side of __NAME__: loads the kernel program `npm run build` compiled, prints its log
// records, attaches it to an interface and detaches on Ctrl-C.
//
//   sudo npm start -- -i __IFACE__            TSBPF_LOG=debug sudo -E npm start -- -i lo
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  attachXdp, describeError, loadModel, LogReader, logLoadConstants, parseLogFilter, parseObject, readLogMeta,
} from 'tsbpf';

const { values: opt } = parseArgs({ options: { iface: { type: 'string', short: 'i', default: '__IFACE__' } } });

/** Resolves on Ctrl-C (SIGINT) or SIGTERM; later signals are ignored so that the cleanup runs. */
function ctrlC(): Promise<void> {
  return new Promise((resolve) => {
    const alive = setInterval(() => {}, 1 << 30); // signal handlers alone do not keep node running
    const done = (): void => {
      clearInterval(alive);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

async function main(): Promise<void> {
  const model = parseObject(await readFile(new URL('../../target/bpf/__NAME__.o', import.meta.url)));
  // TSBPF_LOG chooses the records shown (default: info and above); log calls below that level
  // are disabled when the program is loaded, so they cost nothing in the kernel.
  const filter = parseLogFilter(process.env.TSBPF_LOG);
  const logMeta = readLogMeta(model.elf);
  const bpf = loadModel(model, { constants: logMeta ? logLoadConstants(model, logMeta, filter) : undefined });
  try {
    const logger = logMeta ? LogReader.open(bpf, { filter }) : undefined;
    logger?.pipe(console); // [2024-06-08T04:24:21Z INFO  __PROG__] received a packet

    const program = bpf.program('__PROG__');
    const link = attachXdp(program, opt.iface!);
    console.log('Waiting for Ctrl-C...');
    await ctrlC();
    console.log('Exiting...');
    link.detach();
    logger?.close(); // prints what is still in the ring buffer
  } finally {
    bpf.close();
  }
}

main().catch((e: unknown) => {
  console.error(`error: ${describeError(e)}`);
  process.exitCode = 1;
});
