/*
 * uapi linux/bpf.h facts newer than the header installed on the build machine (Linux 6.1 here),
 * merged into the generated ABI tables by scripts/gen-abi.ts (enums, constants) and
 * scripts/gen-attr.ts (bpf_attr and info struct layouts). Rules, checked by the generators:
 *
 *   - Every declaration here that the header lacks carries `since X.Y` in a comment on its line:
 *     the Linux release whose uapi added it. The generated tables repeat it next to the entry.
 *   - Declarations the header already has must agree with it (same value; same offset, size and
 *     type), so with a newer header this file changes nothing but the tables' first lines.
 *   - Enum members are inserted ahead of the header enum's sentinel (__MAX_..., MAX_...), which
 *     C's rules then renumber as the newer header does (MAX_BPF_ATTACH_TYPE follows).
 *   - Struct members are laid out with the header's rules and merged field by field. Fields
 *     without `since` are anchors copied from the header: they fix the layout of the new ones
 *     (union alignment, offsets), and their own offsets are checked against the header.
 *
 * Plain C: test/abi/uapi-supplement.test.ts lays it out with clang and compares every offset,
 * and checks every enum value and field against the running kernel's BTF (/sys/kernel/btf/vmlinux).
 *
 * Sources: include/uapi/linux/bpf.h of Linux 6.4 ("bpf: Create links for BPF struct_ops maps",
 * "bpf: add bpf_link support for BPF_NETFILTER programs", "bpf: netfilter: Add BPF_NETFILTER
 * bpf_attach_type") and 6.6 ("bpf: Add generic attach/detach/query API for multi-progs",
 * "bpf: Add fd-based tcx multi-prog infra with link support").
 */
#include <linux/types.h>

enum bpf_attach_type {
	BPF_STRUCT_OPS = 44,		/* since 6.4: struct_ops links */
	BPF_NETFILTER = 45,		/* since 6.4 */
	BPF_TCX_INGRESS = 46,		/* since 6.6: tcx hook of an interface (by ifindex) */
	BPF_TCX_EGRESS = 47,		/* since 6.6 */
};

enum bpf_link_type {
	BPF_LINK_TYPE_NETFILTER = 10,	/* since 6.4 */
	BPF_LINK_TYPE_TCX = 11,		/* since 6.6 */
};

/* Generic multi-program (bpf_mprog) attach flags: BPF_PROG_ATTACH/DETACH, BPF_LINK_CREATE. */
#define BPF_F_BEFORE	(1U << 3)	/* since 6.6: before relative_fd/id (or first) */
#define BPF_F_AFTER	(1U << 4)	/* since 6.6: after relative_fd/id (or last) */
#define BPF_F_ID	(1U << 5)	/* since 6.6: relative_id instead of relative_fd */
#define BPF_F_LINK	(1U << 13)	/* since 6.4 (struct_ops map flag); 6.6: the relative is a link */

/* Return codes of tcx programs (the TC_ACT_* values; any other value means TCX_NEXT). */
enum tcx_action_base {
	TCX_NEXT = -1,			/* since 6.6 */
	TCX_PASS = 0,			/* since 6.6 */
	TCX_DROP = 2,			/* since 6.6 */
	TCX_REDIRECT = 7,		/* since 6.6 */
};

union bpf_attr {
	struct { /* anonymous struct used by BPF_PROG_ATTACH/DETACH commands */
		union {
			__u32	target_fd;
			__u32	target_ifindex;		/* since 6.6 */
		};
		__u32		attach_bpf_fd;
		__u32		attach_type;
		__u32		attach_flags;
		__u32		replace_bpf_fd;
		union {
			__u32	relative_fd;		/* since 6.6 */
			__u32	relative_id;		/* since 6.6 */
		};
		__u64		expected_revision;	/* since 6.6 */
	};

	struct { /* anonymous struct used by BPF_PROG_QUERY command */
		union {
			__u32	target_fd;
			__u32	target_ifindex;		/* since 6.6 */
		};
		__u32		attach_type;
		__u32		query_flags;
		__u32		attach_flags;
		__aligned_u64	prog_ids;
		union {
			__u32	prog_cnt;
			__u32	count;			/* since 6.6 */
		};
		__u32		:32;
		__aligned_u64	prog_attach_flags;
		__aligned_u64	link_ids;		/* since 6.6 */
		__aligned_u64	link_attach_flags;	/* since 6.6 */
		__u64		revision;		/* since 6.6 */
	} query;

	struct { /* struct used by BPF_LINK_CREATE command */
		union {
			__u32	prog_fd;
			__u32	map_fd;			/* since 6.4: struct_ops map to attach */
		};
		union {
			__u32	target_fd;
			__u32	target_ifindex;
		};
		__u32		attach_type;
		__u32		flags;
		union {
			__u32	target_btf_id;
			struct {
				__u32	pf;		/* since 6.4 */
				__u32	hooknum;	/* since 6.4 */
				__s32	priority;	/* since 6.4 */
				__u32	flags;		/* since 6.4 */
			} netfilter;
			struct {
				union {
					__u32	relative_fd;	/* since 6.6 */
					__u32	relative_id;	/* since 6.6 */
				};
				__u64	expected_revision;	/* since 6.6 */
			} tcx;
		};
	} link_create;
} __attribute__((aligned(8)));

struct bpf_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	union {
		struct {
			__aligned_u64 tp_name;
			__u32 tp_name_len;
		} raw_tracepoint;
		struct {
			__u32 ifindex;			/* since 6.6 */
			__u32 attach_type;		/* since 6.6 */
		} tcx;
	};
} __attribute__((aligned(8)));
