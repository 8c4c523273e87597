/* Error detail, interruption flag, checked I/O and small helpers. */
#include "base/base.h"
#include "os/os.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <openssl/crypto.h>
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

const char *kist__detail_copy(char buf[KIST__DETAIL_COPY])
{
	_Static_assert(sizeof detail == KIST__DETAIL_COPY, "one size for the detail and its copy");
	memcpy(buf, detail, KIST__DETAIL_COPY);
	buf[KIST__DETAIL_COPY - 1] = '\0';
	return buf;
}

kist_err kist__nomem(void)
{
	return kist__fail(KIST_E_NOMEM, "out of memory");
}

#define HUGE_PAGE ((size_t)2 << 20)

void *kist__alloc_large(size_t size)
{
	if (size < HUGE_PAGE)
		return malloc(size ? size : 1);
	return kist__os_alloc_huge(size);
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

void kist_interrupt_clear(void)
{
	kist__interrupted = 0;
}

const char *kist_version(void)
{
	return KIST_VERSION;
}

kist_err kist_init(void)
{
	if (sodium_init() < 0)
		return kist__fail(KIST_E_CRYPTO, "libsodium failed to initialise");
	const char *late = kist__wipe_install();
	if (late != NULL)
		return kist__fail(KIST_E_ARG, "%s was used before kist_init(): call it first",
		                  late);
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		return kist__fail(KIST_E_CRYPTO, "libcrypto failed to initialise");
	return KIST_OK;
}

kist_err kist__errno_err(int err)
{
	if (err == ENOSPC || err == EFBIG)
		return KIST_E_NOSPACE;
#ifdef EDQUOT /* not in every C library's errno.h (Windows) */
	if (err == EDQUOT)
		return KIST_E_NOSPACE;
#endif
	return KIST_E_IO;
}

kist_err kist__pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	unsigned char *p = buf;
	while (len > 0) {
		ptrdiff_t n = kist__os_pread(fd, p, len, off);
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
		ptrdiff_t n = kist__os_read(fd, p + done, len - done);
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
		ptrdiff_t n = kist__os_write(fd, p, len);
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

/* ---- UTF-8: the one decoder of the library */

size_t kist__utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		*cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

size_t kist_utf8_next(const char *s, size_t len, uint32_t *cp)
{
	return kist__utf8_next((const unsigned char *)s, len, cp);
}

/* Length of the longest valid UTF-8 prefix (no overlongs, surrogates or > U+10FFFF). */
static size_t utf8_prefix(const unsigned char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;
	while (i < len && (n = kist__utf8_next(s + i, len - i, &cp)) != 0)
		i += n;
	return i;
}

int kist__utf8_valid(const unsigned char *s, size_t len)
{
	return utf8_prefix(s, len) == len;
}

int kist__text_has_control(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
			return 1;
		/* C1 controls U+0080..U+009F (a terminal may act on U+009B as CSI) */
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

/* Characters that reorder or hide text on a terminal (bidirectional controls,
 * zero-width and invisible format characters): shown as \u{XXXX}. */
static int hides_text(uint32_t cp)
{
	return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       cp == 0x2060 || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

void kist_escape(const char *str, size_t len, unsigned flags, kist_write_fn write, void *ctx)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0; /* start of the bytes not yet written, all shown as they are */
	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = kist__utf8_next(s + i, len - i, &cp);
		int keep = n > 0 && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f) &&
		           !hides_text(cp) && !(cp == '\\' && (flags & KIST_ESCAPE_BACKSLASH));
		if (n > 0 && (flags & KIST_ESCAPE_KEEP_NEWLINES) && (cp == '\n' || cp == '\t'))
			keep = 1;
		if (keep) {
			i += n;
			continue;
		}
		if (i > run)
			write(ctx, str + run, i - run);
		if (n > 0 && cp > 0x9f) { /* a format character: \u{XXXX} */
			char u[10] = {'\\',
			              'u',
			              '{',
			              hex[cp >> 12 & 15],
			              hex[cp >> 8 & 15],
			              hex[cp >> 4 & 15],
			              hex[cp & 15],
			              '}'};
			write(ctx, u, 8);
		} else { /* a control character or backslash (each byte), or one invalid byte */
			for (size_t k = 0; k < (n > 0 ? n : 1); k++) {
				char x[4] = {'\\', 'x', hex[s[i + k] >> 4], hex[s[i + k] & 15]};
				write(ctx, x, 4);
			}
		}
		i += n > 0 ? n : 1;
		run = i;
	}
	if (len > run)
		write(ctx, str + run, len - run);
}

/* A buffer kist_escape() writes into: pieces whole or not at all, then nothing more. */
typedef struct esc_buf {
	char *p;
	size_t cap, o;
	int full;
} esc_buf;

static void buf_write(void *ctx, const char *p, size_t n)
{
	esc_buf *b = ctx;
	if (b->full)
		return;
	if (b->o + n >= b->cap) {
		/* A run of characters shown as they are may be cut, at a character boundary;
		 * an escape is never cut. */
		size_t room = b->cap - 1 - b->o;
		if (p[0] != '\\' || n == 1)
			while (room > 0 && ((unsigned char)p[room] & 0xc0) == 0x80)
				room--;
		else
			room = 0;
		memcpy(b->p + b->o, p, room);
		b->o += room;
		b->full = 1;
		return;
	}
	memcpy(b->p + b->o, p, n);
	b->o += n;
}

size_t kist_escape_buf(char *out, size_t cap, const char *s, unsigned flags)
{
	esc_buf b = {out, cap, 0, 0};
	if (cap == 0)
		return 0;
	kist_escape(s, strlen(s), flags, buf_write, &b);
	out[b.o] = '\0';
	return b.o;
}

void kist__printable(char *out, size_t cap, const char *s)
{
	kist_escape_buf(out, cap, s, KIST_ESCAPE_BACKSLASH);
}
