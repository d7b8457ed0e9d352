/* SipHash-2-4 (Aumasson & Bernstein), 64- or 128-bit output: the keyed hash
 * behind bundle ETags (CTX-4). */
#ifndef AFI_SIPHASH_H
#define AFI_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* Hashes in[0..inlen) with the 16-byte key k into out, which receives outlen
 * bytes (8 or 16, little-endian as in the reference implementation).
 * Returns 0, or -1 when outlen is neither 8 nor 16. */
int siphash(const void *in, size_t inlen, const uint8_t k[16], uint8_t *out, size_t outlen);

#endif
