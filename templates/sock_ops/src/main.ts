// The user side of __NAME__: loads the kernel program `npm run build` compiled, prints its log
// records, attaches it (to a cgroup (sock_ops)) and detaches on Ctrl-C.
//
//   sudo npm start -- -c /sys/fs/cgroup   TSBPF_LOG=debug sudo -E npm start
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachProgram, describeError, loadObject, startLogger } from 'tsbpf';

// not strict: other options (e.g. the -i IFACE `tsbpf new` suggests for every type) are not used here
const { values: opt } = parseArgs({ options: { cgroup: { type: 'string', short: 'c', default: '/sys/fs/cgroup' } }, strict: false });
const OBJECT = fileURLToPath(new URL('../../target/bpf/__NAME__.o', import.meta.url));

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
  // TSBPF_LOG chooses the records shown (default: info and above); log calls below that level
  // are switched off when the program is loaded, so they cost nothing in the kernel.
  const bpf = await loadObject(OBJECT, { log: process.env.TSBPF_LOG });
  try {
    startLogger(bpf);
    // where to attach comes from the program's section (and the options below)
    const link = attachProgram(bpf, '__PROG__', { cgroup: String(opt.cgroup) });
    console.log(`Attached: ${link.description}`);
    console.log('Waiting for Ctrl-C...');
    await ctrlC();
    console.log('Exiting...');
    link.detach();
  } finally {
    bpf.close(); // prints the log records still in the ring buffer, then releases everything
  }
}

main().catch((e: unknown) => {
  console.error(`error: ${describeError(e)}`);
  process.exitCode = 1;
});
