/* N NSS lookups in one process across config reloads: by name, by id,
 * groups, shadow, initgroups and enumeration, with the config rewritten
 * (atomically and in place) every 100 lookups so the module reloads.
 * Links the module's objects (like tests/nss); run by test_nss_cycles.sh
 * under valgrind.  Usage: nss_cycles DIR N */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nss_cache.h"
#include "nss_delegate.h"

static char conf[4096];

static void write_config(int gen)
{
    char tmp[4200], text[2048];
    int fd, len;

    len = snprintf(text, sizeof(text),
        "version = 1;\n"
        "issuers = ( { id = \"corp\"; algorithms = [\"EdDSA\"]; principals = [\"*\"];\n"
        "  keys = ( { kid = \"k\"; file = \"/nonexistent/k.pub\"; } ); } );\n"
        "accounts = { group = \"delegated\"; gid = 62000; uid_min = 62001; uid_max = 62999; };\n"
        "actors = (\n"
        "  { name = \"ci-deploy\"; uid = 62001; comment = \"gen %d\"; groups = [\"deployers\"];\n"
        "    principals = [\"*\"]; services = [\"sshd\"]; },\n"
        "  { name = \"bot%d\"; uid = %d; principals = [\"*\"]; services = [\"sudo\"]; }\n"
        ");\n"
        "groups = ( { name = \"deployers\"; gid = 62100; } );\n"
        "%s\n",
        gen, gen % 7, 62002 + gen % 7,
        gen % 3 == 2 ? "revoke = { actors = [\"ci-deploy\"]; };" : "");
    snprintf(tmp, sizeof(tmp), "%s.tmp", conf);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, (size_t)len) != len || fchmod(fd, 0644) != 0 || close(fd) != 0 ||
        rename(tmp, conf) != 0) {
        perror(tmp);
        exit(2);
    }
}

static void fds(char *buf, size_t len)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    size_t off = 0;
    int self = dirfd(d);

    buf[0] = '\0';
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || atoi(de->d_name) == self)
            continue;
        off += (size_t)snprintf(buf + off, len - off, "%s,", de->d_name);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    char before[4096], after[4096], buf[1024], name[32];
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    int i, n, err, bad = 0, found = 0, notfound = 0;
    enum nss_status s;

    if (argc != 3) {
        fprintf(stderr, "usage: %s DIR N\n", argv[0]);
        return 2;
    }
    snprintf(conf, sizeof(conf), "%s/delegate.conf", argv[1]);
    n = atoi(argv[2]);
    write_config(0);
    nss_delegate_set_config_path(conf);
    s = _nss_delegate_getpwnam_r("ci-deploy", &pw, buf, sizeof(buf), &err);  /* warm-up */
    fds(before, sizeof(before));
    for (i = 0; i < n; i++) {
        int gen = i / 100;
        if (i % 100 == 0 && i > 0)
            write_config(gen);
        switch (i % 8) {
        case 0: s = _nss_delegate_getpwnam_r("ci-deploy", &pw, buf, sizeof(buf), &err); break;
        case 1: s = _nss_delegate_getpwuid_r(62001, &pw, buf, sizeof(buf), &err); break;
        case 2:
            snprintf(name, sizeof(name), "bot%d", i % 7);
            s = _nss_delegate_getpwnam_r(name, &pw, buf, 16, &err);   /* often ERANGE */
            break;
        case 3: s = _nss_delegate_getgrnam_r("deployers", &gr, buf, sizeof(buf), &err); break;
        case 4: s = _nss_delegate_getgrgid_r(62000, &gr, buf, sizeof(buf), &err); break;
        case 5: s = _nss_delegate_getspnam_r("ci-deploy", &sp, buf, sizeof(buf), &err); break;
        case 6: {
            long start = 0, size = 4;
            gid_t *groups = malloc(4 * sizeof(gid_t));
            s = _nss_delegate_initgroups_dyn("ci-deploy", 100, &start, &size, &groups, 64, &err);
            free(groups);
            break;
        }
        default:
            _nss_delegate_setpwent(0);
            while ((s = _nss_delegate_getpwent_r(&pw, buf, sizeof(buf), &err)) == NSS_STATUS_SUCCESS)
                ;
            _nss_delegate_endpwent();
            s = NSS_STATUS_SUCCESS;
            break;
        }
        if (s == NSS_STATUS_SUCCESS)
            found++;
        else if (s == NSS_STATUS_NOTFOUND || s == NSS_STATUS_TRYAGAIN)
            notfound++;
        else
            bad++;
    }
    fds(after, sizeof(after));
    printf("1..2\n");
    printf("%s 1 - %d NSS lookups over %d config generations (%d found, %d notfound/erange, %d unavailable)\n",
           bad ? "not ok" : "ok", n, n / 100, found, notfound, bad);
    printf("%s 2 - open descriptors unchanged (before: %s after: %s)\n",
           strcmp(before, after) == 0 ? "ok" : "not ok", before, after);
    return bad || strcmp(before, after) != 0;
}
