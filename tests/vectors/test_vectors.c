/*
 * Checks every committed test vector against its .expect file.
 *
 *   test_vectors VECTORS_DIR
 *
 * valid/NAME.kist: for each listed identity, probe (slot count), open, check
 * the signature state and every entry (type, size, SHA-256, link target),
 * verify, and extract into a fresh directory whose contents are compared
 * with the expectations (refused symlinks must be absent and reported).
 *
 * malformed/NAME.kist: open must fail with the named kind of error, or, for
 * "corrupt-on-verify", open must succeed while kist_vault_verify() and
 * kist_vault_extract() fail with KIST_E_CORRUPT, the latter leaving the
 * target directory empty.
 *
 * A trustee-gated vault names its request key and releases ("request-key:",
 * "releases:", files beside it): a valid one must fail to open without them
 * (and with one release fewer) and open with them; a malformed one must
 * fail to open with them.  "custodian:" and "request:" make a malformed
 * vector the custodian's check of that request (kist_request_check()).
 *
 * Every malformed vector names its reason ("reason: TEXT"): the error detail
 * (kist_errdetail()) of the failing call must contain TEXT, so that a vector
 * meant for one check is not satisfied by another check that fails first
 * with the same kind of error.
 *
 * An expect file may carry "todo: REASON" for a known bug: the vector is run
 * and reported (TAP "# TODO") but its failure does not fail the run.
 *
 * Output is TAP; the exit status is non-zero if any vector fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kist.h"

#define MAX_ENTRIES 32

typedef struct xentry {
	char type[16];
	char path[512];
	unsigned long long size;
	char sha[65];
	char link[512];
	int refused;
} xentry;

typedef struct expect {
	char kind[32];
	char ids[4][32];
	int nids;
	int is_signed;
	char signer[32];
	int slots;
	int version;     /* format version (1 when not given) */
	unsigned grants; /* grant records the vault must show */
	int padded;      /* 1 padded, 0 not, -1 not said */
	xentry ents[MAX_ENTRIES];
	int nents;
	char comment[512];
	char todo[512];   /* a known bug: reported, not counted as a failure */
	char reason[256]; /* malformed: text the error detail must contain */
	int custodians;   /* custodian slots kist_vault_probe() must report (-1: not said) */
	char request[256], reqkey[256], custodian[32]; /* trustee-gated: files beside the vault */
	char rels[4][256];
	int nrels;
} expect;

static const char *vecdir;
static int ntests, nfailed;
static char why[2048], detail[1024];

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *kind_of(kist_err e)
{
	switch (e) {
	case KIST_OK:
		return "ok";
	case KIST_E_FORMAT:
		return "format";
	case KIST_E_CORRUPT:
		return "corrupt";
	case KIST_E_NOACCESS:
		return "noaccess";
	case KIST_E_SIGNATURE:
		return "signature";
	case KIST_E_UNSAFE:
		return "unsafe";
	case KIST_E_LIMIT:
		return "limit";
	case KIST_E_NOTFOUND:
		return "notfound";
	case KIST_E_ARG:
		return "arg";
	default:
		return kist_strerror(e);
	}
}

/* ------------------------------------------------------------ parsing */

