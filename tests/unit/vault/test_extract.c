/*
 * Extraction safety against what is already in the target directory and
 * against links recorded in a vault: nothing is ever written outside the
 * target, no symbolic link is followed, refusals are reported.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vault/vault.h"
#include "kist.h"
#include "testutil.h"

static int warnings;
static char last_warning[512];

static void on_warn(void *ctx, const char *path, const char *msg)
{
	warnings++;
	snprintf(last_warning, sizeof last_warning, "%s: %s", path, msg);
}

typedef struct fx {
	char *dir;
	kist_identity *id;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->dir = tu_tmpdir();
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(kist_identity_generate(&f->id), KIST_OK);
	assert_int_equal(mkdir("case", 0755), 0);
	assert_int_equal(mkdir("case/docs", 0755), 0);
	tu_write("case/docs/a.txt", "alpha\n", 6);
	assert_int_equal(symlink("docs/a.txt", "case/inside"), 0);
	assert_int_equal(symlink("../../../etc/passwd", "case/escape"), 0);
	assert_int_equal(symlink("/etc/passwd", "case/absolute"), 0);
	/* A chain: d/l2 -> ../.. stays inside the target (it is the target), but
	 * l1 -> d/l2/.. looks inside lexically and resolves to the target's parent. */
	assert_int_equal(symlink("../..", "case/docs/l2"), 0);
	assert_int_equal(symlink("docs/l2/..", "case/l1"), 0);
	const char *paths[] = {"case"};
	tu_seal("v.kist", &f->id, 1, NULL, paths, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	kist_identity_free(f->id);
	free(f);
	return 0;
}

static void test_links_recorded_not_followed(void **state)
{
	fx *f = *state;
	kist_vault *v;
	char buf[64];
	assert_int_equal(kist_vault_open(&v, "v.kist", &f->id, 1), KIST_OK);
	const kist_entry *e = kist_vault_find(v, "case/escape");
	assert_non_null(e);
	assert_int_equal(e->type, KIST_ENTRY_SYMLINK);
	assert_string_equal(e->link_target, "../../../etc/passwd");
	assert_int_equal(mkdir("out", 0700), 0);
	kist_extract_opts o = {.dir = "out", .warn_fn = on_warn};
	warnings = 0;
	assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_OK);
	/* The contained link is made; the two that leave the target are refused and said. */
	ssize_t n = readlink("out/case/inside", buf, sizeof buf - 1);
	assert_int_equal(n, 10);
	assert_int_equal(warnings, 3);
	assert_non_null(strstr(last_warning, "outside the target"));
	struct stat st;
	assert_int_equal(lstat("out/case/docs/l2", &st), 0);
	assert_int_equal(lstat("out/case/l1", &st), -1);
	assert_int_equal(lstat("out/case/escape", &st), -1);
	assert_int_equal(lstat("out/case/absolute", &st), -1);
	kist_vault_close(v);
}

/* --wrap: kist__os_symlinkat fails as on a file system without links (FAT). */
static int links_refused;
int __real_kist__os_symlinkat(const char *target, int dirfd, const char *name);
int __wrap_kist__os_symlinkat(const char *target, int dirfd, const char *name);
int __wrap_kist__os_symlinkat(const char *target, int dirfd, const char *name)
{
	if (links_refused) {
		errno = EPERM;
		return -1;
	}
	return __real_kist__os_symlinkat(target, dirfd, name);
}

/*
 * Where no link can be made (FAT, Windows), the files are extracted and each
 * link is reported as not created, instead of the whole extraction failing.
 */
static void test_links_impossible_rest_extracted(void **state)
{
	fx *f = *state;
	kist_vault *v;
	assert_int_equal(kist_vault_open(&v, "v.kist", &f->id, 1), KIST_OK);
	assert_int_equal(mkdir("out", 0700), 0);
	kist_extract_opts o = {.dir = "out", .warn_fn = on_warn};
	warnings = 0;
	links_refused = 1;
	kist_err err = kist_vault_extract(v, &o, NULL, 0);
	links_refused = 0;
	if (err != KIST_OK)
		fail_msg("%s (%s)", kist_strerror(err), kist_errdetail());
	size_t len;
	unsigned char *b = tu_read("out/case/docs/a.txt", &len);
	assert_int_equal(len, 6);
	free(b);
	struct stat st;
	assert_int_equal(lstat("out/case/inside", &st), -1);
	assert_int_equal(lstat("out/case/docs/l2", &st), -1);
	/* 2 links not made, 3 refused as leaving the target; no temporary left. */
	assert_int_equal(warnings, 5);
	assert_int_equal(tu_count_tree("out"), 3);
	kist_vault_close(v);
}

