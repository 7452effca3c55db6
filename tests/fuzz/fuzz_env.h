/* Shared fixture of the fuzz harnesses: a private trusted temp dir holding
 * the fixed test keys of tests/fuzz/keys (so committed seed tickets verify),
 * a config that uses every issuer/actor feature, and a fixed clock. */
#ifndef DLG_FUZZ_ENV_H
#define DLG_FUZZ_ENV_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "config/config.h"
#include "decision/keys.h"

/* The fixed "now" of every harness and of the seed tickets. */
#define FUZZ_NOW 1800000000LL

struct fuzz_env {
    char *dir;                  /* /tmp/dlgfuzz.XXXXXX, removed at exit */
    struct dlg_config *cfg;
    struct dlg_keyring kr;
    EVP_PKEY *ed, *ec, *rsa;    /* private keys, for harnesses that sign */
};

/* Set up once per process (aborts on failure: never the thing under test). */
struct fuzz_env *fuzz_env_get(void);
/* dir/name on the heap. */
char *fuzz_env_path(const char *name);
/* Write bytes to dir/name (mode 0644), replacing the file. 0 or -1. */
int fuzz_env_write(const char *name, const void *data, size_t len);
/* Replace every "@KEYDIR@" in data by the fixture dir; heap, NUL-terminated. */
char *fuzz_env_expand(const uint8_t *data, size_t len, size_t *outlen);

#endif
