// The C equivalent of examples/cgroup-skb.bpf.ts (compared under BPF_PROG_TEST_RUN).
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 blocked_port = 9999;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u8);
	__type(value, __u64);
	__uint(max_entries, 256);
} bytes SEC(".maps");

SEC("cgroup_skb/egress")
int egress_guard(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end || ip->version != 4)
		return 1;
	__u8 proto = ip->protocol;
	__u64 len = skb->len;
	__u64 *n = bpf_map_lookup_elem(&bytes, &proto);
	if (n)
		__sync_fetch_and_add(n, skb->len);
	else
		bpf_map_update_elem(&bytes, &proto, &len, BPF_NOEXIST);
	if (ip->protocol != IPPROTO_UDP)
		return 1;
	struct udphdr *udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return 1;
	return udp->dest == bpf_htons(blocked_port) ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