static int parse_expect(const char *path, expect *x)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	memset(x, 0, sizeof *x);
	x->slots = -1;
	x->version = 1;
	x->padded = -1;
	x->custodians = -1;
	if (f == NULL)
		return fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		char *v = strstr(line, ": ");
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (v == NULL) {
			fclose(f);
			return fail("%s: bad line: %s", path, line);
		}
		*v = '\0';
		v += 2;
		if (strcmp(line, "expect") == 0) {
			snprintf(x->kind, sizeof x->kind, "%s", v);
		} else if (strcmp(line, "identity") == 0) {
			for (char *s = strtok(v, " "); s != NULL && x->nids < 4;
			     s = strtok(NULL, " "))
				snprintf(x->ids[x->nids++], sizeof x->ids[0], "%s", s);
		} else if (strcmp(line, "signed") == 0) {
			x->is_signed = strcmp(v, "yes") == 0;
		} else if (strcmp(line, "signer") == 0) {
			snprintf(x->signer, sizeof x->signer, "%s", v);
		} else if (strcmp(line, "slots") == 0) {
			x->slots = (int)strtol(v, NULL, 10);
		} else if (strcmp(line, "version") == 0) {
			x->version = (int)strtol(v, NULL, 10);
		} else if (strcmp(line, "grants") == 0) {
			x->grants = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(line, "padded") == 0) {
			x->padded = strcmp(v, "yes") == 0;
		} else if (strcmp(line, "entry") == 0) {
			xentry *e = &x->ents[x->nents];
			if (x->nents == MAX_ENTRIES ||
			    sscanf(v, "%15s %511s %llu %64s %511s", e->type, e->path, &e->size,
			           e->sha, e->link) < 4) {
				fclose(f);
				return fail("%s: bad entry line: %s", path, v);
			}
			x->nents++;
		} else if (strcmp(line, "refused") == 0) {
			int found = 0;
			for (int i = 0; i < x->nents; i++)
				if (strcmp(x->ents[i].path, v) == 0)
					x->ents[i].refused = found = 1;
			if (!found) {
				fclose(f);
				return fail("%s: refused entry %s is not listed", path, v);
			}
		} else if (strcmp(line, "reason") == 0) {
			if (x->reason[0] != '\0') {
				fclose(f);
				return fail("%s: two reason lines", path);
			}
			snprintf(x->reason, sizeof x->reason, "%s", v);
		} else if (strcmp(line, "todo") == 0) {
			snprintf(x->todo, sizeof x->todo, "%s", v);
		} else if (strcmp(line, "custodians") == 0) {
			x->custodians = (int)strtol(v, NULL, 10);
		} else if (strcmp(line, "request") == 0) {
			snprintf(x->request, sizeof x->request, "%s", v);
		} else if (strcmp(line, "request-key") == 0) {
			snprintf(x->reqkey, sizeof x->reqkey, "%s", v);
		} else if (strcmp(line, "custodian") == 0) {
			snprintf(x->custodian, sizeof x->custodian, "%s", v);
		} else if (strcmp(line, "releases") == 0) {
			for (char *s = strtok(v, " "); s != NULL; s = strtok(NULL, " ")) {
				if (x->nrels == 4) {
					fclose(f);
					return fail("%s: more than 4 releases", path);
				}
				snprintf(x->rels[x->nrels++], sizeof x->rels[0], "%s", s);
			}
		} else if (strcmp(line, "comment") == 0) {
			snprintf(x->comment, sizeof x->comment, "%s", v);
		} else {
			fclose(f);
			return fail("%s: unknown key %s", path, line);
		}
	}
	fclose(f);
	if (x->kind[0] == '\0' || x->nids == 0)
		return fail("%s: expect and identity are required", path);
	return 0;
}

/* ------------------------------------------------------------ helpers */

/*
 * Loads keys/NAME.key.  Git does not keep mode 0600, and the loader refuses
 * other modes, so the file is copied to a private temporary file first.
 */
static kist_identity *load_identity(const char *name)
{
	char src[4096], tmp[] = "/tmp/kist-vectors-key-XXXXXX", buf[16384];
	kist_identity *id = NULL;
	snprintf(src, sizeof src, "%s/keys/%s.key", vecdir, name);
	int in = open(src, O_RDONLY | O_CLOEXEC), out = mkstemp(tmp);
	if (in < 0 || out < 0) {
		fail("%s: %s", src, strerror(errno));
		goto out;
	}
	ssize_t n = read(in, buf, sizeof buf);
	if (n <= 0 || write(out, buf, (size_t)n) != n) {
		fail("%s: cannot copy", src);
		goto out;
	}
	kist_err err = kist_identity_load(&id, tmp, NULL, NULL);
	if (err != KIST_OK)
		fail("loading %s: %s (%s)", src, kist_strerror(err), kist_errdetail());
out:
	if (in >= 0)
		close(in);
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	return id;
}

