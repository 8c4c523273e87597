/*
 * Replays seed corpora through a harness once, without libFuzzer: every
 * regular file in each directory (or each file) named on the command line is
 * fed to LLVMFuzzerTestOneInput.  Built with every compiler, so the seeds and
 * the regression inputs run in every build, the sanitizer build included.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* An exact-size heap copy, so that ASan sees reads past the end. */
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	size_t total = 0;
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s corpus-dir-or-file...\n", argv[0]);
		return 2;
	}
	for (int a = 1; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) != 0) {
			fprintf(stderr, "replay: %s: no such file or directory\n", argv[a]);
			failed = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[a]) != 0)
				failed = 1;
			total++;
			continue;
		}
		DIR *d = opendir(argv[a]);
		struct dirent *de;
		char **names = NULL;
		size_t n = 0, cap = 0;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				names = realloc(names, cap * sizeof *names);
				if (names == NULL)
					abort();
			}
			size_t len = strlen(argv[a]) + strlen(de->d_name) + 2;
			names[n] = malloc(len);
			if (names[n] == NULL)
				abort();
			snprintf(names[n], len, "%s/%s", argv[a], de->d_name);
			n++;
		}
		if (d != NULL)
			closedir(d);
		if (n > 0)
			qsort(names, n, sizeof *names, cmp_names);
		for (size_t i = 0; i < n; i++) {
			if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(names[i]) != 0)
					failed = 1;
				total++;
			}
			free(names[i]);
		}
		free(names);
	}
	printf("replayed %zu inputs\n", total);
	if (total == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	return failed;
}
