/* SipHash-2-4 against the reference vectors (key 00..0f, message 00..len-1). */
#include <criterion/criterion.h>
#include <string.h>

#include "siphash.h"

static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t msg[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

Test(siphash, sixty_four_bit_vectors)
{
	static const uint8_t want[3][8] = {
		{0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72},
		{0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74},
		{0x5a, 0x4f, 0xa9, 0xd9, 0x09, 0x80, 0x6c, 0x0d},
	};
	uint8_t out[8];
	for (size_t n = 0; n < 3; n++) {
		cr_assert_eq(siphash(msg, n, key, out, 8), 0);
		cr_assert_arr_eq(out, want[n], 8, "length %zu", n);
	}
	/* The paper's example: 15 bytes, 0xa129ca6149be45e5. */
	static const uint8_t paper[8] = {0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1};
	siphash(msg, 15, key, out, 8);
	cr_assert_arr_eq(out, paper, 8);
}

Test(siphash, one_twenty_eight_bit_vectors)
{
	static const uint8_t want[3][16] = {
		{0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93},
		{0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45},
		{0x81, 0x77, 0x22, 0x8d, 0xa4, 0xa4, 0x5d, 0xc7, 0xfc, 0xa3, 0x8b, 0xde, 0xf6, 0x0a, 0xff, 0xe4},
	};
	uint8_t out[16];
	for (size_t n = 0; n < 3; n++) {
		cr_assert_eq(siphash(msg, n, key, out, 16), 0);
		cr_assert_arr_eq(out, want[n], 16, "length %zu", n);
	}
}

Test(siphash, other_output_lengths_are_refused)
{
	uint8_t out[32];
	cr_assert_eq(siphash(msg, 4, key, out, 32), -1);
}

Test(siphash, key_changes_the_hash)
{
	uint8_t k2[16], a[16], b[16];
	memcpy(k2, key, 16);
	k2[0] ^= 1;
	siphash(msg, 16, key, a, 16);
	siphash(msg, 16, k2, b, 16);
	cr_assert(memcmp(a, b, 16) != 0);
}
