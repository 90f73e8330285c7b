/**
 * A program on a perf event (kprobe, uprobe, tracepoint, sampling event): BPF_LINK_CREATE with
 * attach type BPF_PERF_EVENT on the event's fd (Linux 5.15+), else PERF_EVENT_IOC_SET_BPF. Either
 * way the attachment is held by fds only: closing them (or the process dying) detaches it.
 */
import { bpf_attach_type } from '../abi/index.js';
import { E, SysError, fdNum, linkCreate, type Fd } from '../sys/bpf.js';
import { perfEventEnable, perfEventSetBpf } from '../sys/perf-probe.js';
import { LinkAttachment, closer, type AttachKind, type ProgramRef } from './common.js';

/**
 * Attaches `prog` to the open perf event `perfFd`, which the attachment then owns (closed on
 * detach, and on failure here). `after` runs after detaching (e.g. removing a tracefs probe).
 */
export function attachToPerfEvent(prog: ProgramRef, perfFd: number, kind: AttachKind, description: string, after?: () => void): LinkAttachment {
  const event = closer(perfFd);
  try {
    let link: Fd | undefined;
    try {
      link = linkCreate({ progFd: prog.fd, targetFd: perfFd, attachType: bpf_attach_type.BPF_PERF_EVENT });
    } catch (e) {
      // EINVAL: no perf-event links before 5.15; the ioctl does the same without a link object.
      if (!(e instanceof SysError && e.errno === E.EINVAL)) throw e;
      perfEventSetBpf(perfFd, fdNum(prog.fd));
    }
    try {
      perfEventEnable(perfFd);
    } catch (e) {
      link?.close();
      throw e;
    }
    return new LinkAttachment(kind, `${description}${link ? ' (perf link)' : ' (perf event ioctl)'}`, link, [event], { after });
  } catch (e) {
    event.close();
    after?.();
    throw e;
  }
}
