// The sockmap pattern: a sock_ops program (on a cgroup) puts every established TCP socket of the
// cgroup into a sockhash keyed by its local port, and an sk_msg program (on that sockhash) counts
// the messages and bytes those sockets send.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} socks SEC(".maps");

__u64 ops = 0;
__u64 established = 0;
__u64 messages = 0;
__u64 msg_bytes = 0;

SEC("sockops")
int sock_ops_prog(struct bpf_sock_ops *skops)
{
	__u32 key;

	__sync_fetch_and_add(&ops, 1);
	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		__sync_fetch_and_add(&established, 1);
		key = skops->local_port;
		bpf_sock_hash_update(skops, &socks, &key, BPF_ANY);
		break;
	}
	return 1;
}

SEC("sk_msg")
int sk_msg_prog(struct sk_msg_md *msg)
{
	__sync_fetch_and_add(&messages, 1);
	__sync_fetch_and_add(&msg_bytes, msg->size);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
