// The user side of __NAME__: loads the kernel program `npm run build` compiled, prints its log
// records, opens a UDP socket, attaches the program to it (SO_ATTACH_BPF) and prints what the
// socket receives, until Ctrl-C.
//
//   sudo npm start -- -p 7777        then: echo hello | nc -u -q0 127.0.0.1 7777
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachSocketFilter, describeError, loadObject, startLogger } from 'tsbpf';

// not strict: other options (e.g. the -i IFACE `tsbpf new` suggests for every type) are not used here
const { values: opt } = parseArgs({ options: { port: { type: 'string', short: 'p', default: '7777' } }, strict: false });
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
  const bpf = await loadObject(OBJECT, { log: process.env.TSBPF_LOG });
  const socket = createSocket('udp4');
  try {
    startLogger(bpf);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(Number(opt.port), '127.0.0.1', resolve);
    });
    // node does not expose a socket's file descriptor officially; its handle has it
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const filter = attachSocketFilter(bpf.program('__PROG__'), fd);
    socket.on('message', (msg, from) => console.log(`received ${msg.length} bytes from ${from.address}:${from.port}`));
    console.log(`Listening on 127.0.0.1:${opt.port} (UDP)`);
    console.log('Waiting for Ctrl-C...');
    await ctrlC();
    console.log('Exiting...');
    filter.detach();
  } finally {
    socket.close();
    bpf.close();
  }
}

main().catch((e: unknown) => {
  console.error(`error: ${describeError(e)}`);
  process.exitCode = 1;
});
