/* Will pam_systemd run in this service's session stack?  Read from the
 * service's file in /etc/pam.d the way Linux-PAM reads it: "session" lines
 * (a leading '-' too), "@include FILE" and "session include|substack FILE",
 * comments from '#'.  Used only to choose the cell of a session on a
 * systemd host (contain.h): logind's scope when pam_systemd will make one,
 * else a scope of our own.  Every file read is root-owned and not writable
 * by others, or it counts as "no". */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pam_delegate.h"

#define PAMD "/etc/pam.d/"
#define MAX_DEPTH 8

static bool safe_name(const char *n)
{
    const char *p;

    if (!n[0] || n[0] == '.' || strlen(n) > 64)
        return false;
    for (p = n; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || *p == '+'))
            return false;
    return true;
}

static FILE *open_trusted(const char *name)
{
    char path[128];
    struct stat st;
    FILE *fp;
    int fd;

    if (!safe_name(name))
        return NULL;
    snprintf(path, sizeof(path), PAMD "%s", name);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) ||
        !(fp = fdopen(fd, "re"))) {
        close(fd);
        return NULL;
    }
    return fp;
}

/* the module path names pam_systemd.so (bare or absolute) */
static bool is_pam_systemd(const char *module)
{
    const char *base = strrchr(module, '/');

    return strcmp(base ? base + 1 : module, "pam_systemd.so") == 0;
}

static bool file_has(const char *name, int depth);

/* One line: 1 pam_systemd found, 0 not on this line. */
static int line_has(char *line, int depth)
{
    char *save = NULL, *type, *control, *module;
    char *hash = strchr(line, '#');

    if (hash)
        *hash = '\0';
    type = strtok_r(line, " \t\r\n", &save);
    if (!type)
        return 0;
    if (strcmp(type, "@include") == 0) {
        module = strtok_r(NULL, " \t\r\n", &save);
        return module && file_has(module, depth + 1);
    }
    if (type[0] == '-')
        type++;
    if (strcasecmp(type, "session") != 0)
        return 0;
    control = strtok_r(NULL, " \t\r\n", &save);
    if (!control)
        return 0;
    if (control[0] == '[')          /* [value=action ...]: up to the closing bracket */
        while (!strchr(control, ']') && (control = strtok_r(NULL, " \t\r\n", &save)))
            ;
    module = control ? strtok_r(NULL, " \t\r\n", &save) : NULL;
    if (!module)
        return 0;
    if (strcmp(control, "include") == 0 || strcmp(control, "substack") == 0)
        return file_has(module, depth + 1);
    return is_pam_systemd(module);
}

static bool file_has(const char *name, int depth)
{
    char line[1024];
    bool found = false;
    FILE *fp;

    if (depth > MAX_DEPTH || !(fp = open_trusted(name)))
        return false;
    while (!found && fgets(line, sizeof(line), fp))
        found = line_has(line, depth) == 1;
    fclose(fp);
    return found;
}

bool pd_stack_runs_pam_systemd(const char *service)
{
    return service && file_has(service, 0);
}
