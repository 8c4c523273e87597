/*
 * Opening a vault for a verb: identities of -i, the custody-ledger entry
 * before anything is released, and the media of a person (extract
 * --person).  Below the verbs (cli_open.c, cli_people.c), which call it.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- extract --person */

typedef struct media_list {
	const char **paths;
	size_t n;
	long long id;
	char name[128];
} media_list;

static int collect_media(void *ctx, const kist_person *p)
{
	media_list *ml = ctx;
	ml->id = p->id;
	snprintf(ml->name, sizeof ml->name, "%s", p->name);
	ml->paths = calloc(p->nmedia + 1, sizeof *ml->paths);
	if (ml->paths == NULL)
		return 1;
	for (size_t k = 0; k < p->nmedia; k++)
		ml->paths[ml->n++] = p->media[k]->path; /* owned by the vault */
	return 0;
}

/* The people a fragment finds (kist_vault_people): the first few, and how many. */
#define MAX_SHOWN 10
typedef struct candidates {
	long long id[MAX_SHOWN];
	char name[MAX_SHOWN][64];
	int approximate[MAX_SHOWN];
	size_t n, exact; /* all found; those not only approximate */
	long long exact_id;
} candidates;

static int collect_candidate(void *ctx, const kist_person *p)
{
	candidates *c = ctx;
	if (c->n < MAX_SHOWN) {
		c->id[c->n] = p->id;
		cli_escape(c->name[c->n], sizeof c->name[c->n], p->name);
		c->approximate[c->n] = p->approximate;
	}
	c->n++;
	if (!p->approximate && c->exact++ == 0)
		c->exact_id = p->id;
	return 0;
}

/* Whether who names an id ("17", "#17"): never taken for a fragment. */
static int looks_like_id(const char *who)
{
	if (*who == '#')
		who++;
	if (*who == '\0')
		return 0;
	for (; *who; who++)
		if (*who < '0' || *who > '9')
			return 0;
	return 1;
}

/*
 * No exact id or name: who as a fragment, searched as people --search does.
 * One person found (not only approximately): *found is "#ID".  Several: msg
 * lists them, EXIT_USAGE.
 */
static int person_by_fragment(kist_vault *v, const char *who, char *found, size_t fcap, char *msg,
                              size_t cap)
{
	candidates c;
	memset(&c, 0, sizeof c);
	kist_err err = kist_vault_people(v, who, collect_candidate, &c);
	if (err != KIST_OK) {
		snprintf(msg, cap, "%s",
		         kist_errdetail()[0] ? kist_errdetail() : kist_strerror(err));
		return cli_exit_code(err);
	}
	if (c.n == 0) {
		char e[96];
		cli_escape(e, sizeof e, who);
		snprintf(msg, cap, "nobody in the register matches \"%s\" (see 'kist people')", e);
		return EXIT_OTHER;
	}
	if (c.exact == 1) {
		snprintf(found, fcap, "#%lld", c.exact_id);
		return EXIT_OK;
	}
	char e[96];
	cli_escape(e, sizeof e, who);
	int o = snprintf(msg, cap, "\"%s\" matches %zu %s; name one by id:", e, c.n,
	                 cli_plural(c.n, "person", "people"));
	for (size_t i = 0; i < c.n && i < MAX_SHOWN && o >= 0 && (size_t)o < cap; i++)
		o += snprintf(msg + o, cap - (size_t)o, "%s #%lld %s%s", i ? ";" : "", c.id[i],
		              c.name[i], c.approximate[i] ? " (approximate)" : "");
	if (c.n > MAX_SHOWN && o >= 0 && (size_t)o < cap)
		snprintf(msg + o, cap - (size_t)o, "; and %zu more", c.n - MAX_SHOWN);
	return EXIT_USAGE;
}

