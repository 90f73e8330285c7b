/**
 * sk_msg programs compiled from TypeScript, run by the kernel for real: inside a network namespace
 * a TCP connection over lo between two Node sockets (the fds are made in the namespace with libc,
 * then handed to Node's net module), the program attached to a SockHash, then the client's socket
 * put into it (the kernel gives a socket the map's programs when it is added, so attaching comes
 * first). Observed on 6.18: SK_PASS delivers the write; SK_DROP makes the write fail with EACCES
 * and nothing reaches the peer; msg_redirect_hash(…, INGRESS) to the sender's own key puts the
 * message in the sender's receive queue instead of the peer's; log records and printk lines
 * carry ctx.size; msg_pull_data brings later bytes into view for header<T>() to rewrite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { compileC } from '../helpers/corpus.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { LogReader, type LogRecord } from '../../src/log/index.js';
import { TracePipe } from '../../src/trace/trace-pipe.js';
import { attachProgram, type Attachment } from '../../src/attach/index.js';
import { inNetns } from '../../src/sys/netns.js';
import { errno, libcFunc, pinnedBytes } from '../../src/sys/libc.js';
import { buildExample, buildSource, TEST_DIR } from './helpers.js';

const AF_INET = 2, SOCK_STREAM = 1;

/** A connected pair: `client` (its fd is what goes into the map) and `peer`, the accepted end. */
interface TcpPair {
  client: net.Socket;
  peer: net.Socket;
  /** What the peer received so far. */
  received(): string;
  /** What the client received so far. */
  clientReceived(): string;
  /** Resolves when the peer saw the client's end of stream (everything sent before it has arrived). */
  peerEnded: Promise<void>;
  serverPort: number;
  clientPort: number;
  close(): void;
}

function sysFail(what: string, fds: number[]): never {
  const e = errno();
  const close = libcFunc('int close(int fd)');
  for (const fd of fds) close(fd);
  throw new Error(`${what}: errno ${e}`);
}

/** Listening and connected TCP sockets on 127.0.0.1 of namespace `ns` (libc: sockets belong to the namespace that makes them). */
function socketsIn(ns: string): { listenFd: number; clientFd: number; port: number } {
  return inNetns(ns, () => {
    const socket = libcFunc('int socket(int domain, int type, int protocol)');
    const sa = pinnedBytes(16);
    sa.set([AF_INET, 0, 0, 0, 127, 0, 0, 1]); // port 0: the kernel picks one
    const l = socket(AF_INET, SOCK_STREAM, 0) as number;
    if (l < 0) sysFail('socket', []);
    if ((libcFunc('int bind(int fd, const void *addr, uint32_t len)')(l, sa, 16) as number) < 0) sysFail('bind', [l]);
    if ((libcFunc('int listen(int fd, int backlog)')(l, 4) as number) < 0) sysFail('listen', [l]);
    const len = [16];
    if ((libcFunc('int getsockname(int fd, void *addr, _Inout_ uint32_t *len)')(l, sa, len) as number) < 0) sysFail('getsockname', [l]);
    const port = (sa[2]! << 8) | sa[3]!;
    const c = socket(AF_INET, SOCK_STREAM, 0) as number;
    if (c < 0) sysFail('socket', [l]);
    // a blocking connect to a listener on lo completes at once (the handshake needs no accept)
    if ((libcFunc('int connect(int fd, const void *addr, uint32_t len)')(c, sa, 16) as number) < 0) sysFail('connect', [l, c]);
    return { listenFd: l, clientFd: c, port };
  });
}

async function tcpPair(ns: string): Promise<TcpPair> {
  const { listenFd, clientFd, port } = socketsIn(ns);
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve, reject) => {
    server.once('connection', resolve);
    server.once('error', reject);
  });
  server.listen({ fd: listenFd });
  const client = new net.Socket({ fd: clientFd, readable: true, writable: true });
  const timer = setTimeout(() => server.emit('error', new Error('the connection was not accepted within 5 s')), 5000);
  let toPeer = '';
  let toClient = '';
  client.setEncoding('utf8').on('data', (d: string) => (toClient += d));
  client.on('error', () => {}); // asserted through write callbacks
  let peer: net.Socket;
  try {
    peer = await accepted;
  } catch (e) {
    client.destroy();
    server.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  peer.setEncoding('utf8').on('data', (d: string) => (toPeer += d));
  const peerEnded = new Promise<void>((resolve) => peer.once('end', resolve).once('close', resolve));
  return {
    client, peer, peerEnded, serverPort: port, clientPort: peer.remotePort!,
    received: () => toPeer,
    clientReceived: () => toClient,
    close: () => {
      client.destroy();
      peer.destroy();
      server.close();
    },
  };
}

