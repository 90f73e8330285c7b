// The C equivalent of examples/tc-rewrite.bpf.ts (compared under BPF_PROG_TEST_RUN).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 from_port = 7000;
const volatile __u16 to_port = 7001;
const volatile __u16 blocked_port = 9999;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} counters SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &i);
	if (c)
		*c += 1;
}

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	count(0);
	skb->mark = 0x100 | ip->protocol;
	if (ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	__u32 off = 14 + ip->ihl * 4;
	struct udphdr *udp = data + off;
	if ((void *)(udp + 1) > data_end)
		return TC_ACT_OK;
	count(1);
	if (udp->dest == bpf_htons(blocked_port)) {
		count(3);
		return TC_ACT_SHOT;
	}
	if (udp->dest != bpf_htons(from_port))
		return TC_ACT_OK;
	__be16 to = bpf_htons(to_port);
	bpf_l4_csum_replace(skb, off + 6, udp->dest, to, BPF_F_MARK_MANGLED_0 | 2);
	bpf_skb_store_bytes(skb, off + 2, &to, sizeof(to), 0);
	count(2);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
