/* Error names. */
#include "base/base.h"

const char *kist_strerror(kist_err err)
{
	switch (err) {
	case KIST_OK:
		return "success";
	case KIST_E_ARG:
		return "invalid argument";
	case KIST_E_NOMEM:
		return "out of memory";
	case KIST_E_IO:
		return "input/output error";
	case KIST_E_NOSPACE:
		return "no space left (disk full or file size limit)";
	case KIST_E_EXISTS:
		return "output already exists";
	case KIST_E_NOTFOUND:
		return "no such entry in the vault";
	case KIST_E_FORMAT:
		return "not a kist vault, or an unsupported version";
	case KIST_E_CORRUPT:
		return "integrity check failed: the vault is damaged or was tampered with";
	case KIST_E_SIGNATURE:
		return "signature check failed";
	case KIST_E_UNSAFE:
		return "unsafe path refused";
	case KIST_E_NOACCESS:
		return "no identity given can open this vault";
	case KIST_E_PASSPHRASE:
		return "wrong passphrase";
	case KIST_E_KEYPERM:
		return "identity file is accessible by group or others (chmod 600 it)";
	case KIST_E_BADKEY:
		return "malformed key";
	case KIST_E_LIMIT:
		return "a size or count limit was exceeded";
	case KIST_E_INPUT:
		return "input cannot be sealed";
	case KIST_E_CRYPTO:
		return "cryptographic library failure";
	case KIST_E_INTERRUPTED:
		return "interrupted";
	}
	return "unknown error";
}