/** Writes `text` through Node; resolves with the error code the write ended with ('' when it succeeded). */
function write(s: net.Socket, text: string): Promise<string> {
  return new Promise((resolve) => s.write(text, (e) => resolve(e ? String((e as NodeJS.ErrnoException).code) : '')));
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Attaches `prog` to the object's SockHash, then adds the client's socket under key 1 (Node's handle has the fd). */
function attachAndAdd(obj: LoadedObject, prog: string, pair: TcpPair): Attachment {
  const link = attachProgram(obj, prog);
  const fd = (pair.client as unknown as { _handle: { fd: number } })._handle.fd;
  assert.ok(fd > 2, `the client's fd (${fd})`);
  obj.map('socks').set(1, fd);
  return link;
}

test('sk-msg-filter (TypeScript and its C equivalent) on a TCP connection: counts messages and bytes; "DROP…" fails with EACCES and never arrives', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const objects: [string, Uint8Array | string][] = [
    ['TypeScript', buildExample('sk-msg-filter').object],
    ['C', compileC(join(TEST_DIR, 'c', 'sk_msg_filter.bpf.c'))],
  ];
  for (const [side, object] of objects) {
    const obj = await loadObject(object, { name: 'skmsg_filter' });
    try {
      await withNetns(async (ns) => {
        const pair = await tcpPair(ns.name);
        let link: Attachment | undefined;
        try {
          link = attachAndAdd(obj, 'sk_msg_filter', pair);
          assert.equal(await write(pair.client, 'hello'), '', `${side}: a passed write succeeds`);
          await until(`${side}: hello at the peer`, () => pair.received() === 'hello');
          assert.equal(await write(pair.client, 'DROP me'), 'EACCES', `${side}: SK_DROP fails the sender's write`);
          pair.client.destroy(); // the peer sees the end of stream after everything that was sent
          await pair.peerEnded;
          assert.equal(pair.received(), 'hello', `${side}: the dropped message never reached the peer`);
          assert.deepEqual(['messages', 'bytes', 'dropped'].map((g) => obj.readGlobal(g)), [2n, 12n, 1n], `${side}: counters`);
        } finally {
          link?.detach();
          pair.close();
        }
      });
    } finally {
      obj.close();
    }
  }
});

const logger = (marker: string): string => `
import { skMsg, SockHash, SkAction, RedirectFlags, log, printk, ntohl, msg_redirect_hash, type u32 } from "tsbpf/kernel";

export const socks = new SockHash<u32>({ maxEntries: 8 });
/** 0: pass every message; otherwise the key of the socket whose receive queue gets it. */
export const redirect_to: u32 = 0;

export const sk_msg_log = skMsg((ctx) => {
  log.info(ctx, "{} bytes {:ip}:{} -> {:ip}:{} family {} state {}", ctx.size, ctx.localIp4, ctx.localPort, ctx.remoteIp4, ntohl(ctx.remotePort), ctx.family, ctx.sk.state);
  printk("${marker} %u", ctx.size);
  if (redirect_to === 0) return SkAction.PASS;
  return msg_redirect_hash(ctx, socks, redirect_to, RedirectFlags.INGRESS);
});
`;

function records(r: LogReader): LogRecord[] {
  const out: LogRecord[] = [];
  for (let rec = r.next(); rec; rec = r.next()) out.push(rec);
  return out;
}

/** One connection with the logger loaded (redirect_to = `redirect`): the client writes `text`; checks where it went and the log record. */
async function logRun(built: Uint8Array, redirect: number, text: string): Promise<void> {
  const obj = await loadObject(built, { name: 'skmsg_log', log: 'info', constants: { redirect_to: redirect } });
  const logs = LogReader.open(obj);
  try {
    await withNetns(async (ns) => {
      const pair = await tcpPair(ns.name);
      let link: Attachment | undefined;
      try {
        link = attachAndAdd(obj, 'sk_msg_log', pair);
        assert.equal(await write(pair.client, text), '');
        if (redirect) {
          await until('the message back at the client', () => pair.clientReceived() === text);
          pair.client.destroy();
          await pair.peerEnded;
          assert.equal(pair.received(), '', 'the peer got nothing');
        } else {
          await until('the message at the peer', () => pair.received() === text);
          assert.equal(pair.clientReceived(), '');
        }
        const want = `${Buffer.byteLength(text)} bytes 127.0.0.1:${pair.clientPort} -> 127.0.0.1:${pair.serverPort} family 2 state 1`;
        assert.deepEqual(records(logs).map((r) => [r.level, r.target, r.message]), [['info', 'sk_msg_log', want]]);
      } finally {
        link?.detach();
        pair.close();
      }
    });
  } finally {
    logs.close();
    obj.close();
  }
}

test('sk_msg log records and printk lines carry ctx.size and the addresses; msg_redirect_hash(INGRESS) hands the message to the sender itself', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const marker = `tsbpf-skmsg-${process.pid}-${Date.now() % 100000}`;
  const built = buildSource(logger(marker), 'skmsg_log.bpf.ts').object;
  const pipe = TracePipe.open({ filter: marker }); // the trace pipe is global: only our marker's lines
  try {
    await logRun(built, 0, 'hello, peer');
    await logRun(built, 1, 'to myself');
    const lines: string[] = [];
    const deadline = Date.now() + 5000;
    while (lines.length < 2 && Date.now() < deadline) {
      const l = await Promise.race([pipe.nextLine(), new Promise<undefined>((res) => { setTimeout(() => res(undefined), 500).unref(); })]);
      if (l) lines.push(String(l).replace(/^.*bpf_trace_printk: /, ''));
    }
    assert.deepEqual(lines, [`${marker} 11`, `${marker} 9`], 'printk: the sizes of "hello, peer" and "to myself"');
  } finally {
    pipe.close();
  }
});