static void rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0700);
		DIR *d = opendir(path);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char c[4096];
			snprintf(c, sizeof c, "%s/%s", path, de->d_name);
			rmtree(c);
		}
		if (d != NULL)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
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
		char c[4096];
		struct stat st;
		snprintf(c, sizeof c, "%s/%s", path, de->d_name);
		if (lstat(c, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_tree(c);
	}
	closedir(d);
	return n;
}

static int file_sha256(const char *path, char hex[65], unsigned long long *size)
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536], h[32];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -1;
	*size = 0;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		*size += (unsigned long long)n;
	}
	close(fd);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, 32);
	return n < 0 ? -1 : 0;
}

static char *make_tmpdir(void)
{
	static char d[64];
	snprintf(d, sizeof d, "/tmp/kist-vectors-XXXXXX");
	if (mkdtemp(d) == NULL)
		return NULL;
	return d;
}

static void count_warning(void *ctx, const char *path, const char *msg)
{
	(void)path;
	(void)msg;
	(*(int *)ctx)++;
}

/* A file beside the vault (dir of vault/name); malloc'd, or NULL (why set). */
static unsigned char *load_beside(const char *vault, const char *name, size_t *len)
{
	char p[8192];
	const char *slash = strrchr(vault, '/');
	snprintf(p, sizeof p, "%.*s/%s", (int)(slash - vault), vault, name);
	FILE *f = fopen(p, "rb");
	unsigned char *b = NULL;
	long n;
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		fail("%s: cannot read", p);
		free(b);
		b = NULL;
	} else {
		*len = (size_t)n;
	}
	if (f != NULL)
		fclose(f);
	return b;
}

/* The request key and releases of x; 0, or -1 (why set). */
typedef struct gated {
	unsigned char *key, *rel[4];
	size_t key_len, rel_len[4];
} gated;

static void gated_free(gated *g)
{
	free(g->key);
	for (int i = 0; i < 4; i++)
		free(g->rel[i]);
}

static int gated_load(gated *g, const char *vault, const expect *x)
{
	memset(g, 0, sizeof *g);
	if ((g->key = load_beside(vault, x->reqkey, &g->key_len)) == NULL)
		return -1;
	for (int i = 0; i < x->nrels; i++)
		if ((g->rel[i] = load_beside(vault, x->rels[i], &g->rel_len[i])) == NULL)
			return -1;
	return 0;
}

/* Opens vault as id: with its request key and first nrel releases when gated. */
static kist_err open_vault(kist_vault **v, const char *vault, const expect *x, const gated *g,
                           int nrel, kist_identity *id)
{
	if (x->reqkey[0] == '\0')
		return kist_vault_open(v, vault, &id, 1);
	return kist_vault_open_released(v, vault, &id, 1, (const void *const *)g->rel, g->rel_len,
	                                (size_t)nrel, g->key, g->key_len, NULL);
}

/*
 * A valid gated vault: opening without releases says it is trustee-gated,
 * with one release fewer says releases are needed, and the request beside
 * it (when named) is the one every release answers.
 */
static int check_gated_refusals(const char *vault, const expect *x, const gated *g,
                                kist_identity *id)
{
	kist_vault *v = NULL;
	kist_err err = kist_vault_open(&v, vault, &id, 1);
	if (err != KIST_E_NOACCESS || strstr(kist_errdetail(), "trustee-gated") == NULL) {
		kist_vault_close(v);
		return fail("open without releases: %s (%s), expected noaccess, trustee-gated",
		            kind_of(err), kist_errdetail());
	}
	err = open_vault(&v, vault, x, g, x->nrels - 1, id);
	if (err != KIST_E_NOACCESS || strstr(kist_errdetail(), "needed releases") == NULL) {
		kist_vault_close(v);
		return fail("open with %d of %d releases: %s (%s), expected noaccess", x->nrels - 1,
		            x->nrels, kind_of(err), kist_errdetail());
	}
	if (x->request[0] != '\0') {
		size_t len;
		unsigned char *r = load_beside(vault, x->request, &len), d[32];
		kist_request *q = NULL;
		kist_request_info info;
		if (r == NULL)
			return -1;
		err = kist_request_parse(&q, r, len);
		free(r);
		if (err != KIST_OK)
			return fail("request: %s (%s)", kind_of(err), kist_errdetail());
		kist_request_get_info(q, &info);
		kist_request_free(q);
		for (int i = 0; i < x->nrels; i++)
			if (kist_release_request_digest(g->rel[i], g->rel_len[i], d) != KIST_OK ||
			    memcmp(d, info.digest, 32) != 0)
				return fail("%s does not answer %s", x->rels[i], x->request);
	}
	return 0;
}

