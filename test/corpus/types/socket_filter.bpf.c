// A socket filter: counts the packets queued to its socket and keeps them whole (returns their length).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 packets = 0;

SEC("socket")
int sock_count(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&packets, 1);
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
