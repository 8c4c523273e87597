/*
 * os/winname: the names Windows (Win32 over NTFS) cannot hold as they are.
 * Portable: it builds and is tested on every platform, and calls nothing of
 * the library (it sits in the lowest layer), only libc and ICU's simple case
 * mappings.  Not installed.
 *
 * A vault's paths are UTF-8, '/'-separated, relative (the index checked
 * that).  On POSIX every name refused here is legal; on Windows creating it
 * either fails, opens something else (a device for "CON", an alternate data
 * stream for "a:b", "name" for "name."), or lands on another entry's file
 * (case twins).  Extraction refuses such a vault before writing anything.
 */
#ifndef KIST_OS_WINNAME_H
#define KIST_OS_WINNAME_H

#include <stddef.h>

/* Why a name is refused: 0 is a safe name. */
enum {
	KIST__WINNAME_OK = 0,
	KIST__WINNAME_EMPTY,    /* an empty component ("a//b", a trailing '/') */
	KIST__WINNAME_DOTS,     /* "." or ".." */
	KIST__WINNAME_UTF8,     /* not UTF-8 (no UTF-16 form) */
	KIST__WINNAME_CHAR,     /* < > : " / \ | ? * or U+0001..U+001F */
	KIST__WINNAME_TRAILING, /* ends in '.' or ' ' (Win32 strips them) */
	KIST__WINNAME_DEVICE,   /* a reserved device name: CON, NUL.txt, COM1 ... */
	KIST__WINNAME_SHORT,    /* the form of a DOS short name (LONGFI~1.TXT): maybe another's */
	KIST__WINNAME_LONG,     /* more than 255 UTF-16 units */
	KIST__WINNAME_TWIN,     /* one name with another entry when case is ignored */
};

/* NTFS's limit of one name, in UTF-16 code units. */
#define KIST__WINNAME_MAX_UNITS 255

/*
 * Whether this platform refuses what this module names: 1 on Windows, 0
 * elsewhere.  On POSIX the same names are legal and extracted as they are
 * (a case-insensitive target there is the extraction's own check).
 */
int kist__winname_needed(void);

/*
 * Checks one path component name[0..len) (no '/'): KIST__WINNAME_OK or the
 * first rule it breaks, in the order of the enum.  Device names are refused
 * in any case, with any extension and with trailing spaces before it
 * ("con", "Con.txt", "NUL .tar.gz", "COM¹", "conin$"), as Windows resolves
 * them in every folder.  A name of the form of a short name NTFS or FAT
 * makes for a long one (1 to 6 characters, '~', a number from 1, then at
 * most a dot and 3 characters: "LONGFI~1.TXT", "progra~1") is refused: on a
 * volume that makes short names it may open another entry's file.
 */
int kist__winname_check(const char *name, size_t len);

/* A short English phrase for a reason code ("a reserved device name"). */
const char *kist__winname_why(int why);

/*
 * The case-insensitive key of a UTF-8 text s[0..len) (a name or a path):
 * every code point mapped to its simple uppercase, then to its simple case
 * folding (ICU's u_toupper, u_foldCase).  Two names NTFS's upcase table
 * takes as one get the same key (the table is the simple uppercase mapping
 * of the BMP, frozen at the Unicode version of the Windows that formatted
 * the volume); so, as over-refusals, do a few it keeps apart (the Kelvin
 * sign and "k", a letter outside the BMP and its case twin, a mapping newer
 * than the volume).  No normalisation: NTFS keeps NFC and NFD names apart.
 * '/' maps to itself, so the key of a path is the path of its names' keys.
 * On success *out is a malloc()'d NUL-terminated key and 0 is returned; -1
 * with errno EILSEQ (s is not UTF-8) or ENOMEM.
 */
int kist__winname_key(const char *s, size_t len, char **out);

/* What kist__winname_check_plan() refused and where. */
typedef struct kist__winname_fault {
	int why;          /* KIST__WINNAME_* */
	size_t entry;     /* the index in paths of the refused path */
	size_t len;       /* paths[entry][0..len) ends with the refused name */
	size_t other;     /* KIST__WINNAME_TWIN: the other path's index */
	size_t other_len; /* and its prefix that is the same name */
} kist__winname_fault;

/*
 * Checks the n paths an extraction will create (files, folders and links,
 * in any order) before anything is written: every component of every path
 * by kist__winname_check(), then every pair of names that would be one on
 * NTFS: two paths, or two of their folders ("a/B/x" and "a/b/y"), whose keys
 * are equal and whose bytes differ.  The same path twice is not a twin.
 * Cost: N log N in the number of paths and folders.
 *
 * Returns 0 if all are safe; 1 with *f filled for the first refused path in
 * list order (or, for twins, the first pair in key order); -1 with errno
 * ENOMEM (or EOVERFLOW for a count that cannot be allocated).
 */
int kist__winname_check_plan(const char *const *paths, size_t n, kist__winname_fault *f);

#endif