static void test_planted_symlink_in_target(void **state)
{
	fx *f = *state;
	kist_vault *v;
	struct stat st;
	/* An attacker with access to the target plants case -> elsewhere. */
	assert_int_equal(mkdir("elsewhere", 0700), 0);
	assert_int_equal(mkdir("out", 0700), 0);
	char *abs = tu_join(f->dir, "elsewhere");
	assert_int_equal(symlink(abs, "out/case"), 0);
	assert_int_equal(kist_vault_open(&v, "v.kist", &f->id, 1), KIST_OK);
	kist_extract_opts o = {.dir = "out", .warn_fn = on_warn};
	kist_err err = kist_vault_extract(v, &o, NULL, 0);
	assert_true(err == KIST_E_UNSAFE || err == KIST_E_EXISTS);
	assert_int_equal(tu_count_tree("elsewhere"), 0);
	/* Also when only a deeper file is asked for. */
	const char *one[] = {"case/docs/a.txt"};
	err = kist_vault_extract(v, &o, one, 1);
	assert_int_equal(err, KIST_E_UNSAFE);
	assert_int_equal(tu_count_tree("elsewhere"), 0);
	assert_int_equal(lstat("out/case", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A planted link where a file goes is not written through, even with force. */
	assert_int_equal(unlink("out/case"), 0);
	assert_int_equal(mkdir("out/case", 0700), 0);
	assert_int_equal(mkdir("out/case/docs", 0700), 0);
	char *target = tu_join(abs, "victim");
	tu_write(target, "untouched", 9);
	assert_int_equal(symlink(target, "out/case/docs/a.txt"), 0);
	o.force = 1;
	assert_int_equal(kist_vault_extract(v, &o, one, 1), KIST_OK);
	size_t len;
	unsigned char *b = tu_read(target, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(b, "untouched", 9);
	free(b);
	assert_int_equal(lstat("out/case/docs/a.txt", &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* the link was replaced, not followed */
	kist_vault_close(v);
	free(target);
	free(abs);
}

static void test_failure_leaves_nothing(void **state)
{
	fx *f = *state;
	kist_vault *v;
	size_t len;
	/* Damage the one file's chunk: nothing at all may appear in the target. */
	unsigned char *b = tu_read("v.kist", &len);
	kist_vault_info info;
	assert_int_equal(kist_vault_probe("v.kist", &info), KIST_OK);
	b[info.header_size + 3] ^= 1;
	tu_write("bad.kist", b, len);
	free(b);
	assert_int_equal(kist_vault_open(&v, "bad.kist", &f->id, 1), KIST_OK);
	assert_int_equal(mkdir("out", 0700), 0);
	kist_extract_opts o = {.dir = "out", .warn_fn = on_warn};
	assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_E_CORRUPT);
	assert_int_equal(tu_count_tree("out"), 0);
	/* An existing file is refused before anything is written. */
	assert_int_equal(mkdir("out/case", 0700), 0);
	kist_vault_close(v);
	assert_int_equal(kist_vault_open(&v, "v.kist", &f->id, 1), KIST_OK);
	assert_int_equal(mkdir("out/case/docs", 0700), 0);
	tu_write("out/case/docs/a.txt", "mine", 4);
	assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_E_EXISTS);
	assert_int_equal(tu_count_tree("out"), 3);
	b = tu_read("out/case/docs/a.txt", &len);
	assert_int_equal(len, 4);
	free(b);
	kist_vault_close(v);
}

/*
 * Whole chunks of zeros are extracted as holes: the content is the same byte
 * for byte (with zeros at the start, in the middle and at the end, where
 * only the final length makes them), and the file takes less space than its
 * length.  Also with one thread, where everything runs inline.
 */
static void test_zero_chunks_become_holes(void **state)
{
	fx *f = *state;
	const size_t mib = 1u << 20;
	const size_t lens[] = {4 * mib + 100, 3 * mib, 2 * mib + 7};
	const char *names[] = {"z/mixed", "z/tail", "z/zeros"};
	unsigned char *want[3];
	(void)f;
	assert_int_equal(mkdir("z", 0755), 0);
	for (int i = 0; i < 3; i++) {
		want[i] = calloc(1, lens[i]);
		assert_non_null(want[i]);
	}
	/* mixed: zeros, random, zeros, a short random tail */
	tu_fill_random(want[0] + mib, mib, 7);
	tu_fill_random(want[0] + 4 * mib, 100, 8);
	/* tail: random, then two chunks of zeros to the end */
	tu_fill_random(want[1], mib, 9);
	/* zeros: nothing but zeros, and a last chunk shorter than the others */
	for (int i = 0; i < 3; i++)
		tu_write(names[i], want[i], lens[i]);
	const char *paths[] = {"z"};
	tu_seal("z.kist", &f->id, 1, NULL, paths, 1);
	for (unsigned threads = 1; threads <= 2; threads++) {
		kist_vault *v;
		char dir[16];
		snprintf(dir, sizeof dir, "out%u", threads);
		assert_int_equal(mkdir(dir, 0700), 0);
		assert_int_equal(kist_vault_open(&v, "z.kist", &f->id, 1), KIST_OK);
		assert_int_equal(kist_vault_set_threads(v, threads), KIST_OK);
		kist_extract_opts o = {.dir = dir, .warn_fn = on_warn};
		assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_OK);
		kist_vault_close(v);
		for (int i = 0; i < 3; i++) {
			char path[64];
			size_t len;
			struct stat st;
			snprintf(path, sizeof path, "%s/%s", dir, names[i]);
			unsigned char *got = tu_read(path, &len);
			assert_int_equal(len, lens[i]);
			assert_memory_equal(got, want[i], lens[i]);
			free(got);
			assert_int_equal(stat(path, &st), 0);
			/* At least two zero chunks in each file are left unallocated. */
			assert_true((uint64_t)st.st_blocks * 512 <= lens[i] - 2 * mib + 64 * 1024);
		}
	}
	for (int i = 0; i < 3; i++)
		free(want[i]);
}

/* Seals the symbolic links names[i] -> targets[i] (and the folders dirs) below "k" into out. */
static void seal_links(kist_identity *id, const char *out, const char *const *dirs, size_t ndirs,
                       const char *const *names, const char *const *targets, size_t n)
{
	char path[256];
	tu_rmtree("k");
	assert_int_equal(mkdir("k", 0755), 0);
	for (size_t i = 0; i < ndirs; i++) {
		snprintf(path, sizeof path, "k/%s", dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "k/%s", names[i]);
		assert_int_equal(symlink(targets[i], path), 0);
	}
	const char *paths[] = {"k"};
	tu_seal(out, &id, 1, NULL, paths, 1);
}

static kist_err extract_into(kist_identity *id, const char *vault, const char *dir)
{
	kist_vault *v;
	assert_int_equal(kist_vault_open(&v, vault, &id, 1), KIST_OK);
	kist_extract_opts o = {.dir = dir, .warn_fn = on_warn};
	warnings = 0;
	kist_err err = kist_vault_extract(v, &o, NULL, 0);
	kist_vault_close(v);
	return err;
}

static int is_link(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/*
 * Containment is decided against what is on disk: links already in the
 * target (whoever made them: an earlier extraction, anyone) are followed as
 * the kernel would follow them, and a vault link that would resolve outside
 * only through them is refused and reported.
 */
static void test_links_through_links_on_disk(void **state)
{
	fx *f = *state;
	/* (1) out/k/d -> ../.. is on disk (it leads outside itself); the vault's
	 * l -> d/x looks inside, and leads outside through it. */
	assert_int_equal(mkdir("out1", 0700), 0);
	assert_int_equal(mkdir("out1/k", 0700), 0);
	assert_int_equal(symlink("../..", "out1/k/d"), 0);
	{
		const char *names[] = {"l", "ok"}, *targets[] = {"d/x", "sub/f"}, *dirs[] = {"sub"};
		seal_links(f->id, "a.kist", dirs, 1, names, targets, 2);
	}
	assert_int_equal(extract_into(f->id, "a.kist", "out1"), KIST_OK);
	assert_false(is_link("out1/k/l"));
	assert_true(is_link("out1/k/ok"));
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_warning, "outside the target"));

	/* (2) out/k/p/q -> .. is inside (it names out/k); the vault's p/l -> q/..
	 * is lexically p, but through q it is out/k/.. = out, and q/../.. would
	 * be outside: both refused only by following q. */
	assert_int_equal(mkdir("out2", 0700), 0);
	assert_int_equal(mkdir("out2/k", 0700), 0);
	assert_int_equal(mkdir("out2/k/p", 0700), 0);
	assert_int_equal(symlink("..", "out2/k/p/q"), 0);
	{
		const char *names[] = {"p/l", "p/in"}, *targets[] = {"q/../..", "q/p"},
		           *dirs[] = {"p"};
		seal_links(f->id, "b.kist", dirs, 1, names, targets, 2);
	}
	assert_int_equal(extract_into(f->id, "b.kist", "out2"), KIST_OK);
	assert_false(is_link("out2/k/p/l"));
	assert_true(is_link("out2/k/p/in")); /* q/p is out/k/p: inside */
	assert_int_equal(warnings, 1);

	/* (3) Two extractions into one target: the first vault's d/l2 -> .. is
	 * inside; the second vault's l1 -> d/l2/.. knows nothing of it, and
	 * leads through it to the target's parent. */
	assert_int_equal(mkdir("out3", 0700), 0);
	{
		const char *names[] = {"d/l2"}, *targets[] = {"../.."}, *dirs[] = {"d"};
		seal_links(f->id, "c1.kist", dirs, 1, names, targets, 1);
	}
	assert_int_equal(extract_into(f->id, "c1.kist", "out3"), KIST_OK);
	assert_true(is_link("out3/k/d/l2"));
	{
		const char *names[] = {"l1"}, *targets[] = {"d/l2/../.."};
		seal_links(f->id, "c2.kist", NULL, 0, names, targets, 1);
	}
	assert_int_equal(extract_into(f->id, "c2.kist", "out3"), KIST_OK);
	assert_false(is_link("out3/k/l1"));
	assert_int_equal(warnings, 1);

	/* (4) The other order: a link that goes on through a name that does not
	 * exist yet, then "..", is refused (a later link there would decide). */
	assert_int_equal(mkdir("out4", 0700), 0);
	{
		const char *names[] = {"l1", "down"}, *targets[] = {"d/l2/..", "d/l2/x"};
		seal_links(f->id, "d.kist", NULL, 0, names, targets, 2);
	}
	assert_int_equal(extract_into(f->id, "d.kist", "out4"), KIST_OK);
	assert_false(is_link("out4/k/l1"));
	assert_true(is_link("out4/k/down"));

	/* (5) A loop of links on disk: refused after 40 hops, no hang. */
	assert_int_equal(mkdir("out5", 0700), 0);
	assert_int_equal(mkdir("out5/k", 0700), 0);
	assert_int_equal(symlink("y", "out5/k/x"), 0);
	assert_int_equal(symlink("x", "out5/k/y"), 0);
	{
		const char *names[] = {"l"}, *targets[] = {"x/.."};
		seal_links(f->id, "e.kist", NULL, 0, names, targets, 1);
	}
	assert_int_equal(extract_into(f->id, "e.kist", "out5"), KIST_OK);
	assert_false(is_link("out5/k/l"));

	/* (6) A folder of the vault that is a link on disk: nothing goes through it. */
	assert_int_equal(mkdir("out6", 0700), 0);
	assert_int_equal(mkdir("out6/k", 0700), 0);
	assert_int_equal(mkdir("out6/k/sub", 0700), 0);
	assert_int_equal(symlink("sub", "out6/k/a"), 0);
	{
		const char *names[] = {"a/x"}, *targets[] = {"../.."}, *dirs[] = {"a"};
		seal_links(f->id, "g.kist", dirs, 1, names, targets, 1);
	}
	kist_err err = extract_into(f->id, "g.kist", "out6");
	assert_true(err == KIST_E_EXISTS || err == KIST_E_UNSAFE);
	assert_int_equal(tu_count_tree("out6/k/sub"), 0);
}

/*
 * A co-recipient holds the file key: it re-encrypts chunk `which` of entry
 * path in src (signed by someone else) with other content of the same length,
 * so every chunk still authenticates and only the entry's SHA-256 (bound by
 * the signature) tells.  Writes the result to dst.
 */
static void reencrypt_chunk(const char *src, const char *dst, kist_identity *reader,
                            const char *path, uint32_t which)
{
	kist_vault *v;
	kist__chunker *ch;
	size_t len;
	const unsigned char *pt, *ct;
	size_t ctlen;
	unsigned char *b = tu_read(src, &len);
	assert_int_equal(kist_vault_open(&v, src, &reader, 1), KIST_OK);
	const kist__entry *e = kist__vault_find(v, path);
	assert_non_null(e);
	assert_true(which < e->nchunks);
	uint64_t off = v->header_len + e->offset;
	for (uint32_t c = 0; c < which; c++)
		off += e->chunk_len[c];
	size_t want = which + 1 < e->nchunks
	                  ? v->meta.chunk_size
	                  : (size_t)(e->pub.size - (uint64_t)which * v->meta.chunk_size);
	assert_int_equal(kist__chunker_new(&ch, v->meta.chunk_size, 3), KIST_OK);
	assert_int_equal(kist__chunk_open(ch, v->keys->content, e->id, which,
	                                  which + 1 == e->nchunks, b + off, e->chunk_len[which],
	                                  want, &pt),
	                 KIST_OK);
	unsigned char *other = malloc(want);
	tu_fill_random(other, want, 4242);
	assert_int_equal(kist__chunk_seal(ch, v->keys->content, e->id, which,
	                                  which + 1 == e->nchunks, 0, other, want, &ct, &ctlen),
	                 KIST_OK);
	assert_int_equal(ctlen, e->chunk_len[which]);
	memcpy(b + off, ct, ctlen);
	tu_write(dst, b, len);
	kist__chunker_free(ch);
	kist_vault_close(v);
	free(other);
	free(b);
}

static size_t cat_to_file(kist_identity *id, const char *vault, const char *path, kist_err *err)
{
	kist_vault *v;
	struct stat st;
	assert_int_equal(kist_vault_open(&v, vault, &id, 1), KIST_OK);
	const kist_entry *e = kist_vault_find(v, path);
	assert_non_null(e);
	int fd = open("cat.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	*err = kist_vault_cat(v, e, fd);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	kist_vault_close(v);
	return (size_t)st.st_size;
}

/*
 * kist cat releases no byte of an entry before the whole entry matched the
 * SHA-256 that the sealer signed: a co-recipient's re-encrypted chunk (every
 * chunk authenticates) yields no output at all, in the small entry held in
 * memory and in the large one read twice, wherever the changed chunk is.
 */
/*
 * Two entries with one path: the index's UNIQUE index and integrity_check
 * refuse such an image first, so this rule of kist__entries_check (defence
 * in depth, and the sealer's own check) is tested here directly.
 */
static void test_duplicate_paths_refused(void **state)
{
	(void)state;
	kist__entry e[2];
	memset(e, 0, sizeof e);
	char a[] = "d/same.txt", b[] = "d/same.txt";
	e[0].path = a;
	e[1].path = b;
	e[0].pub.type = e[1].pub.type = KIST_ENTRY_FILE;
	e[0].id = 1;
	e[1].id = 2;
	assert_int_equal(kist__entries_check(e, 2, 0), KIST_E_UNSAFE);
	assert_non_null(strstr(kist_errdetail(), "duplicate path"));
	b[0] = 'e'; /* different paths: accepted */
	assert_int_equal(kist__entries_check(e, 2, 0), KIST_OK);
}

static void test_cat_releases_nothing_unchecked(void **state)
{
	fx *f = *state;
	kist_identity *bob;
	kist_err err;
	const size_t mib = 1u << 20, big = 66 * mib + 5;
	assert_int_equal(kist_identity_generate(&bob), KIST_OK);
	assert_int_equal(mkdir("c", 0755), 0);
	unsigned char *data = malloc(3 * mib);
	tu_fill_random(data, 3 * mib, 1);
	tu_write("c/small", data, 3 * mib);
	/* Large: zeros (quick to seal) with random first and last chunks. */
	unsigned char *z = calloc(1, big);
	tu_fill_random(z, mib, 2);
	tu_fill_random(z + 66 * mib, 5, 3);
	tu_write("c/large", z, big);
	kist_identity *both[] = {f->id, bob};
	const char *paths[] = {"c"};
	tu_seal("s.kist", both, 2, f->id, paths, 1);

	/* The untouched vault: cat gives the exact content. */
	assert_int_equal(cat_to_file(f->id, "s.kist", "c/small", &err), 3 * mib);
	assert_int_equal(err, KIST_OK);
	size_t len;
	unsigned char *got = tu_read("cat.out", &len);
	assert_memory_equal(got, data, 3 * mib);
	free(got);
	assert_int_equal(cat_to_file(f->id, "s.kist", "c/large", &err), big);
	assert_int_equal(err, KIST_OK);
	got = tu_read("cat.out", &len);
	assert_memory_equal(got, z, big);
	free(got);

	/* bob rewrites a chunk: the first, a middle one, the last. */
	const struct {
		const char *path;
		uint32_t chunk;
	} cases[] = {{"c/small", 0}, {"c/small", 1}, {"c/large", 0}, {"c/large", 66}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		reencrypt_chunk("s.kist", "t.kist", bob, cases[i].path, cases[i].chunk);
		size_t n = cat_to_file(f->id, "t.kist", cases[i].path, &err);
		if (err != KIST_E_CORRUPT || n != 0)
			fail_msg("%s chunk %u: cat gave %s and wrote %zu bytes", cases[i].path,
			         (unsigned)cases[i].chunk, kist_strerror(err), n);
	}
	free(data);
	free(z);
	kist_identity_free(bob);
}

/*
 * The name key of the case-insensitive target check: case twins and NFC/NFD
 * twins meet in every script; names that differ by a letter or an accent
 * stay apart (the old Latin-only fold missed Cyrillic and Hangul twins and
 * took "cafe" and "caf\u00e9" as one).
 */
static int failed_entries;
static char failed_path[256];

static void on_fail(void *ctx, const char *path, const char *msg)
{
	(void)ctx;
	(void)msg;
	failed_entries++;
	snprintf(failed_path, sizeof failed_path, "%s", path);
}

/*
 * Small files are opened many to a job (a batch slot): each must still be
 * checked against its own SHA-256.  The index's digest of one file in the
 * middle of a batch, changed in memory (its chunk still authenticates): verify
 * names that file alone, extraction fails and writes nothing.
 */
static void test_batch_checks_each_digest(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), name[64];
	kist_identity *id;
	kist_vault *v;
	kist_verify_report rep;
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(mkdir("notes", 0755), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "notes/n%02d.txt", i);
		tu_write(name, name, strlen(name));
	}
	const char *paths[] = {"notes"};
	tu_seal("v.kist", &id, 1, NULL, paths, 1);

	assert_int_equal(kist_vault_open(&v, "v.kist", &id, 1), KIST_OK);
	const kist_entry *pe = kist_vault_find(v, "notes/n10.txt");
	assert_non_null(pe);
	((kist_entry *)pe)->sha256[0] ^= 1; /* v->entries: the vault's own copy */
	failed_entries = 0;
	assert_int_equal(kist_vault_verify(v, &rep, on_fail, NULL), KIST_E_CORRUPT);
	assert_int_equal(failed_entries, 1);
	assert_int_equal(rep.entries_failed, 1);
	assert_string_equal(failed_path, "notes/n10.txt");
	assert_int_equal(mkdir("out", 0700), 0);
	kist_extract_opts o = {.dir = "out"};
	assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_E_CORRUPT);
	assert_int_equal(tu_count_tree("out"), 0);
	kist_vault_close(v);
	kist_identity_free(id);
	tu_rmtree(dir);
	free(dir);
}

