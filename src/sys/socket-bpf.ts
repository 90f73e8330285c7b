/**
 * Socket filters: SO_ATTACH_BPF puts a BPF_PROG_TYPE_SOCKET_FILTER program on a socket the
 * caller owns (it sees every packet queued to that socket and returns how many bytes to keep),
 * SO_DETACH_BPF removes it. The program goes away with the socket.
 */
import { errno, libcFunc, pinnedBytes } from './libc.js';
import { SysError } from './errors.js';

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27; // = SO_DETACH_FILTER

function setsockopt(fd: number, name: number, value: Uint8Array | null, len: number, what: string): void {
  const r = libcFunc('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)')(fd, SOL_SOCKET, name, value, len) as number;
  if (r < 0) {
    const e = errno();
    const hint = e === 88 /* ENOTSOCK */ ? `fd ${fd} is not a socket` : undefined;
    throw new SysError(`setsockopt(${what}) on fd ${fd}`, e, undefined, hint);
  }
}

/** Attaches socket-filter program `progFd` to socket `sockFd` (replacing any filter it had). */
export function socketAttachBpf(sockFd: number, progFd: number): void {
  const v = pinnedBytes(4);
  new DataView(v.buffer, v.byteOffset, 4).setInt32(0, progFd, true);
  setsockopt(sockFd, SO_ATTACH_BPF, v, 4, 'SO_ATTACH_BPF');
}

/** Removes the socket's filter (ENOENT when it has none). */
export function socketDetachBpf(sockFd: number): void {
  const v = pinnedBytes(4);
  setsockopt(sockFd, SO_DETACH_BPF, v, 4, 'SO_DETACH_BPF');
}
