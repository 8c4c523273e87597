/* Error detail, interruption flag, checked I/O and small helpers. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static _Thread_local char detail[768];

volatile sig_atomic_t kist__interrupted;

kist_err kist__fail(kist_err err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (n < 0)
		detail[0] = '\0';
	return err;
}

void kist__clear_detail(void)
{
	detail[0] = '\0';
}

const char *kist_errdetail(void)
{
	return detail;
}

void kist_interrupt(void)
{
	kist__interrupted = 1;
}

const char *kist_version(void)
{
	return KIST_VERSION;
}

kist_err kist_init(void)
{
	if (sodium_init() < 0)
		return kist__fail(KIST_E_CRYPTO, "libsodium failed to initialise");
	return KIST_OK;
}

kist_err kist__errno_err(int err)
{
	if (err == ENOSPC || err == EFBIG || err == EDQUOT)
		return KIST_E_NOSPACE;
	return KIST_E_IO;
}

kist_err kist__pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR && !kist__interrupted)
				continue;
			return kist__fail(kist__errno_err(errno), "reading %s: %s", what,
			                  strerror(errno));
		}
		if (n == 0)
			return kist__fail(KIST_E_CORRUPT, "%s is truncated", what);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return KIST_OK;
}

kist_err kist__read_full(int fd, void *buf, size_t len, size_t *got, const char *what)
{
	unsigned char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR) {
				if (kist__interrupted)
					return kist__fail(KIST_E_INTERRUPTED, "interrupted");
				continue;
			}
			return kist__fail(kist__errno_err(errno), "reading %s: %s", what,
			                  strerror(errno));
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return KIST_OK;
}

kist_err kist__write_full(int fd, const void *buf, size_t len, const char *what)
{
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR) {
				if (kist__interrupted)
					return kist__fail(KIST_E_INTERRUPTED, "interrupted");
				continue;
			}
			return kist__fail(kist__errno_err(errno), "writing %s: %s", what,
			                  strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return KIST_OK;
}

void kist__printable(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, len = strlen(s);
	if (cap == 0)
		return;
	/* Always valid UTF-8: a character is copied whole or the text ends there. */
	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = kist__utf8_next(u + i, len - i, &cp);
		if (n > 0 && cp >= 0x20 && cp != 0x7f && cp != '\\' &&
		    !(cp >= 0x80 && cp <= 0x9f)) {
			if (o + n >= cap)
				break;
			memcpy(out + o, u + i, n);
			o += n;
			i += n;
			continue;
		}
		size_t bad = n > 0 ? n : 1; /* a control character, or one invalid byte */
		if (o + 4 * bad >= cap)
			break;
		for (size_t k = 0; k < bad; k++, i++) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[u[i] >> 4];
			out[o++] = hex[u[i] & 15];
		}
	}
	out[o] = '\0';
}
