/*
 * The libraries' heap, wiped when freed.
 *
 * SQLite holds the index (paths, people: names, relatives, places) in its
 * pages and statements; jansson the registers being imported; ICU the names
 * it folds and transliterates; zstd the window and literals of what it
 * compresses.  Each of them frees through an allocator of its caller's when
 * asked to: these functions wipe the whole block before freeing it.  kist_init() installs them in
 * SQLite, jansson and ICU; format/chunk.c gives them to zstd's contexts.
 */
#include "base/base.h"
#include "os/os.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <unicode/uclean.h>

/*
 * The blocks are malloc()'s own, so one that a caller frees with free()
 * (the CLI frees json_dumps' strings so) is freed, only not wiped; the wipe
 * covers all of the block malloc reports usable, whatever was asked for.
 */
void *kist__wipe_malloc(size_t size)
{
	return malloc(size ? size : 1);
}

size_t kist__wipe_size(const void *block)
{
	return block == NULL ? 0 : kist__os_heap_size((void *)(uintptr_t)block);
}

void kist__wipe_free(void *block)
{
	if (block == NULL)
		return;
	sodium_memzero(block, kist__wipe_size(block));
	free(block);
}

/* Never realloc() in place: the old block is copied, then wiped. */
void *kist__wipe_realloc(void *block, size_t size)
{
	if (block == NULL)
		return kist__wipe_malloc(size);
	size_t old = kist__wipe_size(block);
	if (size <= old && size >= old / 2)
		return block; /* shrinking a little: keep it */
	void *n = kist__wipe_malloc(size);
	if (n == NULL)
		return NULL;
	memcpy(n, block, old < size ? old : size);
	kist__wipe_free(block);
	return n;
}

/* SQLite's allocator (SQLITE_CONFIG_MALLOC). */
static void *sq_malloc(int n)
{
	return n <= 0 ? NULL : kist__wipe_malloc((size_t)n);
}

static void sq_free(void *p)
{
	kist__wipe_free(p);
}

static void *sq_realloc(void *p, int n)
{
	return n <= 0 ? NULL : kist__wipe_realloc(p, (size_t)n);
}

static int sq_size(void *p)
{
	size_t n = p == NULL ? 0 : kist__wipe_size(p);
	return n > INT_MAX ? INT_MAX : (int)n;
}

static int sq_roundup(int n)
{
	return n > INT32_MAX - 7 ? n : (n + 7) & ~7;
}

static int sq_init(void *app)
{
	(void)app;
	return SQLITE_OK;
}

static void sq_shutdown(void *app)
{
	(void)app;
}

/* ICU's (u_setMemoryFunctions). */
static void *icu_alloc(const void *ctx, size_t size)
{
	(void)ctx;
	return kist__wipe_malloc(size);
}

static void *icu_realloc(const void *ctx, void *mem, size_t size)
{
	(void)ctx;
	return kist__wipe_realloc(mem, size);
}

static void icu_free(const void *ctx, void *mem)
{
	(void)ctx;
	kist__wipe_free(mem);
}

static const char *install_late; /* set once, by install() */

static void install(void)
{
	static const sqlite3_mem_methods sq = {sq_malloc,  sq_free, sq_realloc,  sq_size,
	                                       sq_roundup, sq_init, sq_shutdown, NULL};
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &sq) != SQLITE_OK) {
		install_late = "SQLite";
		return;
	}
	UErrorCode st = U_ZERO_ERROR;
	u_setMemoryFunctions(NULL, icu_alloc, icu_realloc, icu_free, &st);
	if (U_FAILURE(st)) {
		install_late = "ICU";
		return;
	}
	json_set_alloc_funcs(kist__wipe_malloc, kist__wipe_free);
}

/* Once per process, whichever thread calls first (kist_init() is called by
 * many entry points). */
const char *kist__wipe_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install);
	return install_late;
}
