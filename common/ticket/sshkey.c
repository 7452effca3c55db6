/* OpenSSH public keys and SHA256 fingerprints (see sshkey.h).  Parsing is
 * strict: standard base64 with correct padding, the blob in the exact wire
 * form of its type, nothing after it.  Only the fingerprint is kept. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "util/b64.h"
#include "ticket/sshkey.h"

#define SSH_BLOB_MAX  8192            /* an RSA-16384 key is ~2 KiB */
#define PUB_FILE_MAX  16384

static int b64_value(unsigned char c)
{
    return dlg_b64_digit(c, '+', '/');
}

bool dlg_ssh_fp_valid(const char *s)
{
    size_t i, plen = sizeof(DLG_SSH_FP_PREFIX) - 1;
    int v = 0;

    if (!s || strncmp(s, DLG_SSH_FP_PREFIX, plen) != 0 || strlen(s) != plen + 43)
        return false;
    for (i = plen; i < plen + 43; i++) {
        v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return false;
    }
    /* 43 characters carry 258 bits: the last 2 must be zero */
    return (v & 0x03) == 0;
}

/* Standard base64 with '=' padding (as in .pub files and SSH_AUTH_INFO_0).
 * Returns the decoded length, or -1. */
static long b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t i, o = 0, pad = 0;
    uint32_t acc = 0;

    if (len == 0 || len % 4 != 0)
        return -1;
    if (in[len - 1] == '=')
        pad++;
    if (in[len - 2] == '=')
        pad++;
    if ((len / 4) * 3 - pad > cap)
        return -1;
    for (i = 0; i < len; i++) {
        int v;

        if (i >= len - pad) {
            if (in[i] != '=')
                return -1;
            v = 0;
        } else {
            v = b64_value((unsigned char)in[i]);
            if (v < 0)
                return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (i % 4 == 3) {
            unsigned char b[3] = { (unsigned char)(acc >> 16), (unsigned char)(acc >> 8),
                                   (unsigned char)acc };
            size_t n = i == len - 1 ? 3 - pad : 3;

            /* the bits under the padding must be zero (canonical form) */
            if (i == len - 1 && ((pad == 1 && b[2]) || (pad == 2 && (b[1] || b[2]))))
                return -1;
            memcpy(out + o, b, n);
            o += n;
            acc = 0;
        }
    }
    return (long)o;
}

/* RFC 4251 string: uint32 length, bytes.  Advances *p. */
static int get_string(const unsigned char **p, const unsigned char *end, const unsigned char **s,
                      size_t *n)
{
    uint32_t len;

    if (end - *p < 4)
        return -1;
    len = ((uint32_t)(*p)[0] << 24) | ((uint32_t)(*p)[1] << 16) | ((uint32_t)(*p)[2] << 8) |
          (uint32_t)(*p)[3];
    *p += 4;
    if ((size_t)(end - *p) < len)
        return -1;
    *s = *p;
    *n = len;
    *p += len;
    return 0;
}

static bool str_is(const unsigned char *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* A positive mpint in its minimal form. */
static int get_mpint(const unsigned char **p, const unsigned char *end, size_t max)
{
    const unsigned char *s;
    size_t n;

    if (get_string(p, end, &s, &n) != 0 || n == 0 || n > max)
        return -1;
    if (s[0] & 0x80)
        return -1;                          /* negative */
    if (s[0] == 0 && (n == 1 || !(s[1] & 0x80)))
        return -1;                          /* zero, or a needless leading zero */
    return 0;
}

static const struct {
    const char *type, *curve;
    size_t point_len;
} ecdsa_types[] = {
    { "ecdsa-sha2-nistp256", "nistp256", 65 },
    { "ecdsa-sha2-nistp384", "nistp384", 97 },
    { "ecdsa-sha2-nistp521", "nistp521", 133 },
};

bool dlg_ssh_type_supported(const char *type)
{
    size_t i;

    if (!type)
        return false;
    if (strcmp(type, "ssh-ed25519") == 0 || strcmp(type, "ssh-rsa") == 0)
        return true;
    for (i = 0; i < sizeof(ecdsa_types) / sizeof(ecdsa_types[0]); i++)
        if (strcmp(type, ecdsa_types[i].type) == 0)
            return true;
    return false;
}

/* The blob is the exact wire form of a key of type `type`. */
static bool blob_ok(const char *type, const unsigned char *blob, size_t len)
{
    const unsigned char *p = blob, *end = blob + len, *s;
    size_t n, i;

    if (get_string(&p, end, &s, &n) != 0 || !str_is(s, n, type))
        return false;
    if (strcmp(type, "ssh-ed25519") == 0) {
        if (get_string(&p, end, &s, &n) != 0 || n != 32)
            return false;
    } else if (strcmp(type, "ssh-rsa") == 0) {
        if (get_mpint(&p, end, 5) != 0 || get_mpint(&p, end, 2049) != 0)
            return false;
    } else {
        for (i = 0; i < sizeof(ecdsa_types) / sizeof(ecdsa_types[0]); i++)
            if (strcmp(type, ecdsa_types[i].type) == 0)
                break;
        if (i == sizeof(ecdsa_types) / sizeof(ecdsa_types[0]))
            return false;
        if (get_string(&p, end, &s, &n) != 0 || !str_is(s, n, ecdsa_types[i].curve))
            return false;
        if (get_string(&p, end, &s, &n) != 0 || n != ecdsa_types[i].point_len || s[0] != 0x04)
            return false;
    }
    return p == end;
}

static void fp_of_blob(const unsigned char *blob, size_t len, char fp[DLG_SSH_FP_LEN])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned char enc[48];
    int n;

    SHA256(blob, len, md);
    n = EVP_EncodeBlock(enc, md, sizeof(md));     /* 44 chars, one '=' */
    memcpy(fp, DLG_SSH_FP_PREFIX, sizeof(DLG_SSH_FP_PREFIX) - 1);
    memcpy(fp + sizeof(DLG_SSH_FP_PREFIX) - 1, enc, (size_t)(n - 1));
    fp[sizeof(DLG_SSH_FP_PREFIX) - 1 + (size_t)(n - 1)] = '\0';
}