/* ------------------------------------------------------------ valid */

static int check_entries(kist_vault *v, const expect *x)
{
	if (kist_vault_entry_count(v) != (size_t)x->nents)
		return fail("%zu entries, expected %d", kist_vault_entry_count(v), x->nents);
	for (int i = 0; i < x->nents; i++) {
		const xentry *xe = &x->ents[i];
		const kist_entry *e = kist_vault_find(v, xe->path);
		static const char *types[] = {"file", "dir", "symlink"};
		if (e == NULL)
			return fail("entry %s is missing", xe->path);
		if (strcmp(types[e->type], xe->type) != 0)
			return fail("%s: type %s, expected %s", xe->path, types[e->type], xe->type);
		if (e->size != xe->size)
			return fail("%s: size %llu, expected %llu", xe->path,
			            (unsigned long long)e->size, xe->size);
		if (e->type == KIST_ENTRY_FILE) {
			char hex[65];
			sodium_bin2hex(hex, sizeof hex, e->sha256, 32);
			if (strcmp(hex, xe->sha) != 0)
				return fail("%s: sha256 %s, expected %s", xe->path, hex, xe->sha);
		}
		if (e->type == KIST_ENTRY_SYMLINK &&
		    (e->link_target == NULL || strcmp(e->link_target, xe->link) != 0))
			return fail("%s: link target %s, expected %s", xe->path,
			            e->link_target ? e->link_target : "(none)", xe->link);
	}
	return 0;
}

static int check_extracted(const char *dir, const expect *x)
{
	size_t want = 0;
	for (int i = 0; i < x->nents; i++) {
		const xentry *xe = &x->ents[i];
		char p[4096];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", dir, xe->path);
		if (xe->refused) {
			if (lstat(p, &st) == 0)
				return fail("%s was extracted but should have been refused",
				            xe->path);
			continue;
		}
		want++;
		if (lstat(p, &st) != 0)
			return fail("%s was not extracted", xe->path);
		if (strcmp(xe->type, "dir") == 0 && !S_ISDIR(st.st_mode))
			return fail("%s: extracted, but not as a directory", xe->path);
		if (strcmp(xe->type, "symlink") == 0) {
			char t[4096];
			ssize_t n = S_ISLNK(st.st_mode) ? readlink(p, t, sizeof t - 1) : -1;
			if (n < 0)
				return fail("%s: extracted, but not as a symlink", xe->path);
			t[n] = '\0';
			if (strcmp(t, xe->link) != 0)
				return fail("%s: extracted link points to %s, expected %s",
				            xe->path, t, xe->link);
		}
		if (strcmp(xe->type, "file") == 0) {
			char hex[65];
			unsigned long long size;
			if (!S_ISREG(st.st_mode) || file_sha256(p, hex, &size) != 0)
				return fail("%s: extracted, but not as a readable file", xe->path);
			if (size != xe->size || strcmp(hex, xe->sha) != 0)
				return fail("%s: extracted content differs (size %llu, sha256 %s)",
				            xe->path, size, hex);
		}
	}
	if (count_tree(dir) != want)
		return fail("extraction made %zu files and folders, expected %zu", count_tree(dir),
		            want);
	return 0;
}

