// cpus: v1 v2 v3
// Every ALU/ALU64 operation clang 14 emits, with register and immediate operands, 32 and 64 bit.
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;

#define OPS(T, N) \
	T N##_add(T a, T b) { return a + b; } \
	T N##_addi(T a) { return a + 7; } \
	T N##_sub(T a, T b) { return a - b; } \
	T N##_subi(T a) { return 100 - a; } \
	T N##_mul(T a, T b) { return a * b; } \
	T N##_muli(T a) { return a * -3; } \
	T N##_div(T a, T b) { return a / b; } \
	T N##_divi(T a) { return a / 10; } \
	T N##_mod(T a, T b) { return a % b; } \
	T N##_or(T a, T b) { return a | b; } \
	T N##_ori(T a) { return a | 0x1000; } \
	T N##_and(T a, T b) { return a & b; } \
	T N##_andi(T a) { return a & 0xff; } \
	T N##_xor(T a, T b) { return a ^ b; } \
	T N##_xori(T a) { return a ^ -1; } \
	T N##_shl(T a, T b) { return a << b; } \
	T N##_shli(T a) { return a << 5; } \
	T N##_neg(T a) { return -a; } \
	T N##_mov(T a) { return 0x7fffffff; } \
	T N##_movn(T a) { return -2147483647 - 1; }

OPS(u64, u64)
OPS(u32, u32)

u64 u64_shr(u64 a, u64 b) { return a >> b; }
u64 u64_shri(u64 a) { return a >> 63; }
s64 s64_sar(s64 a, s64 b) { return a >> b; }
s64 s64_sari(s64 a) { return a >> 3; }
u32 u32_shr(u32 a, u32 b) { return a >> b; }
u32 u32_shri(u32 a) { return a >> 31; }
s32 s32_sar(s32 a, s32 b) { return a >> b; }
s32 s32_sari(s32 a) { return a >> 4; }
u64 bswap16(u64 a) { return __builtin_bswap16(a); }
u64 bswap32(u64 a) { return __builtin_bswap32(a); }
u64 bswap64(u64 a) { return __builtin_bswap64(a); }
u64 big(void) { return 0x123456789abcdefULL; }
u64 bigneg(void) { return -0x123456789abcdefLL; }
u64 zext(u32 a) { return a; }
s64 sext(s32 a) { return a; }