/* Decode and check "TYPE BASE64"; with fp, also the fingerprint. */
static int check_key(const char *type, size_t type_len, const char *b64, size_t b64_len,
                     char *fp)
{
    unsigned char *blob;
    char tname[32];
    long n;
    int rc = -1;

    if (!type || !b64 || type_len == 0 || type_len >= sizeof(tname) ||
        b64_len > (SSH_BLOB_MAX / 3 + 1) * 4)
        return -1;
    memcpy(tname, type, type_len);
    tname[type_len] = '\0';
    if (strlen(tname) != type_len || !dlg_ssh_type_supported(tname))
        return -1;
    blob = malloc(SSH_BLOB_MAX);
    if (!blob)
        return -1;
    n = b64_decode(b64, b64_len, blob, SSH_BLOB_MAX);
    if (n > 0 && blob_ok(tname, blob, (size_t)n)) {
        if (fp)
            fp_of_blob(blob, (size_t)n, fp);
        rc = 0;
    }
    free(blob);
    return rc;
}

int dlg_ssh_fingerprint(const char *type, size_t type_len, const char *b64, size_t b64_len,
                        char fp[DLG_SSH_FP_LEN])
{
    return check_key(type, type_len, b64, b64_len, fp);
}

bool dlg_ssh_key_valid(const char *type, const char *b64)
{
    return type && b64 && check_key(type, strlen(type), b64, strlen(b64), NULL) == 0;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int dlg_ssh_pubkey_line_fp(const char *line, size_t len, char fp[DLG_SSH_FP_LEN], char *err,
                           size_t errlen)
{
    const char *p = line, *end = line + len, *type, *b64;
    size_t tlen, blen, i;

    if (!line)
        return set_err(err, errlen, "no key"), -1;
    if (len > 0 && end[-1] == '\n')
        end--;
    if (end > p && end[-1] == '\r')
        end--;
    for (i = 0; p + i < end; i++)
        if (p[i] == '\0' || p[i] == '\n' || p[i] == '\r')
            return set_err(err, errlen, "not a single public key line"), -1;
    while (p < end && is_blank(*p))
        p++;
    type = p;
    while (p < end && !is_blank(*p))
        p++;
    tlen = (size_t)(p - type);
    while (p < end && is_blank(*p))
        p++;
    b64 = p;
    while (p < end && !is_blank(*p))
        p++;
    blen = (size_t)(p - b64);
    /* the rest is the comment */
    if (tlen == 0 || blen == 0)
        return set_err(err, errlen, "not an OpenSSH public key line (TYPE BASE64 [COMMENT])"), -1;
    {
        char tname[32];

        if (tlen >= sizeof(tname))
            return set_err(err, errlen, "unsupported key type"), -1;
        memcpy(tname, type, tlen);
        tname[tlen] = '\0';
        if (!dlg_ssh_type_supported(tname))
            return set_err(err, errlen, "unsupported key type (ssh-ed25519, ecdsa-sha2-nistp256/"
                                        "384/521 or ssh-rsa)"), -1;
    }
    if (dlg_ssh_fingerprint(type, tlen, b64, blen, fp) != 0)
        return set_err(err, errlen, "the key data is not valid base64 of a key of that type"), -1;
    return 0;
}

int dlg_ssh_pubkey_file_fp(const char *path, char fp[DLG_SSH_FP_LEN], char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t off = 0;
    int fd, rc = -1;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        set_err(err, errlen, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        st.st_size > PUB_FILE_MAX) {
        set_err(err, errlen, "not a regular file of 1 byte to 16 KiB");
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    while (off < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (off != (size_t)st.st_size) {
        set_err(err, errlen, "short read");
        goto out;
    }
    rc = dlg_ssh_pubkey_line_fp(buf, off, fp, err, errlen);
out:
    free(buf);
    close(fd);
    return rc;
}

int dlg_ssh_auth_info_fps(const char *info, struct dlg_strv *out)
{
    static const char method[] = "publickey ";
    const char *line, *next, *end, *type, *sp, *b64, *b64_end;
    char fp[DLG_SSH_FP_LEN];

    for (line = info; line && *line; line = next) {
        const char *nl = strchr(line, '\n');

        next = nl ? nl + 1 : line + strlen(line);
        end = nl ? nl : next;
        if (strncmp(line, method, sizeof(method) - 1) != 0)
            continue;
        type = line + sizeof(method) - 1;
        sp = memchr(type, ' ', (size_t)(end - type));
        if (!sp)
            continue;
        b64 = sp + 1;
        /* a key line may carry extra method info after another space */
        b64_end = memchr(b64, ' ', (size_t)(end - b64));
        if (!b64_end)
            b64_end = end;
        if (dlg_ssh_fingerprint(type, (size_t)(sp - type), b64, (size_t)(b64_end - b64), fp) != 0)
            continue;           /* a certificate, an unsupported type: no key of ours */
        if (dlg_strv_contains(out, fp))
            continue;
        if (out->n >= DLG_SSH_AUTH_KEYS_MAX)
            break;
        if (dlg_strv_push(out, fp) != 0)
            return -1;
    }
    return (int)out->n;
}