static int test_valid_with(const char *vault, const expect *x, const char *idname)
{
	kist_identity *id = load_identity(idname);
	kist_vault *v = NULL;
	kist_vault_info info;
	kist_vault_meta meta;
	kist_verify_report rep;
	int rc = -1;
	char *dir = NULL;
	gated g;

	memset(&g, 0, sizeof g);
	if (id == NULL)
		return -1;
	kist_err err = kist_vault_probe(vault, &info);
	if (err != KIST_OK) {
		fail("probe: %s (%s)", kist_strerror(err), kist_errdetail());
		goto out;
	}
	if (info.format_version != (unsigned)x->version ||
	    (x->slots >= 0 && info.slot_count != (unsigned)x->slots) ||
	    info.grant_count != x->grants ||
	    (x->custodians >= 0 && info.custodian_count != (unsigned)x->custodians)) {
		fail("probe: version %u, %u slots, %u grants (expected %d, %d, %u)",
		     info.format_version, info.slot_count, info.grant_count, x->version, x->slots,
		     x->grants);
		goto out;
	}
	if (x->reqkey[0] != '\0' &&
	    (gated_load(&g, vault, x) != 0 || check_gated_refusals(vault, x, &g, id) != 0))
		goto out;
	if ((err = open_vault(&v, vault, x, &g, x->nrels, id)) != KIST_OK) {
		fail("open as %s: %s (%s)", idname, kist_strerror(err), kist_errdetail());
		goto out;
	}
	kist_vault_get_meta(v, &meta);
	if (!!meta.signed_by_sealer != x->is_signed || !!meta.signature_valid != x->is_signed) {
		fail("signed %d (valid %d), expected %d", meta.signed_by_sealer,
		     meta.signature_valid, x->is_signed);
		goto out;
	}
	if (x->padded >= 0 && !!meta.padded != x->padded) {
		fail("padded %d, expected %d", meta.padded, x->padded);
		goto out;
	}
	if (kist_vault_grant_count(v) != x->grants) {
		fail("%zu grant records, expected %u", kist_vault_grant_count(v), x->grants);
		goto out;
	}
	if (x->signer[0] != '\0') {
		kist_identity *s = load_identity(x->signer);
		kist_pubkey pk;
		if (s == NULL)
			goto out;
		kist_identity_pubkey(s, &pk);
		kist_identity_free(s);
		if (memcmp(&pk, &meta.signer, sizeof pk) != 0) {
			fail("signed, but not by %s", x->signer);
			goto out;
		}
	}
	if (check_entries(v, x) != 0)
		goto out;
	if ((err = kist_vault_verify(v, &rep, NULL, NULL)) != KIST_OK) {
		fail("verify: %s (%s)", kist_strerror(err), kist_errdetail());
		goto out;
	}
	unsigned long long files = 0, bytes = 0;
	for (int i = 0; i < x->nents; i++)
		if (strcmp(x->ents[i].type, "file") == 0) {
			files++;
			bytes += x->ents[i].size;
		}
	if (rep.entries_checked != files || rep.bytes_checked != bytes || rep.entries_failed != 0) {
		fail("verify checked %llu entries and %llu bytes, expected %llu and %llu",
		     (unsigned long long)rep.entries_checked, (unsigned long long)rep.bytes_checked,
		     files, bytes);
		goto out;
	}
	if ((dir = make_tmpdir()) == NULL) {
		fail("mkdtemp: %s", strerror(errno));
		goto out;
	}
	int warnings = 0, refused = 0;
	kist_extract_opts o = {
	    .dir = dir, .force = 0, .warn_fn = count_warning, .warn_ctx = &warnings};
	if ((err = kist_vault_extract(v, &o, NULL, 0)) != KIST_OK) {
		fail("extract: %s (%s)", kist_strerror(err), kist_errdetail());
		goto out;
	}
	if (check_extracted(dir, x) != 0)
		goto out;
	for (int i = 0; i < x->nents; i++)
		refused += x->ents[i].refused;
	if (warnings != refused) {
		fail("%d warnings during extraction, expected %d", warnings, refused);
		goto out;
	}
	rc = 0;
out:
	if (dir != NULL)
		rmtree(dir);
	kist_vault_close(v);
	kist_identity_free(id);
	gated_free(&g);
	return rc;
}

