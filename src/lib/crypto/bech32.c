/*
 * Bech32 (BIP-173) encoding of public keys, as age does for "age1" keys.
 * The 90-character limit of BIP-173 is not applied: a kist public key
 * carries 64 bytes and is 114 characters long.
 */
#include "crypto/crypto.h"

#include <string.h>

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t pre)
{
	uint32_t b = pre >> 25;
	return ((pre & 0x1ffffff) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2UL) ^
	       (-((b >> 1) & 1) & 0x26508e6dUL) ^ (-((b >> 2) & 1) & 0x1ea119faUL) ^
	       (-((b >> 3) & 1) & 0x3d4233ddUL) ^ (-((b >> 4) & 1) & 0x2a1462b3UL);
}

static uint32_t hrp_polymod(const char *hrp)
{
	uint32_t chk = 1;
	size_t i;
	for (i = 0; hrp[i] != '\0'; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] >> 5);
	chk = polymod_step(chk);
	for (i = 0; hrp[i] != '\0'; i++)
		chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
	return chk;
}

/* Returns the number of characters written (without NUL), or 0 if cap is too small. */
int kist__bech32_encode(char *out, size_t cap, const char *hrp, const unsigned char *data,
                        size_t len)
{
	size_t hlen = strlen(hrp), ngroups = (len * 8 + 4) / 5, total = hlen + 1 + ngroups + 6;
	uint32_t chk = hrp_polymod(hrp), acc = 0;
	size_t o = 0, i;
	int bits = 0;

	if (total + 1 > cap)
		return 0;
	memcpy(out, hrp, hlen);
	o = hlen;
	out[o++] = '1';
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			unsigned v = (acc >> bits) & 31;
			chk = polymod_step(chk) ^ v;
			out[o++] = charset[v];
		}
	}
	if (bits > 0) {
		unsigned v = (acc << (5 - bits)) & 31;
		chk = polymod_step(chk) ^ v;
		out[o++] = charset[v];
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		out[o++] = charset[(chk >> ((5 - i) * 5)) & 31];
	out[o] = '\0';
	return (int)o;
}

/*
 * Decodes str into hrp (lower case) and data bytes.  Returns 0 on success,
 * -1 for bad characters or mixed case, -2 for a bad checksum, -3 for bad
 * padding or a size that does not fit.
 */
int kist__bech32_decode(unsigned char *out, size_t cap, size_t *outlen, char *hrp, size_t hrpcap,
                        const char *str)
{
	size_t len = strlen(str), sep, i;
	int lower = 0, upper = 0, bits = 0;
	uint32_t chk, acc = 0;
	size_t o = 0;

	if (len < 8 || len > 2048)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c < 33 || c > 126)
			return -1;
		if (c >= 'a' && c <= 'z')
			lower = 1;
		if (c >= 'A' && c <= 'Z')
			upper = 1;
	}
	if (lower && upper)
		return -1;
	sep = len;
	for (i = len; i > 0; i--)
		if (str[i - 1] == '1') {
			sep = i - 1;
			break;
		}
	if (sep == len || sep == 0 || sep + 7 > len || sep + 1 > hrpcap)
		return -1;
	for (i = 0; i < sep; i++) {
		char c = str[i];
		hrp[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	hrp[sep] = '\0';
	chk = hrp_polymod(hrp);
	for (i = sep + 1; i < len; i++) {
		char c = str[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		const char *p = strchr(charset, c);
		if (p == NULL || c == '\0')
			return -1;
		unsigned v = (unsigned)(p - charset);
		chk = polymod_step(chk) ^ v;
		if (i + 6 < len) {
			acc = (acc << 5) | v;
			bits += 5;
			if (bits >= 8) {
				bits -= 8;
				if (o >= cap)
					return -3;
				out[o++] = (unsigned char)(acc >> bits);
			}
		}
	}
	if (chk != 1)
		return -2;
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return -3;
	*outlen = o;
	return 0;
}
