/*
 * The platform layer on Windows (os/os.h), with Win32 calls.
 *
 * Descriptors: a table of HANDLEs behind small ints, each with whether it
 * is a folder, its position (files are opened for overlapped I/O, so every
 * read and write names its offset and pread never moves the position) and
 * its full path ("\\?\C:\..." or "\\?\UNC\server\share\...": no Win32
 * reinterpretation of dots, spaces or device names below it, no MAX_PATH
 * limit).  0, 1 and 2 are the standard handles.
 *
 * Relative names ("*at" calls) are joined to the folder's path lexically
 * ("." skipped, '/' taken as '\'; a ':', a '\', a ".." component or a
 * leading '/' is refused with EINVAL, so no alternate data stream, drive,
 * parent, absolute or UNC path is ever reached through a folder descriptor).
 * A folder's path is the one Windows gives for its open handle
 * (GetFinalPathNameByHandleW: "\\?\Volume{GUID}\..." or "\\?\C:\..."), with no
 * link, junction or mount point left in it, so re-pointing one changes
 * nothing; and folders are held open without FILE_SHARE_DELETE, so nobody
 * can rename or remove one (nor, on NTFS, an ancestor of it) while its
 * descriptor lives.  KIST__OS_NOFOLLOW opens the
 * last component itself (FILE_FLAG_OPEN_REPARSE_POINT) and refuses it with
 * ELOOP if it is a name surrogate (symbolic link, junction, mount point).
 *
 * What differs from POSIX: no mode bits (read-only attribute only; a mode
 * with no group or other bit at creation makes a protected DACL for the
 * user, SYSTEM and the Administrators, and fstat's mode 0600 or 0700 means
 * that the DACL lets nobody else read it); uid is 0 for a file the process's user owns and
 * 1 otherwise; no symbolic links are created (EPERM); locks are LockFileEx
 * on one byte far past the end of the file (a lock on byte 0 would block
 * reads of it); dup() does not share the position; a folder's fsync is a
 * no-op.
 */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <aclapi.h>
#include <winioctl.h>
#include <fcntl.h>
#include <io.h>
#include <sddl.h>
#include <shellapi.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "os/os.h"

#ifndef SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
#define SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE 0x2
#endif
#ifndef FILE_CS_FLAG_CASE_SENSITIVE_DIR
#define FILE_CS_FLAG_CASE_SENSITIVE_DIR 0x1
#endif
#ifndef IO_REPARSE_TAG_SYMLINK
#define IO_REPARSE_TAG_SYMLINK 0xA000000CL
#endif
#ifndef IO_REPARSE_TAG_MOUNT_POINT
#define IO_REPARSE_TAG_MOUNT_POINT 0xA0000003L
#endif
/* A name surrogate reparse point (a link of some kind): bit 29 of its tag. */
#define NAME_SURROGATE(tag) (((tag)&0x20000000u) != 0)

/* ------------------------------------------------------------ errors */

static int errno_of(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH:
	case ERROR_BAD_NET_NAME:
		return ENOENT;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		return EEXIST;
	case ERROR_ACCESS_DENIED:
	case ERROR_NETWORK_ACCESS_DENIED:
		return EACCES;
	case ERROR_SHARING_VIOLATION:
		return EBUSY;
	case ERROR_LOCK_VIOLATION:
		return EWOULDBLOCK;
	case ERROR_DIR_NOT_EMPTY:
		return ENOTEMPTY;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		return ENOSPC;
	case ERROR_DIRECTORY:
		return ENOTDIR;
	case ERROR_INVALID_NAME:
	case ERROR_BAD_PATHNAME:
	case ERROR_INVALID_PARAMETER:
		return EINVAL;
	case ERROR_INVALID_HANDLE:
		return EBADF;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return ENOMEM;
	case ERROR_WRITE_PROTECT:
		return EROFS;
	case ERROR_NOT_SAME_DEVICE:
		return EXDEV;
	case ERROR_FILENAME_EXCED_RANGE:
		return ENAMETOOLONG;
	case ERROR_CANT_RESOLVE_FILENAME:
	case ERROR_CANT_ACCESS_FILE:
		return ELOOP;
	case ERROR_PRIVILEGE_NOT_HELD:
		return EPERM;
	case ERROR_NOT_SUPPORTED:
	case ERROR_INVALID_FUNCTION:
		return ENOTSUP;
	case ERROR_OPERATION_ABORTED:
		return EINTR;
	case ERROR_BROKEN_PIPE:
	case ERROR_NO_DATA:
		return EPIPE;
	case ERROR_NEGATIVE_SEEK:
		return EINVAL;
	case ERROR_TOO_MANY_OPEN_FILES:
		return EMFILE;
	}
	return EIO;
}

/* -1 with errno from GetLastError(). */
static int fail_last(void)
{
	errno = errno_of(GetLastError());
	return -1;
}

static int fail_errno(int e)
{
	errno = e;
	return -1;
}

/* ------------------------------------------------------- UTF-8, UTF-16 */

/* s as UTF-16, malloc()'d; NULL with errno EILSEQ (not UTF-8) or ENOMEM. */
static wchar_t *u2w(const char *s)
{
	int n;
	wchar_t *w;
	if (*s == '\0') {
		if ((w = calloc(1, sizeof *w)) == NULL)
			errno = ENOMEM;
		return w;
	}
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	if ((w = malloc((size_t)n * sizeof *w)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		errno = EILSEQ;
		return NULL;
	}
	return w;
}

/* w[0..wlen) (wlen -1: terminated) as UTF-8 into buf[0..cap): its length, or -1 (EILSEQ,
 * E2BIG). */
static int w2u_buf(const wchar_t *w, int wlen, char *buf, size_t cap)
{
	int n;
	if (wlen == 0) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, wlen, NULL, 0, NULL, NULL);
	if (n <= 0)
		return fail_errno(EILSEQ);
	if ((size_t)n > cap)
		return fail_errno(E2BIG);
	if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, wlen, buf, n, NULL, NULL) != n)
		return fail_errno(EILSEQ);
	return wlen < 0 ? n - 1 : n;
}