static int test_valid(const char *vault, const expect *x)
{
	if (strcmp(x->kind, "ok") != 0)
		return fail("valid vector with expect: %s", x->kind);
	for (int i = 0; i < x->nids; i++)
		if (test_valid_with(vault, x, x->ids[i]) != 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------ malformed */

/* The custodian's check of the request beside vault fails as x says. */
static int test_custodian_check(const char *vault, const expect *x, kist_identity *id)
{
	kist_identity *c = load_identity(x->custodian);
	kist_request *q = NULL;
	size_t len;
	unsigned char *r = x->request[0] ? load_beside(vault, x->request, &len) : NULL;
	int rc = -1;
	kist_err err;
	kist_identity_free(id);
	if (c == NULL || r == NULL) {
		if (r == NULL && x->request[0] == '\0')
			fail("custodian: without request:");
		goto out;
	}
	if ((err = kist_request_parse(&q, r, len)) != KIST_OK) {
		fail("request: %s (%s), expected it to parse", kind_of(err), kist_errdetail());
		goto out;
	}
	err = kist_request_check(q, c, NULL);
	snprintf(detail, sizeof detail, "%s", kist_errdetail());
	if (err == KIST_OK)
		fail("%s's check of the request passed, expected %s", x->custodian, x->kind);
	else if (strcmp(kind_of(err), x->kind) != 0 || strstr(detail, x->reason) == NULL)
		fail("check: %s (%s), expected %s, \"%s\"", kind_of(err), detail, x->kind,
		     x->reason);
	else
		rc = 0;
out:
	kist_request_free(q);
	kist_identity_free(c);
	free(r);
	return rc;
}

static int test_malformed(const char *vault, const expect *x)
{
	kist_identity *id = load_identity(x->ids[0]);
	kist_vault *v = NULL;
	kist_verify_report rep;
	int rc = -1;
	char *dir = NULL;
	gated g;

	if (x->reason[0] == '\0') {
		kist_identity_free(id);
		return fail("no reason: line (every malformed vector names its reason)");
	}
	if (id == NULL)
		return -1;
	memset(&g, 0, sizeof g);
	if (x->custodian[0] != '\0')
		return test_custodian_check(vault, x, id);
	if (x->reqkey[0] != '\0' && gated_load(&g, vault, x) != 0)
		goto out;
	kist_err err = open_vault(&v, vault, x, &g, x->nrels, id);
	if (strcmp(x->kind, "padding-on-verify") == 0) {
		/* Opens; verify finds the padding damaged and no entry; extraction works. */
		if (err != KIST_OK) {
			fail("open: %s (%s), expected it to open", kind_of(err), kist_errdetail());
		} else if ((err = kist_vault_verify(v, &rep, NULL, NULL)) != KIST_E_CORRUPT ||
		           !rep.padding_damaged || rep.entries_failed != 0) {
			fail("verify: %s, padding damaged %d, %llu entries failed", kind_of(err),
			     rep.padding_damaged, (unsigned long long)rep.entries_failed);
		} else if (strstr(kist_errdetail(), x->reason) == NULL) {
			fail("verify: %s, expected the reason \"%s\"", kist_errdetail(), x->reason);
		} else {
			snprintf(detail, sizeof detail, "%s", kist_errdetail());
			rc = 0;
		}
		goto out;
	}
	if (strcmp(x->kind, "corrupt-on-verify") != 0) {
		if (err == KIST_OK)
			fail("opened, expected %s", x->kind);
		else if (strcmp(kind_of(err), x->kind) != 0)
			fail("open: %s (%s), expected %s", kind_of(err), kist_errdetail(), x->kind);
		else if (strstr(kist_errdetail(), x->reason) == NULL)
			fail("open: %s (%s), expected the reason \"%s\"", kind_of(err),
			     kist_errdetail(), x->reason);
		else
			rc = 0;
		snprintf(detail, sizeof detail, "%s", kist_errdetail());
		goto out;
	}
	if (err != KIST_OK) {
		fail("open: %s (%s), expected it to open", kind_of(err), kist_errdetail());
		goto out;
	}
	if ((err = kist_vault_verify(v, &rep, NULL, NULL)) != KIST_E_CORRUPT ||
	    rep.entries_failed == 0) {
		fail("verify: %s, %llu entries failed; expected corrupt", kind_of(err),
		     (unsigned long long)rep.entries_failed);
		goto out;
	}
	if ((dir = make_tmpdir()) == NULL) {
		fail("mkdtemp: %s", strerror(errno));
		goto out;
	}
	kist_extract_opts o = {.dir = dir};
	if ((err = kist_vault_extract(v, &o, NULL, 0)) != KIST_E_CORRUPT) {
		fail("extract: %s, expected corrupt", kind_of(err));
		goto out;
	}
	snprintf(detail, sizeof detail, "%s", kist_errdetail());
	if (strstr(detail, x->reason) == NULL) {
		fail("extract: corrupt (%s), expected the reason \"%s\"", detail, x->reason);
		goto out;
	}
	if (count_tree(dir) != 0) {
		fail("a failed extraction left %zu files behind", count_tree(dir));
		goto out;
	}
	rc = 0;
out:
	if (dir != NULL)
		rmtree(dir);
	kist_vault_close(v);
	kist_identity_free(id);
	gated_free(&g);
	return rc;
}

/* ------------------------------------------------------------ driver */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the NAMEs of sub/NAME.kist, sorted; checks that each has a .expect and vice versa. */
static char **list_vectors(const char *sub, size_t *n)
{
	char d[4096];
	snprintf(d, sizeof d, "%s/%s", vecdir, sub);
	DIR *dir = opendir(d);
	struct dirent *de;
	char **names = NULL;
	size_t cap = 0;
	*n = 0;
	if (dir == NULL) {
		printf("Bail out! %s: %s\n", d, strerror(errno));
		exit(1);
	}
	while ((de = readdir(dir)) != NULL) {
		size_t l = strlen(de->d_name);
		const char *ext = strrchr(de->d_name, '.');
		if (de->d_name[0] == '.' || ext == NULL)
			continue;
		char other[8448];
		struct stat st;
		if (strcmp(ext, ".expect") == 0) {
			snprintf(other, sizeof other, "%s/%.*s.kist", d, (int)(l - 7), de->d_name);
			if (stat(other, &st) != 0) {
				printf("not ok - %s/%s has no vault\n", sub, de->d_name);
				nfailed++;
				ntests++;
			}
			continue;
		}
		if (strcmp(ext, ".kist") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof *names);
		}
		names[(*n)++] = strndup(de->d_name, l - 5);
	}
	closedir(dir);
	if (*n > 0)
		qsort(names, *n, sizeof *names, cmp_str);
	return names;
}

static void run(const char *sub, int valid)
{
	size_t n;
	char **names = list_vectors(sub, &n);
	for (size_t i = 0; i < n; i++) {
		char vault[4096], exp[4096];
		expect x;
		snprintf(vault, sizeof vault, "%s/%s/%s.kist", vecdir, sub, names[i]);
		snprintf(exp, sizeof exp, "%s/%s/%s.expect", vecdir, sub, names[i]);
		why[0] = detail[0] = '\0';
		int r = parse_expect(exp, &x);
		if (r == 0)
			r = valid ? test_valid(vault, &x) : test_malformed(vault, &x);
		ntests++;
		if (r == 0) {
			printf("ok %d - %s/%s (%s)%s%s\n", ntests, sub, names[i], x.kind,
			       x.todo[0] ? " # TODO " : "", x.todo);
			if (detail[0] != '\0')
				printf("#   %s\n", detail);
			if (x.todo[0])
				printf("#   passes now: remove the todo line from %s.expect\n",
				       names[i]);
		} else {
			/* TAP: a failing TODO test is reported but does not fail the run. */
			if (x.todo[0] == '\0')
				nfailed++;
			printf("not ok %d - %s/%s: %s%s%s\n", ntests, sub, names[i], why,
			       x.todo[0] ? " # TODO " : "", x.todo);
			printf("#   %s\n", x.comment);
		}
		free(names[i]);
	}
	free(names);
	if (n == 0) {
		printf("not ok - no vectors in %s/%s\n", vecdir, sub);
		nfailed++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
		return 2;
	}
	vecdir = argv[1];
	if (kist_init() != KIST_OK) {
		printf("Bail out! kist_init failed\n");
		return 1;
	}
	umask(022);
	run("valid", 1);
	run("malformed", 0);
	printf("1..%d\n", ntests);
	printf("# %d of %d vectors failed\n", nfailed, ntests);
	return nfailed ? 1 : 0;
}
