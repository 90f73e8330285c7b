/**
 * A raw netlink socket (used for NETLINK_ROUTE): send one request, collect its answer (a dump's
 * messages, or the ack), turn NLMSG_ERROR into a typed error carrying the kernel's extended-ack
 * text. rtnetlink answers synchronously, so the blocking recv never waits for long; a receive
 * timeout still guards against a hang.
 */
import { closeSync } from 'node:fs';
import { errno, libcFunc, pinnedBytes } from './libc.js';
import { SysError } from './errors.js';
import { NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, parseError, parseMessages, type NlBuilder, type NlMessage } from './netlink-msg.js';

export const NETLINK_ROUTE = 0;
const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;
const EINTR = 4;

const fn = {
  socket: () => libcFunc('int socket(int domain, int type, int protocol)'),
  bind: () => libcFunc('int bind(int fd, const void *addr, uint32_t len)'),
  setsockopt: () => libcFunc('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
  send: () => libcFunc('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
  recv: () => libcFunc('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
};

/** A request the kernel refused; `errno` is positive, `extack` is the kernel's own explanation. */
export class NetlinkError extends SysError {
  readonly extack?: string;
  constructor(what: string, err: number, extack?: string) {
    super(what, err, extack);
    this.extack = extack;
  }
}

export class NetlinkSocket {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private buf = pinnedBytes(64 * 1024);
  private closed = false;

  private constructor(readonly fd: number) {}

  static open(protocol = NETLINK_ROUTE): NetlinkSocket {
    const fd = fn.socket()(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol) as number;
    if (fd < 0) throw new SysError('socket(AF_NETLINK)', errno());
    const sock = new NetlinkSocket(fd);
    try {
      const addr = pinnedBytes(12); // struct sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups }
      new DataView(addr.buffer, addr.byteOffset).setUint16(0, AF_NETLINK, true);
      if ((fn.bind()(fd, addr, 12) as number) < 0) throw new SysError('bind(AF_NETLINK)', errno());
      sock.setInt(SOL_NETLINK, NETLINK_EXT_ACK, 1, true);
      sock.setInt(SOL_NETLINK, NETLINK_CAP_ACK, 1, true);
      const tv = pinnedBytes(16); // struct timeval { long sec; long usec }: 5 s
      new DataView(tv.buffer, tv.byteOffset).setBigInt64(0, 5n, true);
      if ((fn.setsockopt()(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) as number) < 0) throw new SysError('setsockopt(SO_RCVTIMEO)', errno());
    } catch (e) {
      sock.close();
      throw e;
    }
    return sock;
  }

  /** Old kernels lack some options; they only make errors nicer, so failing to set them is fine. */
  private setInt(level: number, name: number, value: number, optional: boolean): void {
    const v = pinnedBytes(4);
    new DataView(v.buffer, v.byteOffset).setInt32(0, value, true);
    if ((fn.setsockopt()(this.fd, level, name, v, 4) as number) < 0 && !optional) {
      throw new SysError(`setsockopt(SOL_NETLINK, ${name})`, errno());
    }
  }

  /**
   * Sends `req` (NLM_F_ACK is added) and returns the answer's data messages. `what` names the
   * operation in errors, e.g. 'RTM_SETLINK (IFLA_XDP) on eth0'.
   */
  request(req: NlBuilder, what: string): NlMessage[] {
    if (this.closed) throw new SysError(what, 9 /* EBADF */, 'netlink socket is closed');
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const bytes = req.finish(seq);
    const out = pinnedBytes(bytes.length);
    out.set(bytes);
    const hdr = new DataView(out.buffer, out.byteOffset);
    hdr.setUint16(6, hdr.getUint16(6, true) | NLM_F_ACK, true);
    const sent = Number(fn.send()(this.fd, out, bytes.length, 0));
    if (sent < 0) throw new SysError(`send(${what})`, errno());

    const answer: NlMessage[] = [];
    for (;;) {
      for (const m of this.receive(what)) {
        if (m.seq !== seq) continue; // a stale answer to an earlier, abandoned request
        if (m.type === NLMSG_DONE) return answer;
        if (m.type === NLMSG_ERROR) {
          const e = parseError(m);
          if (e.errno === 0) return answer; // the ack
          throw new NetlinkError(what, e.errno, e.message);
        }
        // A single (non-dump) answer is followed by the ack; a dump ends with NLMSG_DONE.
        answer.push(m);
      }
    }
  }

  private receive(what: string): NlMessage[] {
    for (;;) {
      // Peek with MSG_TRUNC first: the kernel returns the datagram's full length, so a big dump
      // message is never silently cut to our buffer's size.
      const len = Number(fn.recv()(this.fd, this.buf, this.buf.length, MSG_PEEK | MSG_TRUNC));
      if (len < 0) {
        const e = errno();
        if (e === EINTR) continue;
        throw new SysError(`recv(${what})`, e);
      }
      if (len > this.buf.length) this.buf = pinnedBytes(len);
      const got = Number(fn.recv()(this.fd, this.buf, this.buf.length, 0));
      if (got < 0) {
        const e = errno();
        if (e === EINTR) continue;
        throw new SysError(`recv(${what})`, e);
      }
      return parseMessages(this.buf.slice(0, got));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