int cli_person_media(kist_vault *v, const char *who, const char ***paths, size_t *n, char *msg,
                     size_t cap)
{
	media_list ml;
	char name[96], byid[32];
	memset(&ml, 0, sizeof ml);
	/* An exact id or name wins; else a fragment that finds one person. */
	kist_err err = kist_vault_person_find(v, who, collect_media, &ml);
	if (err == KIST_E_NOTFOUND && !looks_like_id(who)) {
		int rc = person_by_fragment(v, who, byid, sizeof byid, msg, cap);
		if (rc != EXIT_OK)
			return rc;
		err = kist_vault_person_find(v, byid, collect_media, &ml);
	}
	if (err != KIST_OK) {
		free(ml.paths);
		snprintf(msg, cap, "%s%s",
		         kist_errdetail()[0] ? kist_errdetail() : kist_strerror(err),
		         err == KIST_E_NOTFOUND ? " (search with kist people --search)" : "");
		return cli_exit_code(err);
	}
	if (ml.paths == NULL) {
		snprintf(msg, cap, "out of memory");
		return EXIT_OTHER;
	}
	if (ml.n == 0) {
		cli_escape(name, sizeof name, ml.name);
		snprintf(msg, cap, "person #%lld (%s) has no linked media", ml.id, name);
		free(ml.paths);
		return EXIT_OTHER;
	}
	/* On success msg names who was taken (a fragment may match a field other
	 * than the name): the caller says it once the access is logged. */
	cli_escape(name, sizeof name, ml.name);
	snprintf(msg, cap, "person #%lld (%s), %zu linked %s", ml.id, name, ml.n,
	         cli_plural(ml.n, "entry", "entries"));
	*paths = ml.paths;
	*n = ml.n;
	return EXIT_OK;
}

/* Whether path is one of the requested paths, or inside one of them. */
static int in_scope(const kist_request_info *ri, const char *path)
{
	for (size_t i = 0; i < ri->nitems; i++) {
		size_t k = strlen(ri->items[i]);
		if (strncmp(path, ri->items[i], k) == 0 && (path[k] == '\0' || path[k] == '/'))
			return 1;
	}
	return 0;
}

/*
 * A release answers a request for everything, some paths or one person:
 * kist opens for nothing more than was asked (a modified build could; the
 * custodian's ledger records what was asked, docs/GATE.md).
 */
static int released_scope(const cli_args *a, const cli_released *x, const char *action,
                          const char *const *paths, size_t npaths, const char *who)
{
	kist_request_info ri;
	kist_request_get_info(x->req, &ri);
	if (ri.scope == KIST_SCOPE_ALL)
		return EXIT_OK;
	if (ri.scope == KIST_SCOPE_PERSON) {
		if (strcmp(action, "extract") == 0 && who != NULL && strcmp(who, ri.items[0]) == 0)
			return EXIT_OK;
		cli_error(a->pos[0], "the releases answer a request for one person's media: open "
		                     "with kist extract --person and the name asked for");
		return EXIT_ACCESS;
	}
	int ok = (strcmp(action, "extract") == 0 || strcmp(action, "cat") == 0) && npaths > 0 &&
	         who == NULL;
	for (size_t i = 0; ok && i < npaths; i++)
		ok = in_scope(&ri, paths[i]);
	if (!ok) {
		cli_error(a->pos[0],
		          "the releases answer a request for %zu %s: extract or cat "
		          "only %s",
		          ri.nitems, cli_plural(ri.nitems, "path", "paths"),
		          cli_plural(ri.nitems, "it", "those"));
		return EXIT_ACCESS;
	}
	return EXIT_OK;
}

/*
 * The releases are used up once the opening is logged: a path that is not in
 * the vault is refused before, so that a typing error does not cost them.
 */
static int released_paths_exist(const cli_args *a, kist_vault *v, const char *const *paths,
                                size_t npaths)
{
	for (size_t i = 0; i < npaths; i++)
		if (kist_vault_find(v, paths[i]) == NULL) {
			char e[256];
			cli_escape(e, sizeof e, paths[i]);
			cli_error(a->pos[0], "%s is not in the vault; the releases are not used",
			          e);
			return EXIT_OTHER;
		}
	return EXIT_OK;
}

