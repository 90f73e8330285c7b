// The C equivalent of examples/socket-filter.bpf.ts (compared under BPF_PROG_TEST_RUN).
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 blocked_port = 9999;
const volatile __u32 snap_len = 0xffff;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} verdicts SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&verdicts, &i);
	if (c)
		*c += 1;
}

SEC("socket")
int udp_filter(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct udphdr udp;
	if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET) < 0 || ip.version != 4 || ip.protocol != IPPROTO_UDP)
		return skb->len;
	if (bpf_skb_load_bytes_relative(skb, ip.ihl * 4, &udp, sizeof(udp), BPF_HDR_START_NET) < 0)
		return skb->len;
	if (udp.source == bpf_htons(blocked_port)) {
		count(1);
		return 0;
	}
	count(0);
	return skb->len < snap_len ? skb->len : snap_len;
}

char LICENSE[] SEC("license") = "GPL";