static void test_name_key(void **state)
{
	static const struct {
		const char *a, *b;
		int same;
	} cases[] = {
	    {"Report.txt", "report.txt", 1},
	    {"caf\xc3\xa9", "cafe\xcc\x81", 1},                          /* NFC, NFD */
	    {"\xd0\xb9.txt", "\xd0\xb8\xcc\x86.txt", 1},                 /* Cyrillic */
	    {"\xed\x95\x9c", "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", 1}, /* Hangul */
	    {"\xce\x86", "\xce\xac", 1},                                 /* Greek case + tonos */
	    {"STRASSE",
	     "stra\xc3\x9f"
	     "e",
	     1}, /* full case folding */
	    {"cafe", "caf\xc3\xa9", 0},
	    {"a.txt", "b.txt", 0},
	    {"\xd0\xb9", "\xd0\xb8", 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *ka = NULL, *kb = NULL;
		assert_int_equal(kist__name_key(cases[i].a, &ka), KIST_OK);
		assert_int_equal(kist__name_key(cases[i].b, &kb), KIST_OK);
		if ((strcmp(ka, kb) == 0) != cases[i].same)
			fail_msg("case %zu: keys %s but should %s", i,
			         strcmp(ka, kb) == 0 ? "meet" : "differ",
			         cases[i].same ? "meet" : "differ");
		free(ka);
		free(kb);
	}
}

/*
 * kist__winname_needed() is 1 only in a Windows build; this test is linked
 * with --wrap for it, so that the check extraction makes there runs here.
 */
static int windows_names;
int __real_kist__winname_needed(void);
int __wrap_kist__winname_needed(void);
int __wrap_kist__winname_needed(void)
{
	return windows_names || __real_kist__winname_needed();
}

/*
 * Where Windows rules hold, a vault with names Windows cannot hold (a
 * device name, a stream name, a trailing dot, case twins, folder twins) is
 * refused before anything is written; elsewhere the same vault extracts.
 */
static void test_windows_names_refused_first(void **state)
{
	static const struct {
		const char *names[2];
		const char *want;
	} cases[] = {
	    {{"ok.txt", "CON"}, "reserved device name"},
	    {{"ok.txt", "aux.txt"}, "reserved device name"},
	    {{"ok.txt", "a:b"}, "CON"}, /* replaced below: any refusal */
	    {{"ok.txt", "name."}, "name."},
	    {{"Twin", "twin"}, "one name on Windows"},
	    {{"D/x", "d/y"}, "one name on Windows"},
	};
	fx *f = *state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char src[32], vname[32];
		snprintf(src, sizeof src, "w%zu", c);
		snprintf(vname, sizeof vname, "w%zu.kist", c);
		assert_int_equal(mkdir(src, 0755), 0);
		for (int k = 0; k < 2; k++) {
			char p[96];
			const char *n = cases[c].names[k], *slash = strchr(n, '/');
			if (slash != NULL) {
				snprintf(p, sizeof p, "%s/%.*s", src, (int)(slash - n), n);
				mkdir(p, 0755);
			}
			snprintf(p, sizeof p, "%s/%s", src, n);
			tu_write(p, "x", 1);
		}
		const char *paths[] = {src};
		tu_seal(vname, &f->id, 1, NULL, paths, 1);
		kist_vault *v;
		assert_int_equal(kist_vault_open(&v, vname, &f->id, 1), KIST_OK);
		kist_extract_opts o = {.dir = "wout", .warn_fn = on_warn};
		assert_int_equal(mkdir("wout", 0700), 0);
		windows_names = 1;
		kist_err err = kist_vault_extract(v, &o, NULL, 0);
		windows_names = 0;
		if (err != KIST_E_UNSAFE)
			fail_msg("%s, %s: %s (%s), not refused", cases[c].names[0],
			         cases[c].names[1], kist_strerror(err), kist_errdetail());
		if (c != 2 && strstr(kist_errdetail(), cases[c].want) == NULL)
			fail_msg("detail \"%s\" lacks \"%s\"", kist_errdetail(), cases[c].want);
		assert_int_equal(tu_count_tree("wout"), 0); /* nothing was written */
		/* Not on Windows: legal names, extracted as they are. */
		assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_OK);
		assert_int_equal(tu_count_tree("wout"), c == 5 ? 5 : 3);
		tu_rmtree("wout");
		kist_vault_close(v);
		tu_rmtree(src);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_zero_chunks_become_holes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_links_recorded_not_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_links_impossible_rest_extracted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_planted_symlink_in_target, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_windows_names_refused_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cat_releases_nothing_unchecked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_links_through_links_on_disk, setup, teardown),
	    cmocka_unit_test(test_duplicate_paths_refused),
	    cmocka_unit_test(test_name_key),
	    cmocka_unit_test(test_batch_checks_each_digest),
	};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
