// The C equivalent of examples/sk-msg-filter.bpf.ts (attached side by side in skmsg-kernel.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 64);
} socks SEC(".maps");

const volatile __u32 blocked_word = 0x44524f50; /* "DROP" */

__u64 messages;
__u64 bytes;
__u64 dropped;

SEC("sk_msg")
int sk_msg_filter(struct sk_msg_md *msg)
{
	void *data = msg->data;
	void *data_end = msg->data_end;

	__sync_fetch_and_add(&messages, 1);
	__sync_fetch_and_add(&bytes, msg->size);
	if (data + sizeof(__u32) <= data_end && bpf_ntohl(*(__u32 *)data) == blocked_word) {
		__sync_fetch_and_add(&dropped, 1);
		return SK_DROP;
	}
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
