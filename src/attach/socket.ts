/**
 * Socket-level programs. A socket filter (BPF_PROG_TYPE_SOCKET_FILTER) goes on one socket the
 * caller owns (SO_ATTACH_BPF) and dies with it. sk_msg and sk_skb programs go on a sockmap or
 * sockhash (BPF_PROG_ATTACH with the map fd as target); they run for the sockets in that map,
 * which user space or a sock_ops program puts there, and stay attached as long as the map lives.
 */
import { bpf_attach_type, bpf_map_type } from '../abi/index.js';
import { E, SysError, fdNum, mapInfo, progAttach, progDetach, type FdLike } from '../sys/bpf.js';
import { socketAttachBpf, socketDetachBpf } from '../sys/socket-bpf.js';
import { AttachError, attachFailure, type Attachment, type ProgramRef } from './common.js';

class FnAttachment implements Attachment {
  private detached = false;
  constructor(
    readonly kind: Attachment['kind'],
    readonly description: string,
    readonly diesWithProcess: boolean,
    private readonly undo: () => void,
  ) {}
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.undo();
  }
}

/** Attaches socket filter `prog` to socket `sockFd` (any socket: packet, UDP, TCP, raw). */
export function attachSocketFilter(prog: ProgramRef, sockFd: number): Attachment {
  try {
    socketAttachBpf(sockFd, fdNum(prog.fd));
  } catch (e) {
    throw attachFailure(e, `socket filter '${prog.name}' to socket fd ${sockFd}`, { [E.EINVAL]: `is '${prog.name}' a socket filter (SEC("socket"))?` });
  }
  return new FnAttachment('socket_filter', `socket filter on fd ${sockFd}`, true, () => {
    try {
      socketDetachBpf(sockFd);
    } catch (e) {
      // ENOENT: no filter any more; EBADF/ENOTSOCK: the socket is gone, and the filter with it.
      if (!(e instanceof SysError && [E.ENOENT, E.EBADF, 88].includes(e.errno as never))) throw e;
    }
  });
}

const SOCK_MAPS = new Set<number>([bpf_map_type.BPF_MAP_TYPE_SOCKMAP, bpf_map_type.BPF_MAP_TYPE_SOCKHASH]);

/**
 * Attaches an sk_msg (attach type SK_MSG_VERDICT) or sk_skb program (SK_SKB_STREAM_PARSER /
 * _VERDICT / SK_SKB_VERDICT) to the sockmap or sockhash `mapFd`.
 */
export function attachToSockMap(prog: ProgramRef, mapFd: FdLike, attachType: number, mapName = 'map'): Attachment {
  const info = mapInfo(mapFd);
  if (!SOCK_MAPS.has(info.type)) throw new AttachError(`map '${mapName}' is not a sockmap or sockhash (map type ${info.type})`, 'sk_msg and sk_skb programs attach to BPF_MAP_TYPE_SOCKMAP / SOCKHASH maps');
  const kind = attachType === bpf_attach_type.BPF_SK_MSG_VERDICT ? 'sk_msg' : 'sk_skb';
  try {
    progAttach({ targetFd: mapFd, progFd: prog.fd, attachType });
  } catch (e) {
    throw attachFailure(e, `${kind} program '${prog.name}' to map '${mapName}'`, { [E.EBUSY]: 'the map already has a program of that attach type', [E.EINVAL]: `is '${prog.name}' an ${kind} program loaded for this attach type?` });
  }
  return new FnAttachment(kind, `${kind} on map '${mapName}' (id ${info.id})`, false, () => {
    try {
      progDetach({ targetFd: mapFd, progFd: prog.fd, attachType });
    } catch (e) {
      if (!(e instanceof SysError && [E.ENOENT, E.EBADF].includes(e.errno as never))) throw e;
    }
  });
}
