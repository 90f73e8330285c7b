/**
 * Which of aya-template's program types src/attach can attach (for `tsbpf new` and docs), without
 * importing any attach code: `tsbpf new` must not load the sys layer. Kept in step with plan.ts.
 */
export const ATTACHABLE_TEMPLATE_TYPES: readonly string[] = [
  'cgroup_skb', 'cgroup_sockopt', 'cgroup_sysctl', 'classifier', 'fentry', 'fexit', 'kprobe', 'kretprobe', 'lsm',
  'perf_event', 'raw_tracepoint', 'sk_msg', 'sock_ops', 'tp_btf', 'tracepoint', 'uprobe', 'uretprobe', 'xdp',
];

/** aya-template types src/attach attaches only from a user's own program (not `tsbpf run`), and why. */
export const NOT_RUNNABLE_TEMPLATE_TYPES: Readonly<Record<string, string>> = {
  socket_filter: 'a socket filter belongs to a socket the user program owns: attachSocketFilter(program, socketFd)',
};
