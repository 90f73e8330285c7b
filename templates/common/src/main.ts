// The user side of __NAME__: loads the kernel program `npm run build` compiled, prints its log
// __ABOUT__
//
//   __USAGE__
__NODEIMPORTS__
import { fileURLToPath } from 'node:url';
__UTILIMPORT__
import { __ATTACHFN__, describeError, loadObject, startLogger } from 'tsbpf';

__OPTIONS__
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
  __OPEN__
  try {
    __ATTACH__
    console.log('Waiting for Ctrl-C...');
    await ctrlC();
    console.log('Exiting...');
    __DETACH__
  } finally {
    __CLOSE__
    bpf.close(); // prints the log records still in the ring buffer, then releases everything
  }
}

main().catch((e: unknown) => {
  console.error(`error: ${describeError(e)}`);
  process.exitCode = 1;
});
