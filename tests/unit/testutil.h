/* Helpers shared by the unit tests. */
#ifndef KIST_TESTUTIL_H
#define KIST_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "kist.h"

/* Creates a fresh temporary directory; returns a malloc'd path. */
char *tu_tmpdir(void);
/* Removes a directory tree (no symlink following). */
void tu_rmtree(const char *path);
/* Joins a and b with '/' into a malloc'd string. */
char *tu_join(const char *a, const char *b);
/* Writes len bytes to path (creating parents is the caller's job). */
void tu_write(const char *path, const void *data, size_t len);
/* Reads a whole file; returns malloc'd bytes and sets *len. */
unsigned char *tu_read(const char *path, size_t *len);
/* Deterministic pseudo-random bytes (xorshift), for incompressible content. */
void tu_fill_random(unsigned char *buf, size_t len, uint64_t seed);
/* Number of entries in a directory, not counting . and .. (recursively). */
size_t tu_count_tree(const char *path);
/* Seals paths for recipients into out; asserts success. */
void tu_seal(const char *out, kist_identity *const *recips, size_t nrecips,
             const kist_identity *signer, const char *const *paths, size_t npaths);

/* Asserts (cmocka) that call returns err with a kist_errdetail() that contains want. */
#define tu_assert_fails(call, err, want)                                                           \
	do {                                                                                       \
		assert_int_equal((call), (err));                                                   \
		if (strstr(kist_errdetail(), (want)) == NULL)                                      \
			fail_msg("detail \"%s\" lacks \"%s\"", kist_errdetail(), (want));          \
	} while (0)

/* 1 in a build with AddressSanitizer (gcc or clang), else 0. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#endif
