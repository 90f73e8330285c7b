// The kernel side of __NAME__: an sk_msg program: it runs for every message a socket in `sockets` sends, logs it and lets it through.
// `npm run build` compiles it to target/bpf/__NAME__.o; src/main.ts attaches it to the map and puts sockets into it.
import { skMsg, SockHash, SkAction, log, type u32 } from "tsbpf/kernel";

// The sockets the program runs for (a BPF_MAP_TYPE_SOCKHASH). The keys are yours to choose
// (src/main.ts uses the client's port); a value is a socket: user space writes its file descriptor.
export const sockets = new SockHash<u32>({ maxEntries: 1024 });

// SkAction.PASS lets the message go; SkAction.DROP refuses it (the sender's write fails with EACCES);
// msg_redirect_hash(ctx, sockets, key, flags) hands it to another socket of the map.
export const __PROG__ = skMsg((ctx) => {
  log.info(ctx, "received a message on the socket");
  return SkAction.PASS;
});