/* w as UTF-8, malloc()'d and terminated; NULL with errno. */
static char *w2u(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, NULL, 0, NULL, NULL);
	char *s;
	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	if ((s = malloc((size_t)n)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (w2u_buf(w, -1, s, (size_t)n) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* ------------------------------------------------------ the table */

#define MAX_FDS 4096

typedef struct wfd {
	HANDLE h;
	HANDLE out; /* the console's output, for a descriptor of kist__os_tty_open */
	int used;
	int dir;        /* a folder */
	int overlapped; /* opened here with FILE_FLAG_OVERLAPPED: every I/O names its offset */
	int append;
	int writable;
	uint64_t pos;
	wchar_t *path; /* full, "\\?\"-prefixed; NULL for the standard handles */
	int mem;       /* kist__os_memory_file: bytes in mbuf, no handle */
	unsigned char *mbuf;
	size_t mlen, mcap;
} wfd;

static wfd fds[MAX_FDS];
static SRWLOCK fds_lock = SRWLOCK_INIT;
static INIT_ONCE std_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK init_std(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
	(void)once;
	(void)param;
	(void)ctx;
	for (int i = 0; i < 3; i++) {
		HANDLE h = GetStdHandle(which[i]);
		if (h == NULL || h == INVALID_HANDLE_VALUE)
			continue;
		fds[i].h = h;
		fds[i].used = 1;
		fds[i].writable = i > 0;
	}
	return TRUE;
}

/* The entry of a live descriptor, or NULL with errno EBADF. */
static wfd *get(int fd)
{
	InitOnceExecuteOnce(&std_once, init_std, NULL, NULL);
	if (fd < 0 || fd >= MAX_FDS || !fds[fd].used) {
		errno = EBADF;
		return NULL;
	}
	return &fds[fd];
}

/* A new descriptor for e (taken: the table owns e's handles and path), or -1 (EMFILE). */
static int put(const wfd *e)
{
	InitOnceExecuteOnce(&std_once, init_std, NULL, NULL);
	AcquireSRWLockExclusive(&fds_lock);
	for (int i = 3; i < MAX_FDS; i++) {
		if (!fds[i].used) {
			fds[i] = *e;
			fds[i].used = 1;
			ReleaseSRWLockExclusive(&fds_lock);
			return i;
		}
	}
	ReleaseSRWLockExclusive(&fds_lock);
	return fail_errno(EMFILE);
}

/* ------------------------------------------------------------ paths */

/* The length of p's volume part: "\\?\C:", "\\?\UNC\server\share" or "\\?\Volume{GUID}". */
static size_t root_len(const wchar_t *p)
{
	size_t n = wcslen(p);
	if (n >= 11 && wcsncmp(p, L"\\\\?\\Volume{", 11) == 0) {
		const wchar_t *c = wcschr(p + 11, L'}');
		return c != NULL ? (size_t)(c - p) + 1 : n;
	}
	if (n >= 8 && wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0) {
		size_t i = 8, seps = 0;
		for (; i < n; i++)
			if (p[i] == L'\\' && ++seps == 2)
				break;
		return i;
	}
	if (n >= 6 && (wcsncmp(p, L"\\\\?\\", 4) == 0 || wcsncmp(p, L"\\\\.\\", 4) == 0))
		return p[5] == L':' ? 6 : n;
	return 0;
}

/* The full, prefixed form of a path given by the user (relative to the current directory). */
static wchar_t *full_path(const wchar_t *w)
{
	DWORD n;
	wchar_t *f, *out;
	if (wcsncmp(w, L"\\\\?\\", 4) == 0 || wcsncmp(w, L"\\\\.\\", 4) == 0)
		return _wcsdup(w);
	n = GetFullPathNameW(w, 0, NULL, NULL);
	if (n == 0)
		return fail_last(), NULL;
	if ((f = malloc((size_t)n * sizeof *f)) == NULL)
		return errno = ENOMEM, NULL;
	n = GetFullPathNameW(w, n, f, NULL);
	if (n == 0) {
		free(f);
		return fail_last(), NULL;
	}
	if ((out = malloc(((size_t)n + 9) * sizeof *out)) == NULL) {
		free(f);
		return errno = ENOMEM, NULL;
	}
	if (f[0] == L'\\' && f[1] == L'\\') { /* \\server\share\... */
		wcscpy(out, L"\\\\?\\UNC\\");
		wcscat(out, f + 2);
	} else if (wcsncmp(f, L"\\\\.\\", 4) == 0) { /* a device: as Win32 named it */
		wcscpy(out, f);
	} else {
		wcscpy(out, L"\\\\?\\");
		wcscat(out, f);
	}
	free(f);
	return out;
}

static int is_absolute(const wchar_t *w)
{
	return w[0] == L'\\' || (w[0] != L'\0' && w[1] == L':');
}

/* Whether the '/'-separated name w has a ".." component. */
static int has_dotdot(const wchar_t *w)
{
	for (const wchar_t *c = w; *c;) {
		const wchar_t *e = c;
		while (*e && *e != L'/')
			e++;
		if (e - c == 2 && c[0] == L'.' && c[1] == L'.')
			return 1;
		c = *e ? e + 1 : e;
	}
	return 0;
}

/*
 * The full path of name relative to dirfd: malloc()'d, NULL with errno.
 * Relative to a folder descriptor, joined lexically; a name with ':' or
 * '\' is refused (EINVAL): it would name an alternate data stream, a drive
 * or another folder.
 */
static wchar_t *path_at(int dirfd, const char *name)
{
	wchar_t *w = u2w(name), *out = NULL;
	wfd *d;
	size_t blen, root, n;

	if (w == NULL)
		return NULL;
	/* Through a folder descriptor, names come from kist ('/'-separated): "C:x"
	 * is not a drive, "x:y" not a stream, and "a\b" or "\x" not a path
	 * (on POSIX they are names; here they would leave the folder). */
	if (dirfd != KIST__OS_CWD &&
	    (wcspbrk(w, L":\\") != NULL || w[0] == L'/' || has_dotdot(w))) {
		errno = EINVAL;
		goto out;
	}
	for (wchar_t *p = w; *p; p++)
		if (*p == L'/')
			*p = L'\\';
	if (dirfd == KIST__OS_CWD || is_absolute(w)) {
		out = full_path(w);
		free(w);
		return out;
	}
	if ((d = get(dirfd)) == NULL)
		goto out;
	if (!d->dir || d->path == NULL) {
		errno = ENOTDIR;
		goto out;
	}
	blen = wcslen(d->path);
	root = root_len(d->path);
	if ((out = malloc((blen + wcslen(w) + 3) * sizeof *out)) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	wcscpy(out, d->path);
	n = blen;
	while (n > root && out[n - 1] == L'\\')
		n--;
	for (wchar_t *c = w; *c;) {
		wchar_t *e = c;
		while (*e && *e != L'\\')
			e++;
		size_t cl = (size_t)(e - c);
		if (cl == 0 || (cl == 1 && c[0] == L'.')) {
			/* "a//b", "./a": nothing */
		} else if (cl == 2 && c[0] == L'.' && c[1] == L'.') {
			while (n > root && out[n - 1] != L'\\')
				n--;
			if (n > root)
				n--;
		} else {
			out[n++] = L'\\';
			wmemcpy(out + n, c, cl);
			n += cl;
		}
		c = *e ? e + 1 : e;
	}
	if (n == root)
		out[n++] = L'\\'; /* "\\?\C:" alone is the volume, "\\?\C:\" its root folder */
	out[n] = L'\0';
out:
	free(w);
	return out;
}

/* ------------------------------------------------------ descriptors */

/* h's reparse tag (0: none) in *tag and its attributes in *attrs: 1, or 0 if
 * they could not be read (GetLastError() says why). */
static int reparse_query(HANDLE h, DWORD *tag, DWORD *attrs)
{
	FILE_ATTRIBUTE_TAG_INFO ti;
	*tag = 0;
	if (!GetFileInformationByHandleEx(h, FileAttributeTagInfo, &ti, sizeof ti))
		return 0;
	if (attrs != NULL)
		*attrs = ti.FileAttributes;
	*tag = (ti.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ? ti.ReparseTag : 0;
	return 1;
}

/* The reparse tag of h (0: none, or not known). */
static DWORD reparse_tag(HANDLE h, DWORD *attrs)
{
	DWORD tag;
	reparse_query(h, &tag, attrs);
	return tag;
}

static int same_id(HANDLE a, HANDLE b)
{
	BY_HANDLE_FILE_INFORMATION x, y;
	return GetFileInformationByHandle(a, &x) && GetFileInformationByHandle(b, &y) &&
	       x.dwVolumeSerialNumber == y.dwVolumeSerialNumber &&
	       x.nFileIndexHigh == y.nFileIndexHigh && x.nFileIndexLow == y.nFileIndexLow;
}

static PSID my_sid(void);

/*
 * For a file or folder created with no group or other bits (a key, a
 * private folder): a security descriptor whose protected DACL lets only the
 * user running kist, SYSTEM and the Administrators in (LocalFree() it), as
 * mode 0600 or 0700 does.  NULL (inherit the folder's) otherwise or on error.
 */
static PSECURITY_DESCRIPTOR private_sd(unsigned mode)
{
	PSID me;
	LPWSTR sid = NULL;
	wchar_t sddl[256];
	PSECURITY_DESCRIPTOR sd = NULL;
	if ((mode & 077) != 0 || (me = my_sid()) == NULL)
		return NULL;
	if (ConvertSidToStringSidW(me, &sid) &&
	    swprintf(sddl, sizeof sddl / sizeof sddl[0],
	             L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", sid) > 0)
		ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd,
		                                                     NULL);
	LocalFree(sid);
	return sd;
}

/* CreateFileW, with FILE_WRITE_ATTRIBUTES and READ_CONTROL when they are granted. */
static HANDLE create(const wchar_t *p, DWORD access, DWORD share, DWORD disp, DWORD fl,
                     PSECURITY_DESCRIPTOR sd)
{
	SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
	HANDLE h = CreateFileW(p, access | FILE_WRITE_ATTRIBUTES | READ_CONTROL, share, &sa, disp,
	                       fl, NULL);
	if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED)
		h = CreateFileW(p, access | READ_CONTROL, share, &sa, disp, fl, NULL);
	if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED)
		h = CreateFileW(p, access, share, &sa, disp, fl, NULL);
	return h;
}

/*
 * The access kist__os_openat asks for.  FILE_READ_ATTRIBUTES always:
 * GENERIC_WRITE lacks it, and without it the reparse check, fstat and
 * fchmod fail on a write-only descriptor.
 */
static DWORD open_access(int flags)
{
	if (flags & KIST__OS_DIRECTORY)
		return FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
	if (flags & KIST__OS_RDWR)
		return GENERIC_READ | GENERIC_WRITE | FILE_READ_ATTRIBUTES;
	if (flags & KIST__OS_WRONLY)
		return GENERIC_WRITE | FILE_READ_ATTRIBUTES;
	return GENERIC_READ | FILE_READ_ATTRIBUTES;
}

/*
 * The path of the folder h is open on, with no link, junction or mount
 * point left in it (malloc()'d; NULL with errno): "\\?\Volume{GUID}\..."
 * or, if the volume has no GUID name, "\\?\C:\..." or "\\?\UNC\...".
 * While h is open (without FILE_SHARE_DELETE) neither the folder nor, on
 * NTFS, an ancestor can be renamed, so the path keeps naming it.
 */
static wchar_t *final_path(HANDLE h)
{
	static const DWORD how[2] = {FILE_NAME_NORMALIZED | VOLUME_NAME_GUID,
	                             FILE_NAME_NORMALIZED | VOLUME_NAME_DOS};
	for (int i = 0; i < 2; i++) {
		DWORD n = GetFinalPathNameByHandleW(h, NULL, 0, how[i]), m;
		wchar_t *buf;
		if (n == 0)
			continue;
		if ((buf = malloc(((size_t)n + 1) * sizeof *buf)) == NULL)
			return errno = ENOMEM, NULL;
		m = GetFinalPathNameByHandleW(h, buf, n + 1, how[i]);
		if (m != 0 && m <= n && wcsncmp(buf, L"\\\\?\\", 4) == 0) {
			/* Only a path that opens this very folder (wine opens no
			 * "\\?\Volume{...}" path). */
			HANDLE g = CreateFileW(
			    buf, FILE_READ_ATTRIBUTES,
			    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			    OPEN_EXISTING,
			    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
			int same = g != INVALID_HANDLE_VALUE && same_id(h, g);
			if (g != INVALID_HANDLE_VALUE)
				CloseHandle(g);
			if (same)
				return buf;
		}
		free(buf);
	}
	return errno = EIO, NULL;
}

/* CreateFileW's disposition for open flags. */
static DWORD open_disposition(int flags)
{
	if ((flags & KIST__OS_CREAT) && (flags & KIST__OS_EXCL))
		return CREATE_NEW; /* never follows a link: an existing name is EEXIST */
	if ((flags & KIST__OS_CREAT) && (flags & KIST__OS_TRUNC))
		return CREATE_ALWAYS;
	if (flags & KIST__OS_CREAT)
		return OPEN_ALWAYS;
	if (flags & KIST__OS_TRUNC)
		return TRUNCATE_EXISTING;
	return OPEN_EXISTING;
}

/*
 * h opened p; with KIST__OS_NOFOLLOW a link is refused (ELOOP).  The handle
 * to use (another one for a reparse point that is not a link), its
 * attributes in *attrs; INVALID_HANDLE_VALUE with errno, h closed.
 */
static HANDLE no_follow(HANDLE h, const wchar_t *p, int flags, DWORD access, DWORD share, DWORD fl,
                        DWORD *attrs)
{
	DWORD tag = 0;
	if (!reparse_query(h, &tag, attrs) && (flags & KIST__OS_NOFOLLOW)) {
		/* Not known to be no link: not opened (fail closed). */
		int err = errno_of(GetLastError());
		CloseHandle(h);
		fail_errno(err);
		return INVALID_HANDLE_VALUE;
	}
	if (!(flags & KIST__OS_NOFOLLOW) || tag == 0)
		return h;
	if (NAME_SURROGATE(tag)) {
		/* A link, a junction, a mount point: not followed. */
		CloseHandle(h);
		fail_errno(ELOOP);
		return INVALID_HANDLE_VALUE;
	}
	/* Another reparse point (a cloud placeholder, deduplicated data) is a
	 * file: open what it stands for, and check it is the same one. */
	HANDLE g =
	    create(p, access, share, OPEN_EXISTING, fl & ~FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	int same = g != INVALID_HANDLE_VALUE && same_id(h, g);
	CloseHandle(h);
	if (!same) {
		if (g != INVALID_HANDLE_VALUE)
			CloseHandle(g);
		fail_errno(ELOOP);
		return INVALID_HANDLE_VALUE;
	}
	reparse_tag(g, attrs);
	return g;
}

int kist__os_openat(int dirfd, const char *name, int flags, unsigned mode)
{
	wchar_t *p = path_at(dirfd, name);
	DWORD access, share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, disp,
	              fl = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, attrs = 0;
	HANDLE h;
	wfd e;
	int fd;

	if (p == NULL)
		return -1;
	memset(&e, 0, sizeof e);
	access = open_access(flags);
	if (flags & KIST__OS_DIRECTORY)
		share = FILE_SHARE_READ | FILE_SHARE_WRITE; /* nobody renames it meanwhile */
	disp = open_disposition(flags);
	if (flags & KIST__OS_NOFOLLOW)
		fl |= FILE_FLAG_OPEN_REPARSE_POINT;
	if ((flags & KIST__OS_CREAT) && !(mode & 0200))
		fl |= FILE_ATTRIBUTE_READONLY;
	{
		PSECURITY_DESCRIPTOR sd = (flags & KIST__OS_CREAT) ? private_sd(mode) : NULL;
		h = create(p, access, share, disp, fl, sd);
		DWORD err = GetLastError();
		LocalFree(sd);
		SetLastError(err);
	}
	if (h == INVALID_HANDLE_VALUE) {
		fail_last();
		free(p);
		return -1;
	}
	if ((h = no_follow(h, p, flags, access, share, fl, &attrs)) == INVALID_HANDLE_VALUE) {
		free(p);
		return -1;
	}
	e.dir = (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0;
	if ((flags & KIST__OS_DIRECTORY) && !e.dir) {
		CloseHandle(h);
		free(p);
		return fail_errno(ENOTDIR);
	}
	if (e.dir && (flags & (KIST__OS_WRONLY | KIST__OS_RDWR))) {
		CloseHandle(h);
		free(p);
		return fail_errno(EISDIR);
	}
	if (e.dir) {
		/* The folder's own path, not the one given, so that a link on the
		 * way cannot be re-pointed under the descriptor. */
		wchar_t *fp = final_path(h);
		free(p);
		if ((p = fp) == NULL) {
			int err = errno;
			CloseHandle(h);
			return fail_errno(err);
		}
	}
	e.h = h;
	e.overlapped = 1;
	e.append = (flags & KIST__OS_APPEND) != 0;
	e.writable = (flags & (KIST__OS_WRONLY | KIST__OS_RDWR)) != 0;
	e.path = p;
	if ((fd = put(&e)) < 0) {
		CloseHandle(h);
		free(p);
	}
	return fd;
}

int kist__os_open(const char *path, int flags, unsigned mode)
{
	return kist__os_openat(KIST__OS_CWD, path, flags, mode);
}

int kist__os_close(int fd)
{
	wfd *e = get(fd), old;
	int rc = 0;
	if (e == NULL)
		return -1;
	AcquireSRWLockExclusive(&fds_lock);
	old = *e;
	memset(e, 0, sizeof *e);
	ReleaseSRWLockExclusive(&fds_lock);
	if (old.mem) {
		if (old.mbuf != NULL)
			SecureZeroMemory(old.mbuf, old.mcap);
		free(old.mbuf);
	} else if (!CloseHandle(old.h)) {
		rc = fail_last();
	}
	if (old.out != NULL)
		CloseHandle(old.out);
	free(old.path);
	return rc;
}

int kist__os_dup(int fd)
{
	wfd *e = get(fd), c;
	HANDLE self = GetCurrentProcess();
	int nfd;
	if (e == NULL)
		return -1;
	if (e->mem)
		return fail_errno(ENOTSUP);
	c = *e;
	c.out = NULL;
	if (!DuplicateHandle(self, e->h, self, &c.h, 0, FALSE, DUPLICATE_SAME_ACCESS))
		return fail_last();
	if (e->out != NULL &&
	    !DuplicateHandle(self, e->out, self, &c.out, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
		CloseHandle(c.h);
		return fail_last();
	}
	if (e->path != NULL && (c.path = _wcsdup(e->path)) == NULL) {
		CloseHandle(c.h);
		if (c.out != NULL)
			CloseHandle(c.out);
		return fail_errno(ENOMEM);
	}
	if ((nfd = put(&c)) < 0) {
		CloseHandle(c.h);
		if (c.out != NULL)
			CloseHandle(c.out);
		free(c.path);
	}
	return nfd;
}

/* Makes room for need bytes in a memory file; the old copy is wiped, never left. */
static int mem_reserve(wfd *e, size_t need)
{
	size_t cap = e->mcap ? e->mcap : 4096;
	unsigned char *b;
	if (need <= e->mcap)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return fail_errno(EFBIG);
		cap *= 2;
	}
	if ((b = calloc(1, cap)) == NULL)
		return fail_errno(ENOMEM);
	if (e->mbuf != NULL) {
		memcpy(b, e->mbuf, e->mlen);
		SecureZeroMemory(e->mbuf, e->mcap);
		free(e->mbuf);
	}
	e->mbuf = b;
	e->mcap = cap;
	return 0;
}

/* One read or write of a memory file at off. */
static ptrdiff_t mem_io(wfd *e, void *buf, size_t len, uint64_t off, int writing)
{
	if (off > (uint64_t)(SIZE_MAX / 2))
		return fail_errno(EFBIG);
	if (!writing) {
		if (off >= e->mlen)
			return 0;
		if (len > e->mlen - (size_t)off)
			len = e->mlen - (size_t)off;
		memcpy(buf, e->mbuf + off, len);
		return (ptrdiff_t)len;
	}
	if (len > SIZE_MAX / 2 - (size_t)off)
		return fail_errno(EFBIG);
	if (mem_reserve(e, (size_t)off + len) != 0)
		return -1;
	memcpy(e->mbuf + off, buf, len);
	if ((size_t)off + len > e->mlen)
		e->mlen = (size_t)off + len;
	return (ptrdiff_t)len;
}

/* At most this much per call: ReadFile and WriteFile take a DWORD. */
#define IO_MAX ((size_t)1 << 30)

/*
 * One ReadFile or WriteFile of e at off (UINT64_MAX: the end of the file,
 * for appending; on a handle not opened here: where its pointer is).
 */
static ptrdiff_t io(wfd *e, void *buf, size_t len, uint64_t off, int writing)
{
	OVERLAPPED ov;
	DWORD n = 0;
	BOOL ok;
	if (e->dir)
		return fail_errno(EISDIR);
	if (len > IO_MAX)
		len = IO_MAX;
	if (e->mem)
		return mem_io(e, buf, len, off == UINT64_MAX ? e->mlen : off, writing);
	if (!e->overlapped && off == UINT64_MAX) {
		ok = writing ? WriteFile(e->h, buf, (DWORD)len, &n, NULL)
		             : ReadFile(e->h, buf, (DWORD)len, &n, NULL);
		if (!ok) {
			DWORD err = GetLastError();
			if (!writing && (err == ERROR_BROKEN_PIPE || err == ERROR_HANDLE_EOF))
				return 0; /* the writer closed the pipe: the end */
			return fail_errno(errno_of(err));
		}
		return (ptrdiff_t)n;
	}
	memset(&ov, 0, sizeof ov);
	ov.Offset = (DWORD)off;
	ov.OffsetHigh = (DWORD)(off >> 32);
	if ((ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return fail_last();
	ok = writing ? WriteFile(e->h, buf, (DWORD)len, NULL, &ov)
	             : ReadFile(e->h, buf, (DWORD)len, NULL, &ov);
	if (!ok && GetLastError() == ERROR_IO_PENDING)
		ok = GetOverlappedResult(e->h, &ov, &n, TRUE);
	else if (ok)
		ok = GetOverlappedResult(e->h, &ov, &n, TRUE);
	DWORD err = ok ? 0 : GetLastError();
	CloseHandle(ov.hEvent);
	if (!ok) {
		if (!writing && err == ERROR_HANDLE_EOF)
			return 0;
		return fail_errno(errno_of(err));
	}
	return (ptrdiff_t)n;
}

ptrdiff_t kist__os_read(int fd, void *buf, size_t len)
{
	wfd *e = get(fd);
	ptrdiff_t n;
	if (e == NULL)
		return -1;
	if (!e->overlapped)
		return io(e, buf, len, UINT64_MAX, 0);
	if ((n = io(e, buf, len, e->pos, 0)) > 0)
		e->pos += (uint64_t)n;
	return n;
}

ptrdiff_t kist__os_write(int fd, const void *buf, size_t len)
{
	wfd *e = get(fd);
	ptrdiff_t n;
	LARGE_INTEGER sz;
	if (e == NULL)
		return -1;
	if (!e->overlapped)
		return io(e, (void *)buf, len, UINT64_MAX, 1);
	/* Appending: the offset 0xFFFFFFFF:FFFFFFFF writes at the end, atomically. */
	if ((n = io(e, (void *)buf, len, e->append ? UINT64_MAX : e->pos, 1)) > 0) {
		if (e->mem)
			e->pos = e->append ? e->mlen : e->pos + (uint64_t)n;
		else if (e->append && GetFileSizeEx(e->h, &sz))
			e->pos = (uint64_t)sz.QuadPart;
		else
			e->pos += (uint64_t)n;
	}
	return n;
}

ptrdiff_t kist__os_pread(int fd, void *buf, size_t len, uint64_t off)
{
	wfd *e = get(fd);
	if (e == NULL)
		return -1;
	if (off > (uint64_t)INT64_MAX)
		return fail_errno(EINVAL);
	return io(e, buf, len, off, 0);
}

ptrdiff_t kist__os_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	wfd *e = get(fd);
	if (e == NULL)
		return -1;
	if (off > (uint64_t)INT64_MAX)
		return fail_errno(EINVAL);
	return io(e, (void *)buf, len, off, 1);
}

int64_t kist__os_seek(int fd, int64_t off, int whence)
{
	wfd *e = get(fd);
	LARGE_INTEGER sz;
	int64_t base = 0;
	if (e == NULL)
		return -1;
	if (!e->overlapped) {
		LARGE_INTEGER to, now;
		DWORD m = whence == KIST__OS_SEEK_CUR   ? FILE_CURRENT
		          : whence == KIST__OS_SEEK_END ? FILE_END
		                                        : FILE_BEGIN;
		if (GetFileType(e->h) != FILE_TYPE_DISK)
			return fail_errno(ESPIPE);
		to.QuadPart = off;
		if (!SetFilePointerEx(e->h, to, &now, m))
			return fail_last();
		return now.QuadPart;
	}
	if (whence == KIST__OS_SEEK_CUR)
		base = (int64_t)e->pos;
	else if (whence == KIST__OS_SEEK_END && e->mem)
		base = (int64_t)e->mlen;
	else if (whence == KIST__OS_SEEK_END) {
		if (!GetFileSizeEx(e->h, &sz))
			return fail_last();
		base = sz.QuadPart;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return fail_errno(EINVAL);
	e->pos = (uint64_t)(base + off);
	return (int64_t)e->pos;
}

int kist__os_truncate(int fd, uint64_t size)
{
	wfd *e = get(fd);
	FILE_END_OF_FILE_INFO eof;
	if (e == NULL)
		return -1;
	if (size > (uint64_t)INT64_MAX)
		return fail_errno(EFBIG);
	if (e->mem) {
		if (size > e->mlen) {
			if (size > SIZE_MAX / 2 || mem_reserve(e, (size_t)size) != 0)
				return size > SIZE_MAX / 2 ? fail_errno(EFBIG) : -1;
			memset(e->mbuf + e->mlen, 0, (size_t)size - e->mlen);
		} else if (e->mbuf != NULL) {
			SecureZeroMemory(e->mbuf + size, e->mlen - (size_t)size);
		}
		e->mlen = (size_t)size;
		return 0;
	}
	eof.EndOfFile.QuadPart = (LONGLONG)size;
	if (!SetFileInformationByHandle(e->h, FileEndOfFileInfo, &eof, sizeof eof))
		return fail_last();
	return 0;
}

int kist__os_fsync(int fd)
{
	wfd *e = get(fd);
	if (e == NULL)
		return -1;
	/* No call makes a folder's names durable; nothing written needs flushing on a
	 * descriptor opened for reading (FlushFileBuffers refuses those). */
	if (e->dir || !e->writable || e->mem)
		return 0;
	if (!FlushFileBuffers(e->h)) {
		DWORD err = GetLastError();
		if (err == ERROR_INVALID_HANDLE && GetFileType(e->h) != FILE_TYPE_DISK)
			return 0; /* a console or a pipe */
		return fail_errno(errno_of(err));
	}
	return 0;
}

int kist__os_set_blocking(int fd)
{
	return get(fd) == NULL ? -1 : 0; /* nothing opens without blocking here */
}

void kist__os_advise_sequential(int fd)
{
	(void)fd; /* FILE_FLAG_SEQUENTIAL_SCAN is given at the open, if ever */
}

/* ------------------------------------------------------------ stat */

/* 100 ns steps since 1601 -> seconds and nanoseconds since 1970. */
#define EPOCH_DIFF 116444736000000000LL

static void from_filetime(FILETIME ft, int64_t *sec, uint32_t *nsec)
{
	int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime) - EPOCH_DIFF;
	int64_t s = t / 10000000, r = t % 10000000;
	if (r < 0) {
		r += 10000000;
		s--;
	}
	*sec = s;
	*nsec = (uint32_t)(r * 100);
}

static int to_filetime(int64_t sec, uint32_t nsec, FILETIME *ft)
{
	if (nsec >= 1000000000u || sec < -EPOCH_DIFF / 10000000 ||
	    sec > (INT64_MAX - EPOCH_DIFF) / 10000000 - 1)
		return fail_errno(EINVAL);
	uint64_t t = (uint64_t)(sec * 10000000 + EPOCH_DIFF + nsec / 100);
	ft->dwLowDateTime = (DWORD)t;
	ft->dwHighDateTime = (DWORD)(t >> 32);
	return 0;
}

/* The user running kist, from the process token; malloc()'d. */
static PSID read_sid(void)
{
	HANDLE tok;
	DWORD n = 0;
	TOKEN_USER *tu;
	PSID sid = NULL;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return NULL;
	GetTokenInformation(tok, TokenUser, NULL, 0, &n);
	if (n > 0 && (tu = malloc(n)) != NULL) {
		if (GetTokenInformation(tok, TokenUser, tu, n, &n)) {
			DWORD l = GetLengthSid(tu->User.Sid);
			if ((sid = malloc(l)) != NULL)
				CopySid(l, sid, tu->User.Sid);
		}
		free(tu);
	}
	CloseHandle(tok);
	return sid;
}

static PSID the_sid;
static INIT_ONCE sid_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK init_sid(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	the_sid = read_sid();
	return TRUE;
}

/* The user running kist, read once (never freed): NULL if unknown. */
static PSID my_sid(void)
{
	InitOnceExecuteOnce(&sid_once, init_sid, NULL, NULL);
	return the_sid;
}

static int is_well_known(PSID sid, WELL_KNOWN_SID_TYPE t)
{
	BYTE buf[SECURITY_MAX_SID_SIZE];
	DWORD n = sizeof buf;
	return CreateWellKnownSid(t, NULL, buf, &n) && EqualSid(sid, buf);
}

/* The rights that let nobody read, write or take a file: SYNCHRONIZE, READ_CONTROL,
 * FILE_READ_ATTRIBUTES, FILE_READ_EA. */
#define HARMLESS_RIGHTS (SYNCHRONIZE | READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_READ_EA)

/*
 * Whether dacl keeps a file private to owner: 1 if every ACE that applies to
 * the file itself (not INHERIT_ONLY_ACE) and allows more than HARMLESS_RIGHTS
 * is for the owner, SYSTEM, the Administrators or CREATOR OWNER (which
 * matches nobody on the file itself).  Writing, deleting, changing the DACL
 * or the owner counts as much as reading: whoever may do one may read.  An
 * allowing ACE of another form (object, callback) is not judged: not private.
 * A NULL DACL lets everyone in: not private.
 */
static int dacl_private(PSID owner, PACL dacl)
{
	if (dacl == NULL)
		return 0;
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACE_HEADER *a;
		if (!GetAce(dacl, i, (void **)&a))
			return 0;
		if (a->AceFlags & INHERIT_ONLY_ACE)
			continue;
		if (a->AceType == ACCESS_DENIED_ACE_TYPE || a->AceType == SYSTEM_AUDIT_ACE_TYPE ||
		    a->AceType == SYSTEM_MANDATORY_LABEL_ACE_TYPE)
			continue;
		if (a->AceType != ACCESS_ALLOWED_ACE_TYPE)
			return 0;
		ACCESS_ALLOWED_ACE *x = (ACCESS_ALLOWED_ACE *)a;
		PSID s = (PSID)&x->SidStart;
		if ((x->Mask & ~(ACCESS_MASK)HARMLESS_RIGHTS) == 0)
			continue;
		if ((owner != NULL && EqualSid(s, owner)) || is_well_known(s, WinLocalSystemSid) ||
		    is_well_known(s, WinBuiltinAdministratorsSid) ||
		    is_well_known(s, WinCreatorOwnerSid))
			continue;
		return 0;
	}
	return 1;
}

/*
 * Who owns h and who may use it: *mine if the process's user owns it,
 * *private if its DACL keeps it to the owner, SYSTEM and the Administrators
 * (dacl_private).  Unknown (no READ_CONTROL): neither.
 */
static void owner_and_dacl(HANDLE h, int *mine, int *private_)
{
	PSID owner = NULL, me;
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	*mine = *private_ = 0;
	if (GetSecurityInfo(h, SE_FILE_OBJECT,
	                    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, NULL,
	                    &dacl, NULL, &sd) != ERROR_SUCCESS)
		return;
	if ((me = my_sid()) != NULL)
		*mine = owner != NULL && EqualSid(owner, me);
	*private_ = dacl_private(owner, dacl);
	LocalFree(sd);
}

/* The length of the link h is open on (opened with FILE_FLAG_OPEN_REPARSE_POINT). */
static ptrdiff_t link_target(HANDLE h, char *buf, size_t cap);

static int stat_handle(HANDLE h, kist__os_stat *st, int is_std)
{
	BY_HANDLE_FILE_INFORMATION fi;
	DWORD type = GetFileType(h), tag;
	int mine = 0, priv = 0;

	memset(st, 0, sizeof *st);
	if (type == FILE_TYPE_CHAR || type == FILE_TYPE_PIPE) {
		st->type = type == FILE_TYPE_CHAR ? KIST__OS_DEVICE : KIST__OS_FIFO;
		st->mode = 0600;
		st->nlink = 1;
		return 0;
	}
	if (!GetFileInformationByHandle(h, &fi))
		return fail_last();
	tag = reparse_tag(h, NULL);
	if (tag != 0 && NAME_SURROGATE(tag))
		st->type = KIST__OS_LINK;
	else if (fi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		st->type = KIST__OS_DIR;
	else
		st->type = KIST__OS_FILE;
	st->size = ((uint64_t)fi.nFileSizeHigh << 32) | fi.nFileSizeLow;
	from_filetime(fi.ftLastWriteTime, &st->mtime, &st->mtime_nsec);
	st->dev = fi.dwVolumeSerialNumber;
	st->ino = ((uint64_t)fi.nFileIndexHigh << 32) | fi.nFileIndexLow;
	st->nlink = fi.nNumberOfLinks;
	if (!is_std)
		owner_and_dacl(h, &mine, &priv);
	st->uid = mine ? 0 : 1;
	if (st->type == KIST__OS_DIR)
		st->mode = priv ? 0700 : 0755;
	else
		st->mode = (priv ? 0600 : 0644) &
		           ((fi.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0555 : 0777);
	if (st->type == KIST__OS_LINK) {
		char tmp[4096];
		ptrdiff_t n = link_target(h, tmp, sizeof tmp);
		st->size = n > 0 ? (uint64_t)n : 0;
	}
	return 0;
}

int kist__os_fstat(int fd, kist__os_stat *st)
{
	wfd *e = get(fd);
	if (e == NULL)
		return -1;
	if (e->mem) {
		memset(st, 0, sizeof *st);
		st->type = KIST__OS_FILE;
		st->mode = 0600;
		st->size = e->mlen;
		st->nlink = 1;
		st->ino = (uint64_t)(uintptr_t)e; /* one identity per memory file */
		return 0;
	}
	return stat_handle(e->h, st, e->path == NULL);
}

/* Opens name in dirfd for its attributes only (with FILE_WRITE_ATTRIBUTES if asked). */
static HANDLE open_attr(int dirfd, const char *name, int nofollow, int write_attr)
{
	wchar_t *p = path_at(dirfd, name);
	HANDLE h;
	if (p == NULL)
		return INVALID_HANDLE_VALUE;
	h = CreateFileW(
	    p, FILE_READ_ATTRIBUTES | READ_CONTROL | (write_attr ? FILE_WRITE_ATTRIBUTES : 0),
	    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS | (nofollow ? FILE_FLAG_OPEN_REPARSE_POINT : 0), NULL);
	if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED && !write_attr)
		h = CreateFileW(
		    p, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
		    NULL, OPEN_EXISTING,
		    FILE_FLAG_BACKUP_SEMANTICS | (nofollow ? FILE_FLAG_OPEN_REPARSE_POINT : 0),
		    NULL);
	if (h == INVALID_HANDLE_VALUE)
		fail_last();
	free(p);
	return h;
}

int kist__os_fstatat(int dirfd, const char *name, kist__os_stat *st, int flags)
{
	HANDLE h = open_attr(dirfd, name, (flags & KIST__OS_STAT_NOFOLLOW) != 0, 0);
	int rc;
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	rc = stat_handle(h, st, 0);
	CloseHandle(h);
	return rc;
}

int kist__os_same_file(const kist__os_stat *a, const kist__os_stat *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

int kist__os_is_mine(const kist__os_stat *st)
{
	return st->uid == 0;
}

int kist__os_private_enough(const kist__os_stat *st)
{
	return (st->mode & 077) == 0;
}

/* ----------------------------------------------------- names in folders */

int kist__os_mkdirat(int dirfd, const char *name, unsigned mode)
{
	wchar_t *p = path_at(dirfd, name);
	PSECURITY_DESCRIPTOR sd;
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
	int rc = 0;
	if (p == NULL)
		return -1;
	sa.lpSecurityDescriptor = sd = private_sd(mode);
	if (!CreateDirectoryW(p, &sa))
		rc = fail_last();
	LocalFree(sd);
	free(p);
	return rc;
}

int kist__os_unlinkat(int dirfd, const char *name, int flags)
{
	wchar_t *p = path_at(dirfd, name);
	DWORD a;
	int rc = 0;
	if (p == NULL)
		return -1;
	a = GetFileAttributesW(p);
	if (flags & KIST__OS_REMOVEDIR) {
		if (!RemoveDirectoryW(p))
			rc = fail_last();
	} else if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) &&
	           !(a & FILE_ATTRIBUTE_REPARSE_POINT)) {
		rc = fail_errno(EISDIR);
	} else if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY)) {
		/* A link to a folder, or a junction: removed as a folder, its target kept. */
		if (!RemoveDirectoryW(p))
			rc = fail_last();
	} else if (!DeleteFileW(p)) {
		/* POSIX removes a read-only file too. */
		if (GetLastError() == ERROR_ACCESS_DENIED && a != INVALID_FILE_ATTRIBUTES &&
		    (a & FILE_ATTRIBUTE_READONLY) &&
		    SetFileAttributesW(p, a & ~(DWORD)FILE_ATTRIBUTE_READONLY) && DeleteFileW(p))
			rc = 0;
		else
			rc = fail_last();
	}
	free(p);
	return rc;
}

static int move(int fromdir, const char *from, int todir, const char *to, DWORD how)
{
	wchar_t *a = path_at(fromdir, from), *b = a != NULL ? path_at(todir, to) : NULL;
	int rc = 0;
	if (b == NULL) {
		free(a);
		return -1;
	}
	if (!MoveFileExW(a, b, how | MOVEFILE_WRITE_THROUGH))
		rc = fail_last();
	free(a);
	free(b);
	return rc;
}

int kist__os_renameat(int fromdir, const char *from, int todir, const char *to)
{
	return move(fromdir, from, todir, to, MOVEFILE_REPLACE_EXISTING);
}

int kist__os_rename_noreplace(int dirfd, const char *from, const char *to)
{
	/* Without MOVEFILE_REPLACE_EXISTING an existing name is ERROR_ALREADY_EXISTS: EEXIST,
	 * decided by the file system in one step. */
	return move(dirfd, from, dirfd, to, 0);
}

int kist__os_symlinkat(const char *target, int dirfd, const char *name)
{
	/* Not made on Windows: a link there must say at creation whether it is a
	 * folder's, and most users may not create one.  Extraction warns and skips. */
	(void)target;
	(void)dirfd;
	(void)name;
	return fail_errno(EPERM);
}

/* The reparse data of a symbolic link or a junction (ntifs.h's REPARSE_DATA_BUFFER). */
typedef struct reparse_buf {
	ULONG tag;
	USHORT len, reserved;
	USHORT sub_off, sub_len, print_off, print_len;
	/* symbolic links: ULONG flags; then the names */
} reparse_buf;

static ptrdiff_t link_target(HANDLE h, char *buf, size_t cap)
{
	union {
		reparse_buf r;
		BYTE b[MAXIMUM_REPARSE_DATA_BUFFER_SIZE];
	} u;
	DWORD n = 0;
	const BYTE *names;
	USHORT off, len;
	wchar_t *w;
	int out;

	if (!DeviceIoControl(h, FSCTL_GET_REPARSE_POINT, NULL, 0, &u, sizeof u, &n, NULL))
		return GetLastError() == ERROR_NOT_A_REPARSE_POINT ? fail_errno(EINVAL)
		                                                   : fail_last();
	if (u.r.tag == IO_REPARSE_TAG_SYMLINK)
		names = u.b + sizeof(reparse_buf) + sizeof(ULONG);
	else if (u.r.tag == IO_REPARSE_TAG_MOUNT_POINT)
		names = u.b + sizeof(reparse_buf);
	else
		return fail_errno(EINVAL);
	/* The name as the user gave it (print name), else the substitute. */
	off = u.r.print_len ? u.r.print_off : u.r.sub_off;
	len = u.r.print_len ? u.r.print_len : u.r.sub_len;
	if ((size_t)(names - u.b) + off + len > n || len % 2 != 0)
		return fail_errno(EINVAL);
	if ((w = malloc(len + sizeof *w)) == NULL)
		return fail_errno(ENOMEM);
	memcpy(w, names + off, len);
	w[len / 2] = L'\0';
	for (wchar_t *c = w; *c; c++)
		if (*c == L'\\')
			*c = L'/';
	if (cap == 0) {
		free(w);
		return 0;
	}
	{
		char *u8 = w2u(w);
		free(w);
		if (u8 == NULL)
			return -1;
		size_t l = strlen(u8);
		out = (int)(l < cap ? l : cap); /* cut as readlink does */
		memcpy(buf, u8, (size_t)out);
		free(u8);
	}
	return out;
}

ptrdiff_t kist__os_readlinkat(int dirfd, const char *name, char *buf, size_t cap)
{
	HANDLE h = open_attr(dirfd, name, 1, 0);
	ptrdiff_t n;
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	n = link_target(h, buf, cap);
	CloseHandle(h);
	return n;
}

char *kist__os_realpath(const char *path)
{
	wchar_t *p = path_at(KIST__OS_CWD, path), *f = NULL;
	HANDLE h;
	DWORD n;
	char *out = NULL;

	if (p == NULL)
		return NULL;
	h = CreateFileW(p, FILE_READ_ATTRIBUTES,
	                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	                FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(p);
	if (h == INVALID_HANDLE_VALUE)
		return fail_last(), NULL;
	n = GetFinalPathNameByHandleW(h, NULL, 0, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
	if (n > 0 && (f = malloc(((size_t)n + 1) * sizeof *f)) != NULL &&
	    GetFinalPathNameByHandleW(h, f, n + 1, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS) > 0) {
		const wchar_t *s = f;
		/* As a user writes it: C:\..., \\server\share\... */
		if (wcsncmp(s, L"\\\\?\\UNC\\", 8) == 0) {
			s += 6;
			f[6] = L'\\';
		} else if (wcsncmp(s, L"\\\\?\\", 4) == 0) {
			s += 4;
		}
		if ((out = w2u(s)) != NULL)
			kist__os_path_slashes(out);
	} else if (n == 0) {
		fail_last();
	} else {
		errno = ENOMEM;
	}
	free(f);
	CloseHandle(h);
	return out;
}

void kist__os_path_slashes(char *path)
{
	for (; *path; path++)
		if (*path == '\\')
			*path = '/';
}

/* The end of the next name of p (at '/' or the end). */
static size_t name_end(const char *p, size_t i)
{
	while (p[i] != '\0' && p[i] != '/')
		i++;
	return i;
}

size_t kist__os_path_drive(const char *p)
{
	int letter = (p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z');
	if (letter && p[1] == ':')
		return 2;
	if (p[0] != '/' || p[1] != '/')
		return 0;
	if ((p[2] == '?' || p[2] == '.') && p[3] == '/') {
		if (strncmp(p + 4, "UNC/", 4) != 0) /* "//?/C:", "//./C:", "//?/Volume{...}" */
			return name_end(p, 4);
		size_t server = name_end(p, 8); /* "//?/UNC/server/share" */
		return p[server] == '/' ? name_end(p, server + 1) : server;
	}
	size_t server = name_end(p, 2); /* "//server/share" */
	return p[server] == '/' ? name_end(p, server + 1) : server;
}

int kist__os_fchmod(int fd, unsigned mode)
{
	wfd *e = get(fd);
	FILE_BASIC_INFO bi;
	if (e == NULL)
		return -1;
	if (!GetFileInformationByHandleEx(e->h, FileBasicInfo, &bi, sizeof bi))
		return fail_last();
	DWORD a = bi.FileAttributes;
	if (!e->dir) {
		if (mode & 0200)
			a &= ~(DWORD)FILE_ATTRIBUTE_READONLY;
		else
			a |= FILE_ATTRIBUTE_READONLY;
	}
	if (a == bi.FileAttributes)
		return 0;
	memset(&bi, 0, sizeof bi); /* zero times: unchanged */
	bi.FileAttributes = a ? a : FILE_ATTRIBUTE_NORMAL;
	if (!SetFileInformationByHandle(e->h, FileBasicInfo, &bi, sizeof bi))
		return fail_last();
	return 0;
}

static int set_times(HANDLE h, int64_t sec, uint32_t nsec)
{
	FILETIME ft;
	if (to_filetime(sec, nsec, &ft) != 0)
		return -1;
	if (!SetFileTime(h, NULL, &ft, &ft))
		return fail_last();
	return 0;
}

int kist__os_futimes(int fd, int64_t sec, uint32_t nsec)
{
	wfd *e = get(fd);
	return e == NULL ? -1 : set_times(e->h, sec, nsec);
}

int kist__os_utimes_nofollow(int dirfd, const char *name, int64_t sec, uint32_t nsec)
{
	HANDLE h = open_attr(dirfd, name, 1, 1);
	int rc;
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	rc = set_times(h, sec, nsec);
	CloseHandle(h);
	return rc;
}

int kist__os_folds_case(int dirfd)
{
	wfd *e = get(dirfd == KIST__OS_CWD ? -1 : dirfd);
	struct {
		ULONG Flags;
	} cs;
	if (e == NULL)
		return 1;
	if (GetFileInformationByHandleEx(
	        e->h, (FILE_INFO_BY_HANDLE_CLASS)23 /* FileCaseSensitiveInfo */, &cs, sizeof cs) &&
	    (cs.Flags & FILE_CS_FLAG_CASE_SENSITIVE_DIR))
		return 0;
	return 1;
}

int kist__os_space_free(int dirfd, kist__os_space *sp)
{
	wfd *e = get(dirfd == KIST__OS_CWD ? -1 : dirfd);
	ULARGE_INTEGER avail, total, free_;
	DWORD spc = 0, bps = 0, fc = 0, tc = 0;
	wchar_t vol[MAX_PATH + 1];
	if (e == NULL)
		return -1;
	if (e->path == NULL)
		return fail_errno(ENOTDIR);
	/* The bytes this user may still fill (quotas included). */
	if (!GetDiskFreeSpaceExW(e->path, &avail, &total, &free_))
		return fail_last();
	/* The cluster, from the volume's root. */
	if (GetVolumePathNameW(e->path, vol, MAX_PATH + 1) &&
	    GetDiskFreeSpaceW(vol, &spc, &bps, &fc, &tc) && spc != 0 && bps != 0)
		sp->block = (uint64_t)spc * bps;
	else
		sp->block = 4096;
	sp->blocks_free = avail.QuadPart / sp->block;
	sp->files = 0; /* NTFS, FAT and exFAT have no fixed count of files */
	sp->files_free = 0;
	return 0;
}

/* ----------------------------------------------------- folder listing */

struct kist__os_dir {
	int fd;
	HANDLE find;
	int started, done;
	WIN32_FIND_DATAW fd_data;
	char name[MAX_PATH * 3 + 1];
};

kist__os_dir *kist__os_dir_open(int fd)
{
	wfd *e = get(fd);
	kist__os_dir *d;
	wchar_t *pat;
	size_t n;
	if (e == NULL)
		return NULL;
	if (!e->dir || e->path == NULL)
		return errno = ENOTDIR, NULL;
	n = wcslen(e->path);
	if ((d = calloc(1, sizeof *d)) == NULL || (pat = malloc((n + 3) * sizeof *pat)) == NULL) {
		free(d);
		return errno = ENOMEM, NULL;
	}
	wcscpy(pat, e->path);
	if (n > 0 && pat[n - 1] != L'\\')
		pat[n++] = L'\\';
	pat[n++] = L'*';
	pat[n] = L'\0';
	/* The folder stays open (fd), without FILE_SHARE_DELETE: its path names it. */
	d->find = FindFirstFileExW(pat, FindExInfoBasic, &d->fd_data, FindExSearchNameMatch, NULL,
	                           FIND_FIRST_EX_LARGE_FETCH);
	free(pat);
	if (d->find == INVALID_HANDLE_VALUE) {
		if (GetLastError() != ERROR_FILE_NOT_FOUND) {
			int err = errno_of(GetLastError());
			free(d);
			return errno = err, NULL;
		}
		d->done = 1;
	}
	d->fd = fd;
	return d;
}

int kist__os_dir_next(kist__os_dir *d, const char **name, kist__os_type *type)
{
	for (;;) {
		if (d->done)
			return 0;
		if (d->started && !FindNextFileW(d->find, &d->fd_data)) {
			if (GetLastError() == ERROR_NO_MORE_FILES) {
				d->done = 1;
				return 0;
			}
			return fail_last();
		}
		d->started = 1;
		const wchar_t *w = d->fd_data.cFileName;
		if (wcscmp(w, L".") == 0 || wcscmp(w, L"..") == 0)
			continue;
		if (w2u_buf(w, -1, d->name, sizeof d->name) < 0) {
			if (errno == EILSEQ)
				continue; /* not valid UTF-16 (an unpaired surrogate): no name kist
				             can use */
			return -1;
		}
		break;
	}
	*name = d->name;
	if (type != NULL) {
		DWORD a = d->fd_data.dwFileAttributes;
		if ((a & FILE_ATTRIBUTE_REPARSE_POINT) && NAME_SURROGATE(d->fd_data.dwReserved0))
			*type = KIST__OS_LINK;
		else if (a & FILE_ATTRIBUTE_DIRECTORY)
			*type = KIST__OS_DIR;
		else
			*type = KIST__OS_FILE;
	}
	return 1;
}

void kist__os_dir_close(kist__os_dir *d)
{
	if (d == NULL)
		return;
	if (d->find != INVALID_HANDLE_VALUE && d->find != NULL)
		FindClose(d->find);
	kist__os_close(d->fd);
	free(d);
}

/* ------------------------------------------------------------ locks */

int kist__os_lock(int fd, int flags)
{
	wfd *e = get(fd);
	OVERLAPPED ov;
	DWORD n;
	BOOL ok;
	if (e == NULL)
		return -1;
	if (e->mem)
		return 0; /* nobody else sees it */
	memset(&ov, 0, sizeof ov);
	/* One byte far past any end of file: byte-range locks are mandatory on
	 * Windows, and this one blocks no read of the file. */
	ov.Offset = 0;
	ov.OffsetHigh = 0x7fffffff;
	if ((ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
		return fail_last();
	ok = LockFileEx(e->h,
	                LOCKFILE_EXCLUSIVE_LOCK |
	                    ((flags & KIST__OS_LOCK_NB) ? LOCKFILE_FAIL_IMMEDIATELY : 0),
	                0, 1, 0, &ov);
	if (!ok && GetLastError() == ERROR_IO_PENDING)
		ok = GetOverlappedResult(e->h, &ov, &n, TRUE);
	DWORD err = ok ? 0 : GetLastError();
	CloseHandle(ov.hEvent);
	if (!ok)
		return fail_errno(err == ERROR_LOCK_VIOLATION || err == ERROR_IO_PENDING
		                      ? EWOULDBLOCK
		                      : errno_of(err));
	return 0;
}

int kist__os_lock_dir(int dirfd, int flags)
{
	int fd = kist__os_openat(dirfd, ".kist-lock",
	                         KIST__OS_RDWR | KIST__OS_CREAT | KIST__OS_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (kist__os_lock(fd, flags) != 0) {
		int e = errno;
		kist__os_close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---------------------------------------------------------- patterns */

/* The code point at *s (a byte if not UTF-8), advancing *s. */
static uint32_t next_cp(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t c = p[0];
	int n = c < 0x80             ? 0
	        : (c & 0xe0) == 0xc0 ? 1
	        : (c & 0xf0) == 0xe0 ? 2
	        : (c & 0xf8) == 0xf0 ? 3
	                             : -1;
	if (n <= 0) {
		(*s)++;
		return c;
	}
	c &= 0x3f >> n;
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			(*s)++;
			return p[0];
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*s += n + 1;
	return c;
}

/* A bracket expression at *p ('[' passed): 1 if c is in it, 0 if not, -1 if it is not closed. */
static int bracket(const char **p, uint32_t c)
{
	const char *s = *p;
	int neg = 0, in = 0, first = 1;
	if (*s == '!' || *s == '^') {
		neg = 1;
		s++;
	}
	while (*s != '\0' && (*s != ']' || first)) {
		uint32_t lo, hi;
		first = 0;
		if (*s == '\\' && s[1] != '\0')
			s++;
		lo = next_cp(&s);
		hi = lo;
		if (*s == '-' && s[1] != ']' && s[1] != '\0') {
			s++;
			if (*s == '\\' && s[1] != '\0')
				s++;
			hi = next_cp(&s);
		}
		if (lo <= c && c <= hi)
			in = 1;
	}
	if (*s != ']')
		return -1;
	*p = s + 1;
	return in != neg;
}

static int match(const char *p, const char *s)
{
	while (*p != '\0') {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return 1;
			for (const char *t = s;;) {
				if (match(p, t))
					return 1;
				if (*t == '\0')
					return 0;
				next_cp(&t);
			}
		}
		if (*s == '\0')
			return 0;
		if (*p == '?') {
			p++;
			next_cp(&s);
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1, *t = s;
			int r = bracket(&q, next_cp(&t));
			if (r >= 0) {
				if (!r)
					return 0;
				p = q;
				s = t;
				continue;
			}
			/* An unclosed '[' is itself. */
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *s == '\0';
}

int kist__os_fnmatch(const char *pattern, const char *name)
{
	return match(pattern, name) ? 0 : 1;
}

/* ------------------------------------------------ memory, processors */

int kist__os_data_path(const char *sub, char *out, size_t cap)
{
	const wchar_t *w = _wgetenv(L"LOCALAPPDATA");
	int n;
	if (w == NULL || w[0] == L'\0')
		return fail_errno(ENOENT);
	if ((n = w2u_buf(w, -1, out, cap)) < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (out[i] == '\\')
			out[i] = '/';
	int m = snprintf(out + n, cap - (size_t)n, "/kist/%s", sub);
	if (m < 0 || (size_t)m >= cap - (size_t)n)
		return fail_errno(ENAMETOOLONG);
	return 0;
}

size_t kist__os_heap_size(void *block)
{
	return _msize(block);
}

void *kist__os_alloc_huge(size_t size)
{
	return malloc(size ? size : 1); /* large pages need a privilege: plain pages */
}

unsigned kist__os_cpu_count(void)
{
	DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
	return n < 1 ? 1 : n > 4096 ? 4096 : (unsigned)n;
}

/* ------------------------------------------------------- the process */

static void (*volatile interrupt_fn)(void);
static volatile LONG interrupted; /* an interrupt came (kist__os_run_quietly stops its child) */

static BOOL WINAPI on_ctrl(DWORD ev)
{
	switch (ev) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
	case CTRL_LOGOFF_EVENT:
	case CTRL_SHUTDOWN_EVENT:
		InterlockedExchange(&interrupted, 1);
		if (interrupt_fn != NULL)
			interrupt_fn();
		return TRUE;
	}
	return FALSE;
}

int kist__os_on_interrupt(void (*fn)(void))
{
	interrupt_fn = fn;
	return SetConsoleCtrlHandler(on_ctrl, TRUE) ? 0 : -1;
}

void kist__os_harden_process(void)
{
	/* No error dialog, no Windows Error Reporting dump of a crash. */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
	/* Called once at the start of the tool: the console speaks UTF-8 (what
	 * kist prints is UTF-8), and the C library's standard streams are binary
	 * (kist cat writes a file's bytes; no "\n" becomes "\r\n"). */
	SetConsoleOutputCP(CP_UTF8);
	SetConsoleCP(CP_UTF8);
	_setmode(_fileno(stdin), _O_BINARY);
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stderr), _O_BINARY);
}

void kist__os_exit_now(int status)
{
	TerminateProcess(GetCurrentProcess(), (UINT)status);
	ExitProcess((UINT)status); /* not reached */
}

int kist__os_utf8_args(int *argc, char ***argv)
{
	int n = 0;
	wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
	char **out = NULL;
	int err = ENOMEM;
	if (w == NULL)
		return fail_last();
	if (n < 0 || (out = calloc((size_t)n + 1, sizeof *out)) == NULL)
		goto fail;
	for (int i = 0; i < n; i++)
		if ((out[i] = w2u(w[i])) == NULL) {
			err = errno;
			goto fail;
		}
	LocalFree(w);
	*argc = n;
	*argv = out; /* for the life of the process, as main()'s own */
	return 0;
fail:
	if (out != NULL)
		for (int i = 0; i < n; i++)
			free(out[i]);
	free(out);
	LocalFree(w);
	return fail_errno(err);
}

/* ------------------------------------------------------- the terminal */

int kist__os_isatty(int fd)
{
	wfd *e = get(fd);
	DWORD m;
	return e != NULL && GetFileType(e->h) == FILE_TYPE_CHAR && GetConsoleMode(e->h, &m);
}

int kist__os_tty_open(void)
{
	wfd e;
	int fd;
	memset(&e, 0, sizeof e);
	e.h = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
	                  FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	if (e.h == INVALID_HANDLE_VALUE)
		return fail_errno(ENXIO);
	e.out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE,
	                    FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
	if (e.out == INVALID_HANDLE_VALUE) {
		CloseHandle(e.h);
		return fail_errno(ENXIO);
	}
	e.writable = 1;
	if ((fd = put(&e)) < 0) {
		CloseHandle(e.h);
		CloseHandle(e.out);
	}
	return fd;
}

/* Writes UTF-8 text to the console out. */
static void con_write(HANDLE out, const char *s)
{
	wchar_t *w = u2w(s);
	DWORD n;
	if (w != NULL) {
		WriteConsoleW(out, w, (DWORD)wcslen(w), &n, NULL);
		free(w);
	}
}

int kist__os_tty_read_line(int tty, const char *prompt, char *buf, size_t cap, size_t *len,
                           int echo)
{
	wfd *e = get(tty);
	DWORD old = 0, n = 0;
	wchar_t w[1024];
	size_t wn = 0;
	int err = 0, r;

	*len = 0;
	if (e == NULL)
		return -1;
	if (cap == 0)
		return fail_errno(E2BIG);
	if (e->out == NULL || !GetConsoleMode(e->h, &old))
		return fail_errno(ENOTTY);
	/* Echo off before the prompt, so nothing typed early is shown. */
	if (!echo)
		SetConsoleMode(e->h, (old | ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT) &
		                         ~(DWORD)ENABLE_ECHO_INPUT);
	con_write(e->out, prompt);
	for (;;) {
		wchar_t c;
		if (!ReadConsoleW(e->h, &c, 1, &n, NULL)) {
			err = GetLastError() == ERROR_OPERATION_ABORTED ? EINTR : EIO;
			break;
		}
		if (n == 0) {
			err = EINTR; /* Ctrl-C ends the read with nothing */
			break;
		}
		if (c == L'\r')
			continue;
		if (c == L'\n')
			break;
		if (wn + 1 >= sizeof w / sizeof w[0]) {
			err = E2BIG; /* the rest of the line is read and dropped */
			continue;
		}
		w[wn++] = c;
	}
	if (!echo) {
		SetConsoleMode(e->h, old);
		con_write(e->out, "\r\n");
	}
	if (err == 0) {
		r = w2u_buf(w, (int)wn, buf, cap - 1);
		if (r < 0)
			err = errno;
		else
			*len = (size_t)r;
	}
	SecureZeroMemory(w, sizeof w); /* a passphrase */
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------- what the call sites added */

FILE *kist__os_fopen(const char *path, const char *mode)
{
	wchar_t *p = u2w(path), wm[16];
	size_t n = strlen(mode);
	FILE *f;
	if (p == NULL)
		return NULL;
	if (n > 8) {
		free(p);
		return errno = EINVAL, NULL;
	}
	for (size_t i = 0; i < n; i++)
		wm[i] = (wchar_t)(unsigned char)mode[i];
	wm[n] = L'N'; /* not inherited by child processes (glibc's "e") */
	wm[n + 1] = L'\0';
	f = _wfopen(p, wm);
	free(p);
	return f;
}

ptrdiff_t kist__os_copy_range(int in, uint64_t *in_off, int out, size_t len)
{
	(void)in;
	(void)in_off;
	(void)out;
	(void)len;
	return fail_errno(ENOSYS);
}

int kist__os_sync_fs(int fd)
{
	return kist__os_fsync(fd);
}

int kist__os_exists_at(int dirfd, const char *name)
{
	wchar_t *p = path_at(dirfd, name);
	DWORD a;
	if (p == NULL)
		return 0;
	a = GetFileAttributesW(p); /* a link's own attributes: not followed */
	free(p);
	return a != INVALID_FILE_ATTRIBUTES;
}

/* Opens path (following links) with access; 1 if that is granted. */
static int may_open(const char *path, DWORD access)
{
	wchar_t *p = path_at(KIST__OS_CWD, path);
	HANDLE h;
	if (p == NULL)
		return 0;
	h = CreateFileW(p, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
	                OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(p);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	CloseHandle(h);
	return 1;
}

int kist__os_exists(const char *path)
{
	return may_open(path, FILE_READ_ATTRIBUTES);
}

int kist__os_can_write(const char *path)
{
	kist__os_stat st;
	if (kist__os_fstatat(KIST__OS_CWD, path, &st, 0) != 0)
		return 0;
	/* A folder: may a file be added?  A file: may it be written? */
	return may_open(path, st.type == KIST__OS_DIR ? FILE_ADD_FILE : FILE_WRITE_DATA);
}

int kist__os_can_execute(const char *path)
{
	kist__os_stat st;
	return kist__os_fstatat(KIST__OS_CWD, path, &st, 0) == 0 && st.type == KIST__OS_FILE &&
	       may_open(path, FILE_EXECUTE);
}

char kist__os_path_list_sep(void)
{
	return ';';
}

void kist__os_sleep_ms(unsigned ms)
{
	Sleep(ms);
}

/* A name no other process is likely to pick: the process id, a counter, the clock. */
static void unique_suffix(char *out, size_t cap)
{
	static volatile LONG counter;
	LARGE_INTEGER t;
	QueryPerformanceCounter(&t);
	snprintf(out, cap, "%lx%lx%llx", (unsigned long)GetCurrentProcessId(),
	         (unsigned long)InterlockedIncrement(&counter), (unsigned long long)t.QuadPart);
}

int kist__os_nameless_file(const char *dir)
{
	char name[4096 + 64], sfx[64];
	for (int tries = 0; tries < 100; tries++) {
		unique_suffix(sfx, sizeof sfx);
		int n = dir == NULL ? snprintf(name, sizeof name, ".kist-whole-%s", sfx)
		                    : snprintf(name, sizeof name, "%s/.kist-whole-%s", dir, sfx);
		if (n < 0 || (size_t)n >= sizeof name)
			return fail_errno(ENAMETOOLONG);
		wchar_t *p = path_at(KIST__OS_CWD, name);
		if (p == NULL)
			return -1;
		/* Hidden, and deleted when the last handle closes: nothing left on a crash. */
		HANDLE h = CreateFileW(p, GENERIC_READ | GENERIC_WRITE | DELETE,
		                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
		                       CREATE_NEW,
		                       FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_TEMPORARY |
		                           FILE_FLAG_DELETE_ON_CLOSE | FILE_FLAG_OVERLAPPED,
		                       NULL);
		if (h == INVALID_HANDLE_VALUE) {
			DWORD err = GetLastError();
			free(p);
			if (err == ERROR_FILE_EXISTS)
				continue;
			return fail_errno(errno_of(err));
		}
		wfd e;
		memset(&e, 0, sizeof e);
		e.h = h;
		e.overlapped = 1;
		e.writable = 1;
		e.path = p;
		int fd = put(&e);
		if (fd < 0) {
			CloseHandle(h);
			free(p);
		}
		return fd;
	}
	return fail_errno(EEXIST);
}

int kist__os_memory_file(const char *name)
{
	wfd e;
	(void)name;
	memset(&e, 0, sizeof e);
	e.mem = 1;
	e.overlapped = 1; /* positions are kept here, as for files */
	e.writable = 1;
	e.h = NULL;
	return put(&e);
}

int kist__os_make_private_dir(char *tmpl)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = strlen(tmpl);
	char sfx[64];
	if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0)
		return fail_errno(EINVAL);
	for (int tries = 0; tries < 100; tries++) {
		unique_suffix(sfx, sizeof sfx);
		unsigned long long h = 1469598103934665603ULL;
		for (const char *c = sfx; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
		for (int i = 0; i < 6; i++, h /= 36)
			tmpl[n - 6 + i] = chars[h % 36];
		if (kist__os_mkdirat(KIST__OS_CWD, tmpl, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return fail_errno(EEXIST);
}

char *kist__os_strndup(const char *s, size_t n)
{
	size_t l = 0;
	char *d;
	while (l < n && s[l] != '\0')
		l++;
	if ((d = malloc(l + 1)) == NULL)
		return NULL;
	memcpy(d, s, l);
	d[l] = '\0';
	return d;
}

void *kist__os_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const unsigned char *h = hay;
	if (nlen == 0)
		return (void *)hay;
	for (size_t i = 0; hlen >= nlen && i <= hlen - nlen; i++)
		if (h[i] == *(const unsigned char *)needle && memcmp(h + i, needle, nlen) == 0)
			return (void *)(h + i);
	return NULL;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

char *kist__os_strcasestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay != '\0' || n == 0; hay++) {
		size_t i = 0;
		while (i < n && hay[i] != '\0' &&
		       lower((unsigned char)hay[i]) == lower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return (char *)hay;
		if (*hay == '\0')
			break;
	}
	return NULL;
}

struct tm *kist__os_gmtime(const time_t *t, struct tm *out)
{
	return gmtime_s(out, t) == 0 ? out : NULL;
}

/* Appends arg to the command line cmd (MSVC's quoting: CommandLineToArgvW reads it back). */
static void quote_arg(wchar_t *cmd, size_t *n, const wchar_t *arg)
{
	size_t k = *n;
	cmd[k++] = L'"';
	for (const wchar_t *a = arg;; a++) {
		size_t bs = 0;
		while (*a == L'\\') {
			a++;
			bs++;
		}
		if (*a == L'\0') {
			for (size_t i = 0; i < bs * 2; i++)
				cmd[k++] = L'\\';
			break;
		}
		if (*a == L'"') {
			for (size_t i = 0; i < bs * 2 + 1; i++)
				cmd[k++] = L'\\';
		} else {
			for (size_t i = 0; i < bs; i++)
				cmd[k++] = L'\\';
		}
		cmd[k++] = *a;
	}
	cmd[k++] = L'"';
	cmd[k++] = L' ';
	*n = k;
}

/* This process's environment with TMP and TEMP set to tmp (a block for CreateProcessW). */
static wchar_t *env_with_tmp(const wchar_t *tmp)
{
	wchar_t *env = GetEnvironmentStringsW(), *out, *o;
	size_t total = 0, tl = wcslen(tmp);
	if (env == NULL)
		return NULL;
	for (const wchar_t *v = env; *v; v += wcslen(v) + 1)
		total += wcslen(v) + 1;
	if ((out = malloc((total + 2 * (tl + 8) + 1) * sizeof *out)) == NULL) {
		FreeEnvironmentStringsW(env);
		return NULL;
	}
	o = out;
	for (const wchar_t *v = env; *v; v += wcslen(v) + 1) {
		if (_wcsnicmp(v, L"TMP=", 4) == 0 || _wcsnicmp(v, L"TEMP=", 5) == 0)
			continue;
		wcscpy(o, v);
		o += wcslen(v) + 1;
	}
	o += swprintf(o, tl + 8, L"TMP=%ls", tmp) + 1;
	o += swprintf(o, tl + 8, L"TEMP=%ls", tmp) + 1;
	*o = L'\0';
	FreeEnvironmentStringsW(env);
	return out;
}

int kist__os_run_quietly(const char *exe, char *const argv[], const char *tmpdir, int *status)
{
	wchar_t *wexe = u2w(exe), *wtmp = u2w(tmpdir), *cmd = NULL, *env = NULL, **wargs = NULL;
	size_t argc = 0, len = 0, n = 0;
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
	HANDLE nul = INVALID_HANDLE_VALUE, job = NULL;
	int rc = -1, err = ENOMEM;

	*status = -1;
	memset(&pi, 0, sizeof pi);
	while (argv[argc] != NULL)
		argc++;
	if (wexe == NULL || wtmp == NULL || (wargs = calloc(argc + 1, sizeof *wargs)) == NULL)
		goto out;
	for (size_t i = 0; i < argc; i++) {
		if ((wargs[i] = u2w(argv[i])) == NULL)
			goto out;
		len += wcslen(wargs[i]) * 2 + 3;
	}
	if ((cmd = malloc((len + 1) * sizeof *cmd)) == NULL || (env = env_with_tmp(wtmp)) == NULL)
		goto out;
	for (size_t i = 0; i < argc; i++)
		quote_arg(cmd, &n, wargs[i]);
	cmd[n ? n - 1 : 0] = L'\0';
	/* Its standard streams on NUL; every process it starts in one job, stopped together. */
	nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
	                  &sa, OPEN_EXISTING, 0, NULL);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = si.hStdOutput = si.hStdError = nul;
	job = CreateJobObjectW(NULL, NULL);
	if (!CreateProcessW(wexe, cmd, NULL, NULL, TRUE,
	                    CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW, env,
	                    NULL, &si, &pi)) {
		err = errno_of(GetLastError());
		goto out;
	}
	if (job != NULL)
		AssignProcessToJobObject(job, pi.hProcess);
	ResumeThread(pi.hThread);
	for (;;) {
		DWORD w = WaitForSingleObject(pi.hProcess, 100);
		if (w == WAIT_OBJECT_0)
			break;
		if (interrupted) {
			/* An interrupt: stop the whole job, wait for it, report it. */
			if (job != NULL)
				TerminateJobObject(job, 1);
			else
				TerminateProcess(pi.hProcess, 1);
			WaitForSingleObject(pi.hProcess, INFINITE);
			err = EINTR;
			goto out;
		}
	}
	{
		DWORD code;
		*status = GetExitCodeProcess(pi.hProcess, &code) ? (int)code : -1;
	}
	rc = 0;
out:
	if (pi.hProcess != NULL)
		CloseHandle(pi.hProcess);
	if (pi.hThread != NULL)
		CloseHandle(pi.hThread);
	if (job != NULL)
		CloseHandle(job);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (wargs != NULL)
		for (size_t i = 0; i < argc; i++)
			free(wargs[i]);
	free(wargs);
	free(wexe);
	free(wtmp);
	free(cmd);
	free(env);
	if (rc != 0)
		errno = err;
	return rc;
}
