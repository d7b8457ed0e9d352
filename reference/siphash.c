/* SipHash-2-4 after the reference implementation (public domain, CC0). */
#include "siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);      \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                         \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                         \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);      \
	} while (0)

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void store64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int siphash(const void *in, size_t inlen, const uint8_t k[16], uint8_t *out, size_t outlen)
{
	if (outlen != 8 && outlen != 16)
		return -1;
	const uint8_t *ni = in;
	uint64_t k0 = load64(k), k1 = load64(k + 8);
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
	uint64_t b = (uint64_t)inlen << 56;
	const uint8_t *end = ni + inlen - (inlen % 8);

	if (outlen == 16)
		v1 ^= 0xee;
	for (; ni != end; ni += 8) {
		uint64_t m = load64(ni);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < inlen % 8; i++)
		b |= (uint64_t)ni[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= outlen == 16 ? 0xee : 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	store64(out, v0 ^ v1 ^ v2 ^ v3);
	if (outlen == 8)
		return 0;
	v1 ^= 0xdd;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	store64(out + 8, v0 ^ v1 ^ v2 ^ v3);
	return 0;
}
