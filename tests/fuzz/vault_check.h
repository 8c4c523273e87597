/*
 * What the vault harnesses do with a vault that opened: list it, look every
 * entry up, read every file to /dev/null, verify, and extract everything into
 * a fresh temporary directory, checking that nothing appears outside the
 * target and that a failed extraction leaves nothing behind.
 */
#ifndef KIST_VAULT_CHECK_H
#define KIST_VAULT_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "base/base.h"

static void rmtree_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		/* extraction may have restored a mode of 0 */
		if (fchmodat(dfd, name, 0700, 0) != 0 && errno != EPERM)
			return;
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			DIR *d = fdopendir(sub);
			struct dirent *de;
			while (d != NULL && (de = readdir(d)) != NULL)
				if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
					rmtree_at(dirfd(d), de->d_name);
			if (d != NULL)
				closedir(d);
			else
				close(sub);
		}
		unlinkat(dfd, name, AT_REMOVEDIR);
	} else {
		unlinkat(dfd, name, 0);
	}
}

static size_t count_tree(const char *path)
{
	size_t n = 0;
	DIR *d = opendir(path);
	struct dirent *de;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (de->d_type == DT_DIR) {
			char sub[4200];
			snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			n += count_tree(sub);
		}
	}
	closedir(d);
	return n;
}

/* Every symbolic link extraction created resolves inside the target, if it resolves. */
static void check_links(kist_vault *v, const char *target, const char *tmpdir)
{
	char root[PATH_MAX], p[PATH_MAX + 8], r[PATH_MAX];
	struct stat st;
	if (realpath(target, root) == NULL)
		abort();
	size_t rl = strlen(root);
	for (size_t i = 0; i < kist_vault_entry_count(v); i++) {
		const kist_entry *e = kist_vault_entry_at(v, i);
		if (e->type != KIST_ENTRY_SYMLINK)
			continue;
		snprintf(p, sizeof p, "%s/%s", target, e->path);
		if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode) || realpath(p, r) == NULL)
			continue;
		if (!(strncmp(r, root, rl) == 0 && (r[rl] == '\0' || r[rl] == '/'))) {
			fprintf(stderr, "extracted link %s -> %s resolves to %s, outside %s\n",
			        e->path, e->link_target, r, root);
			rmtree_at(AT_FDCWD, tmpdir);
			abort();
		}
	}
}

/* threads: for kist_vault_set_threads() (1: inline; more: the parallel pipeline). */
static void vault_check(kist_vault *v, int devnull, unsigned threads)
{
	kist_vault_meta meta;
	kist_verify_report rep;
	size_t n = kist_vault_entry_count(v);

	FUZZ_ASSERT(kist_vault_set_threads(v, threads) == KIST_OK);
	kist_vault_get_meta(v, &meta);
	FUZZ_ASSERT(meta.entry_count == n);
	for (size_t i = 0; i < n; i++) {
		const kist_entry *e = kist_vault_entry_at(v, i);
		FUZZ_ASSERT(e != NULL && kist_vault_find(v, e->path) == e);
		FUZZ_ASSERT(kist__path_check(e->path, strlen(e->path)) == KIST_OK);
		if (e->type == KIST_ENTRY_FILE) {
			kist_err err = kist_vault_cat(v, e, devnull);
			FUZZ_ASSERT(err == KIST_OK || err == KIST_E_CORRUPT);
		} else {
			FUZZ_ASSERT(kist_vault_cat(v, e, devnull) == KIST_E_ARG);
		}
	}
	FUZZ_ASSERT(kist_vault_entry_at(v, n) == NULL);
	kist_err verr = kist_vault_verify(v, &rep, NULL, NULL);
	FUZZ_ASSERT(verr == KIST_OK || verr == KIST_E_CORRUPT);

	/* tmpfs if there is one: extraction calls syncfs(). */
	char tmpl[64];
	snprintf(tmpl, sizeof tmpl, "%s/kist-fuzz-extract-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		abort();
	char target[sizeof tmpl + 4];
	snprintf(target, sizeof target, "%s/t", tmpl);
	if (mkdir(target, 0700) != 0)
		abort();
	kist_extract_opts o = {.dir = target, .force = 0, .warn_fn = NULL, .warn_ctx = NULL};
	kist_err xerr = kist_vault_extract(v, &o, NULL, 0);
	/* Nothing may appear beside the target, and a failed extraction leaves nothing. */
	FUZZ_ASSERT(count_tree(tmpl) == 1 + count_tree(target));
	if (xerr != KIST_OK)
		FUZZ_ASSERT(count_tree(target) == 0);
	/* Damage in an entry stops extraction; damaged padding alone does not. */
	if (verr == KIST_E_CORRUPT && (rep.entries_failed > 0 || !rep.padding_damaged))
		FUZZ_ASSERT(xerr != KIST_OK);
#ifndef KIST_FUZZ_NO_LINK_CHECK /* to keep fuzzing past a known link bug */
	if (xerr == KIST_OK)
		check_links(v, target, tmpl);
#endif
	rmtree_at(AT_FDCWD, tmpl);
}

#endif
