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

int cli_person_media(kist_vault *v, const char *who, const char ***paths, size_t *n, char *msg,
                     size_t cap)
{
	media_list ml;
	char name[96];
	memset(&ml, 0, sizeof ml);
	kist_err err = kist_vault_person_find(v, who, collect_media, &ml);
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
	*paths = ml.paths;
	*n = ml.n;
	return EXIT_OK;
}

/*
 * Opens the vault and records the access in the custody ledger, signed by the
 * identity that opened it, before the caller releases anything: if the entry
 * cannot be made durable the vault is closed and nothing is printed.  With
 * who (extract --person), the paths recorded are that person's media, returned
 * in *who_paths (malloc'd; the strings are the vault's).
 */
int cli_open_vault_for(const cli_args *a, const char *path, kist_vault **v, const char *action,
                       const char *const *paths, size_t npaths, const char *who,
                       const char ***who_paths, size_t *who_n)
{
	kist_identity **ids = NULL;
	size_t n = 0;
	int rc = cli_load_identities(a, &ids, &n);
	if (rc != EXIT_OK)
		return rc;
	kist_err err = kist_vault_open(v, path, ids, n);
	if (err != KIST_OK) {
		cli_free_identities(ids, n);
		return cli_fail(path, err);
	}
	char why[512] = "";
	int lookup = EXIT_OK;
	if (who != NULL) {
		/* Even a failed lookup tells something about the register: it is logged
		 * (with no entries touched) before the reason is printed. */
		lookup = cli_person_media(*v, who, who_paths, who_n, why, sizeof why);
		paths = lookup == EXIT_OK ? *who_paths : NULL;
		npaths = lookup == EXIT_OK ? *who_n : 0;
	}
	rc = cli_ledger_record(a, *v, ids[kist_vault_opened_with(*v)], action, paths, npaths);
	if (rc == EXIT_OK && lookup != EXIT_OK) {
		cli_error(path, "%s", why);
		rc = lookup;
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

int cli_open_vault(const cli_args *a, const char *path, kist_vault **v, const char *action,
                   const char *const *paths, size_t npaths)
{
	return cli_open_vault_for(a, path, v, action, paths, npaths, NULL, NULL, NULL);
}
