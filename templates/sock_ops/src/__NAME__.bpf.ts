// The kernel side of __NAME__: a sock_ops program: it logs the TCP events (connects, established connections, …) of the cgroup's sockets.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts attaches it to a cgroup.
import { sockOps, log } from "tsbpf/kernel";

// ctx.op is the event (BPF_SOCK_OPS_*: 3 connecting, 4 established as the client, 5 as the server…)
export const __PROG__ = sockOps((ctx) => {
  log.info(ctx, "TCP event {} (port {})", ctx.op, ctx.localPort);
  return 1;
});
