/** What a load has created so far, so that a failure part-way closes every fd and removes its pins. */
import { unlinkSync } from 'node:fs';
import type { Fd } from '../sys/bpf.js';

export class Resources {
  private readonly fds: Fd[] = [];
  private readonly pins: string[] = [];

  fd(fd: Fd): Fd {
    this.fds.push(fd);
    return fd;
  }

  pinned(path: string): void {
    this.pins.push(path);
  }

  /** Undoes everything (on failure): pins made by this load are removed, fds closed. */
  release(): void {
    for (const p of this.pins.splice(0)) {
      try { unlinkSync(p); } catch { /* already gone */ }
    }
    for (const fd of this.fds.splice(0).reverse()) fd.close();
  }
}
