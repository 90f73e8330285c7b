/**
 * Netlink message encoding and decoding (nlmsghdr, rtattr/nlattr TLVs), without syscalls so it
 * can be tested on any machine. Layouts from uapi linux/netlink.h and linux/rtnetlink.h; all
 * fields are host-endian (little-endian on every target we support).
 */

export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
/** In an NLMSG_ERROR: the original request payload was left out. */
export const NLM_F_CAPPED = 0x100;
/** In an NLMSG_ERROR: extended-ack TLVs follow. */
export const NLM_F_ACK_TLVS = 0x200;

export const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;
/** Extended-ack attribute holding the kernel's explanation text. */
export const NLMSGERR_ATTR_MSG = 1;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** One decoded netlink message. `payload` is a view into the received datagram. */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/** Builds one request: header, fixed family struct, then attributes (nested ones via begin/end). */
export class NlBuilder {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = NLMSG_HDRLEN;
  private nests: number[] = [];

  constructor(
    private readonly type: number,
    private readonly flags: number,
  ) {}

  private reserve(n: number): number {
    const at = this.len;
    const need = at + align4(n);
    if (need > this.buf.length) {
      const bigger = new Uint8Array(Math.max(need, this.buf.length * 2));
      bigger.set(this.buf);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    this.len = need;
    return at;
  }

  /** Appends raw bytes (the family header, e.g. struct ifinfomsg), padded to 4. */
  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }

  private attrHeader(type: number, dataLen: number): number {
    const at = this.reserve(4 + dataLen);
    this.view.setUint16(at, 4 + dataLen, true);
    this.view.setUint16(at + 2, type, true);
    return at + 4;
  }

  u8(type: number, v: number): this {
    this.view.setUint8(this.attrHeader(type, 1), v);
    return this;
  }

  u32(type: number, v: number): this {
    this.view.setUint32(this.attrHeader(type, 4), v >>> 0, true);
    return this;
  }

  s32(type: number, v: number): this {
    this.view.setInt32(this.attrHeader(type, 4), v, true);
    return this;
  }

  /** A NUL-terminated string attribute. */
  str(type: number, s: string): this {
    const bytes = new TextEncoder().encode(`${s}\0`);
    this.buf.set(bytes, this.attrHeader(type, bytes.length));
    return this;
  }

  begin(type: number): this {
    this.nests.push(this.reserve(4));
    this.view.setUint16(this.nests[this.nests.length - 1] + 2, type | NLA_F_NESTED, true);
    return this;
  }

  end(): this {
    const at = this.nests.pop();
    if (at === undefined) throw new RangeError('NlBuilder.end() without begin()');
    this.view.setUint16(at, this.len - at, true);
    return this;
  }

  /** The finished message with its header filled in. */
  finish(seq: number, pid = 0): Uint8Array {
    if (this.nests.length) throw new RangeError('NlBuilder.finish() with an open nested attribute');
    this.view.setUint32(0, this.len, true);
    this.view.setUint16(4, this.type, true);
    this.view.setUint16(6, this.flags, true);
    this.view.setUint32(8, seq >>> 0, true);
    this.view.setUint32(12, pid >>> 0, true);
    return this.buf.slice(0, this.len);
  }
}

/** Splits a received datagram into messages; stops at a truncated or malformed header. */
export function parseMessages(data: Uint8Array): NlMessage[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= data.length) {
    const len = dv.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > data.length) break;
    out.push({
      type: dv.getUint16(off + 4, true),
      flags: dv.getUint16(off + 6, true),
      seq: dv.getUint32(off + 8, true),
      pid: dv.getUint32(off + 12, true),
      payload: data.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Attributes by type (the last one wins for repeated types); values are views into `data`. */
export function parseAttrs(data: Uint8Array): Map<number, Uint8Array> {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Map<number, Uint8Array>();
  let off = 0;
  while (off + 4 <= data.length) {
    const len = dv.getUint16(off, true);
    if (len < 4 || off + len > data.length) break;
    out.set(dv.getUint16(off + 2, true) & NLA_TYPE_MASK, data.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export function attrU8(v: Uint8Array | undefined): number | undefined {
  return v && v.length >= 1 ? v[0] : undefined;
}

export function attrU32(v: Uint8Array | undefined): number | undefined {
  return v && v.length >= 4 ? new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true) : undefined;
}

/** A NUL-terminated string attribute (the terminator and anything after it dropped). */
export function attrStr(v: Uint8Array | undefined): string | undefined {
  if (!v) return undefined;
  const nul = v.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? v.subarray(0, nul) : v);
}

/** The decoded body of an NLMSG_ERROR: errno (0 = ack) and the kernel's extended-ack text. */
export interface NlError {
  errno: number;
  message?: string;
}

export function parseError(msg: NlMessage): NlError {
  const p = msg.payload;
  if (p.length < 4) return { errno: 0 };
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const errno = -dv.getInt32(0, true) || 0; // never -0
  if (!(msg.flags & NLM_F_ACK_TLVS) || p.length < 4 + NLMSG_HDRLEN) return { errno };
  // After the error code comes the request's header, plus its payload unless capped.
  const echoed = msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : dv.getUint32(4, true);
  const tlvs = p.subarray(Math.min(p.length, 4 + align4(echoed)));
  const text = attrStr(parseAttrs(tlvs).get(NLMSGERR_ATTR_MSG));
  return text ? { errno, message: text } : { errno };
}
