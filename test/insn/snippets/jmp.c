// cpus: v1 v2 v3
// Every conditional jump clang 14 emits, 64- and 32-bit, register and immediate, plus goto.
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;
extern void sink(u64);

#define CMP(T, N, OP, NAME) \
	u64 N##_##NAME(T a, T b) { if (a OP b) sink(1); return 0; } \
	u64 N##_##NAME##i(T a) { if (a OP (T)-5) sink(2); if (a OP 1000) sink(3); return 0; }

#define ALL(T, N) CMP(T, N, ==, eq) CMP(T, N, !=, ne) CMP(T, N, >, gt) CMP(T, N, >=, ge) \
	CMP(T, N, <, lt) CMP(T, N, <=, le)

ALL(u64, u64)
ALL(s64, s64)
ALL(u32, u32)
ALL(s32, s32)

u64 loop(u64 n) { u64 s = 0; for (u32 i = 0; i < n; i++) { s += i * 3; if (s > 1000) break; sink(s); } return s; }
