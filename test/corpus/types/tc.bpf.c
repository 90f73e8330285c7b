// A tc classifier (direct action): counts packets and bytes, prints each packet's length, and
// drops everything when the `drop` setting is set at load.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

__u64 packets = 0;
__u64 bytes = 0;
const volatile __u32 drop = 0;

SEC("tc")
int tc_count(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&packets, 1);
	__sync_fetch_and_add(&bytes, skb->len);
	bpf_printk("tsbpf tc len=%u", skb->len);
	return drop ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
