/* Test helper of test_nss_compiled.sh: looks a user up through glibc's NSS
 * (getpwnam, so nsswitch.conf and libnss_delegate.so.2 as installed) and
 * reports whether any libconfig is mapped into this process afterwards.
 *
 * It also exports functions named like libconfig's (built with -rdynamic):
 * if libconfig, loaded on demand by the module, resolved its own internal
 * calls (the parser calls config_setting_add, config_setting_get_member, ...)
 * through the global scope, they would land here and abort. */
#define _GNU_SOURCE
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HIJACK(name)                                                         \
    void *name(void *a, void *b, void *c);                                   \
    void *name(void *a, void *b, void *c)                                    \
    {                                                                        \
        (void)a; (void)b; (void)c;                                           \
        static const char m[] = "HIJACKED " #name "\n";                      \
        (void)!write(2, m, sizeof(m) - 1);                                   \
        abort();                                                             \
    }
#ifndef NO_HIJACK    /* sanitizer builds load libconfig without RTLD_DEEPBIND */
HIJACK(config_init)
HIJACK(config_destroy)
HIJACK(config_read_string)
HIJACK(config_setting_add)
HIJACK(config_setting_get_member)
HIJACK(config_setting_get_elem)
HIJACK(config_setting_set_int)
HIJACK(config_setting_set_string)
HIJACK(config_setting_set_format)
HIJACK(config_lookup)
#endif

int main(int argc, char **argv)
{
    char line[4096];
    int libconfig = 0;
    FILE *maps;

    for (int i = 1; i < argc; i++) {
        struct passwd *pw = getpwnam(argv[i]);
        if (pw != NULL)
            printf("%s %u %s\n", pw->pw_name, (unsigned)pw->pw_uid, pw->pw_dir);
        else
            printf("%s missing\n", argv[i]);
    }
    maps = fopen("/proc/self/maps", "re");
    if (maps == NULL)
        return 2;
    while (fgets(line, sizeof(line), maps) != NULL)
        if (strstr(line, "libconfig") != NULL)
            libconfig = 1;
    fclose(maps);
    printf("libconfig %s\n", libconfig ? "mapped" : "not mapped");
    return 0;
}
