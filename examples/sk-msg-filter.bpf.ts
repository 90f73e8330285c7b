// An sk_msg program: it runs on every message a socket of `socks` sends (user space puts TCP
// sockets into the SockHash after attaching the program to it). It counts the messages and their
// bytes, and drops a message whose first four bytes are `blocked_word` ("DROP" by default): the
// sender's write fails with EACCES and nothing reaches the peer.
import { skMsg, SockHash, SkAction, ntohl, atomic_add, type u32, type u64, type be32 } from "tsbpf/kernel";

/** The first bytes of a message. */
interface Head {
  word: be32;
}

/** The sockets the program runs for: key chosen by user space, value the socket's fd. */
export const socks = new SockHash<u32>({ maxEntries: 64 });

export const blocked_word: u32 = 0x44524f50; // "DROP"

let messages: u64 = 0;
let bytes: u64 = 0;
let dropped: u64 = 0;

export const sk_msg_filter = skMsg((ctx) => {
  atomic_add(messages, 1);
  atomic_add(bytes, ctx.size);
  const head = ctx.header<Head>(0);
  if (head && ntohl(head.word) === blocked_word) {
    atomic_add(dropped, 1);
    return SkAction.DROP;
  }
  return SkAction.PASS;
});