test('the skmsg codegen fixture passes the verifier; its msg_pull_data program rewrites byte 4 of a message in flight', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const source = readFileSync(join(TEST_DIR, 'fixtures', 'codegen', 'skmsg.bpf.ts'), 'utf8');
  const obj = await loadObject(buildSource(source, 'skmsg.bpf.ts').object, { name: 'skmsg_fixture', log: 'info' });
  try {
    assert.deepEqual([...obj.programs.keys()].sort(), ['fields', 'pull', 'redirect']);
    await withNetns(async (ns) => {
      const pair = await tcpPair(ns.name);
      let link: Attachment | undefined;
      try {
        // two socket maps: the target names the one to attach to
        link = attachProgram(obj, 'pull', { target: 'by_peer' });
        obj.map('by_peer').set({ ip: 0, port: 1 }, (pair.client as unknown as { _handle: { fd: number } })._handle.fd);
        assert.equal(await write(pair.client, 'abcdefgh'), '');
        await until('the rewritten message', () => pair.received().length >= 8);
        assert.equal(pair.received(), 'abcd!fgh', 'byte 4, pulled into view, was written');
        assert.equal(await write(pair.client, '*dropped'), 'EACCES', "a message starting with '*' is dropped");
      } finally {
        link?.detach();
        pair.close();
      }
    });
  } finally {
    obj.close();
  }
});

test('context arrays are copied a field at a time: IPv6 addresses of sock_ops, cgroup_skb and sk_msg contexts log and load', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  // bpf_sock_ops.remote_ip6 sits at 32: copied into an 8-aligned record it used to be one 8-byte
  // load, which the verifier refuses ("invalid bpf_context access off=32 size=8")
  const src = `
import { sockOps, cgroupSkb, skMsg, SockHash, log, type u32 } from "tsbpf/kernel";
export const socks = new SockHash<u32>({ maxEntries: 4 });
export const ops_ip6 = sockOps((ctx) => { log.info(ctx, "{:ip} {:ip}", ctx.remoteIp6, ctx.localIp6); return 1; });
export const skb_ip6 = cgroupSkb("egress", (skb) => { log.info(skb, "{:ip} {:ip}", skb.remoteIp6, skb.localIp6); return 1; });
export const msg_ip6 = skMsg((ctx) => { log.info(ctx, "{:ip} {:ip} {:ip}", ctx.remoteIp6, ctx.localIp6, ctx.sk.dst_ip6); return 1; });
`;
  const built = buildSource(src, 'ip6.bpf.ts');
  const obj = await loadObject(built.object, { name: 'ctx_ip6', log: 'info' });
  try {
    assert.deepEqual([...obj.programs.keys()].sort(), ['msg_ip6', 'ops_ip6', 'skb_ip6']);
  } finally {
    obj.close();
  }
});