/*
 * Opens the vault and records the access in the custody ledger, signed by the
 * identity that opened it, before the caller releases anything: if the entry
 * cannot be made durable the vault is closed and nothing is printed.  With
 * who (extract --person), the paths recorded are that person's media, returned
 * in *who_paths (malloc'd; the strings are the vault's).
 */
static int open_logged(const cli_args *a, const char *path, kist_vault **v, const char *action,
                       const char *const *paths, size_t npaths, const char *who,
                       const char ***who_paths, size_t *who_n, kist_pubkey *opener)
{
	kist_identity **ids = NULL;
	size_t n = 0;
	int rc = cli_load_identities(a, &ids, &n);
	if (rc != EXIT_OK)
		return rc;
	cli_released rel;
	memset(&rel, 0, sizeof rel);
	if (cli_count(a, "release") > 0) {
		rc = cli_open_released(a, path, ids, n, v, &rel);
		if (rc == EXIT_OK &&
		    ((rc = released_scope(a, &rel, action, paths, npaths, who)) != EXIT_OK ||
		     (rc = released_paths_exist(a, *v, paths, npaths)) != EXIT_OK)) {
			kist_vault_close(*v);
			*v = NULL;
		}
		if (rc != EXIT_OK) {
			cli_released_free(&rel);
			cli_free_identities(ids, n);
			return rc;
		}
	} else {
		kist_err err = kist_vault_open(v, path, ids, n);
		if (err != KIST_OK) {
			kist_vault_info vi;
			rc = cli_fail(path, err);
			if (err == KIST_E_NOACCESS && kist_vault_probe(path, &vi) == KIST_OK &&
			    vi.custodian_count > 0)
				cli_gate_hint(path, ids, n);
			cli_free_identities(ids, n);
			return rc;
		}
	}
	char why[2048] = "";
	int lookup = EXIT_OK;
	if (who != NULL) {
		/* Even a failed lookup tells something about the register: it is logged
		 * (with no entries touched) before the reason is printed. */
		lookup = cli_person_media(*v, who, who_paths, who_n, why, sizeof why);
		paths = lookup == EXIT_OK ? *who_paths : NULL;
		npaths = lookup == EXIT_OK ? *who_n : 0;
	}
	rc = cli_ledger_record(a, *v, ids[kist_vault_opened_with(*v)], action, paths, npaths);
	/* Logged: the request key is used up, so the same releases do not open again. */
	if (rc == EXIT_OK)
		rc = cli_released_forget(&rel);
	cli_released_free(&rel);
	if (opener != NULL)
		kist_identity_pubkey(ids[kist_vault_opened_with(*v)], opener);
	if (rc == EXIT_OK && lookup != EXIT_OK) {
		cli_error(path, "%s", why);
		rc = lookup;
	} else if (rc == EXIT_OK && who != NULL) { /* even with -q: whose media leave the vault */
		cli_progress_clear();
		fprintf(stderr, "kist: --person: %s\n", why);
	}
	if (rc != EXIT_OK && who != NULL && lookup == EXIT_OK) {
		free(*who_paths);
		*who_paths = NULL;
	}
	cli_free_identities(ids, n);
	if (rc != EXIT_OK) {
		kist_vault_close(*v);
		*v = NULL;
	}
	return rc;
}

int cli_open_vault_for(const cli_args *a, const char *path, kist_vault **v, const char *action,
                       const char *const *paths, size_t npaths, const char *who,
                       const char ***who_paths, size_t *who_n)
{
	return open_logged(a, path, v, action, paths, npaths, who, who_paths, who_n, NULL);
}

int cli_open_vault(const cli_args *a, const char *path, kist_vault **v, const char *action,
                   const char *const *paths, size_t npaths)
{
	return open_logged(a, path, v, action, paths, npaths, NULL, NULL, NULL, NULL);
}

int cli_open_vault_by(const cli_args *a, const char *path, kist_vault **v, const char *action,
                      kist_pubkey *opener)
{
	return open_logged(a, path, v, action, NULL, 0, NULL, NULL, NULL, opener);
}
