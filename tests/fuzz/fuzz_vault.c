/*
 * Fuzzes whole vaults through the public API: the input is a vault file
 * (held in a memfd and opened by its /proc/self/fd path), probed with
 * kist_vault_probe() and opened with kist_vault_open() as the test vectors'
 * "alice" (tests/vectors/vec_keys.h).  An opened vault is listed, looked up
 * entry by entry, verified, every file is read to /dev/null, and everything
 * is extracted into a fresh temporary directory that must afterwards lie
 * entirely below it (and be empty if extraction failed).  Inputs of odd size
 * are read with two threads (the parallel chunk pipeline), even ones inline.
 *
 * Random changes to a sealed vault fail authentication: what this harness
 * reaches beyond the header and trailer checks comes from the seeds (the
 * valid and the crafted, authenticated-but-hostile vectors).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "index/index.h"
#include "vault_check.h"
#include "vec_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kist_identity *alice;
	static int mfd = -1, devnull = -1;
	static char path[64];
	kist_vault_info info;
	kist_vault *v = NULL;

	if (alice == NULL) {
		if ((alice = vec_identity("alice")) == NULL ||
		    (mfd = memfd_create("kist-fuzz-vault", MFD_CLOEXEC)) < 0 ||
		    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
	}
	if (ftruncate(mfd, 0) != 0 || pwrite(mfd, data, size, 0) != (ssize_t)size)
		abort();

	kist_err perr = kist_vault_probe(path, &info);
	if (perr == KIST_OK) {
		FUZZ_ASSERT(info.file_size == size && info.header_size <= size);
		FUZZ_ASSERT(info.slot_count >= 1 && info.slot_count <= KIST_MAX_RECIPIENTS);
	} else {
		FUZZ_ASSERT(perr == KIST_E_FORMAT || perr == KIST_E_CORRUPT);
	}
	kist_identity *const ids[1] = {alice};
	kist_err err = kist_vault_open(&v, path, ids, 1);
	if (err == KIST_OK) {
		FUZZ_ASSERT(perr == KIST_OK);
		vault_check(v, devnull, 1 + (unsigned)(size & 1)); /* parallel for odd sizes */
		kist_vault_close(v);
	} else {
		FUZZ_ASSERT(v == NULL);
		FUZZ_ASSERT(err == KIST_E_FORMAT || err == KIST_E_CORRUPT ||
		            err == KIST_E_NOACCESS || err == KIST_E_SIGNATURE ||
		            err == KIST_E_UNSAFE || err == KIST_E_LIMIT || err == KIST_E_NOMEM);
		/* The header checks of probe and open agree. */
		if (perr == KIST_E_FORMAT)
			FUZZ_ASSERT(err == KIST_E_FORMAT);
	}
	return 0;
}
