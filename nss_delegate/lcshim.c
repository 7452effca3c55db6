/* libconfig on demand for the NSS module: see lcshim.h. */
#include <dlfcn.h>
#include <libconfig.h>
#include <pthread.h>
#include <string.h>

#include "nss_cache.h"

/* The absolute path the build found (Makefile: LIBCONFIG_SO): a bare
 * soname would be searched in LD_LIBRARY_PATH and in the DT_RPATH of
 * whatever program looks a user up. */
#ifndef DLG_LIBCONFIG_SO
#error "DLG_LIBCONFIG_SO (the absolute path of libconfig.so.9) is set by the Makefile"
#endif

/* RTLD_DEEPBIND makes libconfig resolve its own (unversioned) symbols inside
 * itself first, so a host program that exports config_init & co. cannot
 * hijack its internal calls.  The sanitizer runtimes refuse DEEPBIND (they
 * must interpose malloc everywhere) and abort the process that asks for it:
 * a module built with one, or loaded into a program built with one (seen by
 * the runtime's symbols in the global scope), loads libconfig without it. */
static int lc_flags(void)
{
    static const char *const runtimes[] = {
        "__asan_init", "__tsan_init", "__msan_init", "__hwasan_init", "__lsan_init",
    };

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return RTLD_NOW | RTLD_LOCAL;
#endif
    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
        if (dlsym(RTLD_DEFAULT, runtimes[i]) != NULL)
            return RTLD_NOW | RTLD_LOCAL;
    return RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
}

static struct {
    void (*init)(config_t *);
    void (*destroy)(config_t *);
    int (*read_string)(config_t *, const char *);
    void (*set_include_dir)(config_t *, const char *);
    int (*get_int)(const config_setting_t *);
    long long (*get_int64)(const config_setting_t *);
    const char *(*get_string)(const config_setting_t *);
    int (*get_bool)(const config_setting_t *);
    int (*length)(const config_setting_t *);
    config_setting_t *(*get_elem)(const config_setting_t *, unsigned int);
    config_setting_t *(*get_member)(const config_setting_t *, const char *);
} lc;
static void *lc_handle;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;

#define SYM(field, name)                                        \
    do {                                                        \
        *(void **)(&lc.field) = dlsym(h, name);                 \
        if (lc.field == NULL)                                   \
            goto fail;                                          \
    } while (0)

static void lc_open(void)
{
    void *h = dlopen(DLG_LIBCONFIG_SO, lc_flags());

    if (h == NULL)
        return;
    SYM(init, "config_init");
    SYM(destroy, "config_destroy");
    SYM(read_string, "config_read_string");
    SYM(set_include_dir, "config_set_include_dir");
    SYM(get_int, "config_setting_get_int");
    SYM(get_int64, "config_setting_get_int64");
    SYM(get_string, "config_setting_get_string");
    SYM(get_bool, "config_setting_get_bool");
    SYM(length, "config_setting_length");
    SYM(get_elem, "config_setting_get_elem");
    SYM(get_member, "config_setting_get_member");
    lc_handle = h;              /* kept for the life of the process */
    return;
fail:
    memset(&lc, 0, sizeof(lc));
    dlclose(h);
}

bool nss_libconfig_available(void)
{
    pthread_once(&lc_once, lc_open);
    return lc_handle != NULL;
}

/* The wrappers: config*.c run only after nss_libconfig_available() said
 * yes; without libconfig they fail safe (empty config, parse error). */
void dlg_lc_config_init(config_t *c);
void dlg_lc_config_destroy(config_t *c);
int dlg_lc_config_read_string(config_t *c, const char *s);
void dlg_lc_config_set_include_dir(config_t *c, const char *d);
int dlg_lc_config_setting_get_int(const config_setting_t *s);
long long dlg_lc_config_setting_get_int64(const config_setting_t *s);
const char *dlg_lc_config_setting_get_string(const config_setting_t *s);
int dlg_lc_config_setting_get_bool(const config_setting_t *s);
int dlg_lc_config_setting_length(const config_setting_t *s);
config_setting_t *dlg_lc_config_setting_get_elem(const config_setting_t *s, unsigned int i);
config_setting_t *dlg_lc_config_setting_get_member(const config_setting_t *s, const char *n);

void dlg_lc_config_init(config_t *c)
{
    if (nss_libconfig_available())
        lc.init(c);
    else
        memset(c, 0, sizeof(*c));
}

void dlg_lc_config_destroy(config_t *c)
{
    if (nss_libconfig_available())
        lc.destroy(c);
}

void dlg_lc_config_set_include_dir(config_t *c, const char *d)
{
    if (nss_libconfig_available())
        lc.set_include_dir(c, d);
}

int dlg_lc_config_read_string(config_t *c, const char *s)
{
    if (!nss_libconfig_available()) {
        c->error_text = "libconfig not available";
        return CONFIG_FALSE;
    }
    return lc.read_string(c, s);
}

int dlg_lc_config_setting_get_int(const config_setting_t *s)
{
    return nss_libconfig_available() ? lc.get_int(s) : 0;
}

long long dlg_lc_config_setting_get_int64(const config_setting_t *s)
{
    return nss_libconfig_available() ? lc.get_int64(s) : 0;
}

const char *dlg_lc_config_setting_get_string(const config_setting_t *s)
{
    return nss_libconfig_available() ? lc.get_string(s) : NULL;
}

int dlg_lc_config_setting_get_bool(const config_setting_t *s)
{
    return nss_libconfig_available() ? lc.get_bool(s) : 0;
}

int dlg_lc_config_setting_length(const config_setting_t *s)
{
    return nss_libconfig_available() ? lc.length(s) : 0;
}

config_setting_t *dlg_lc_config_setting_get_elem(const config_setting_t *s, unsigned int i)
{
    return nss_libconfig_available() ? lc.get_elem(s, i) : NULL;
}

config_setting_t *dlg_lc_config_setting_get_member(const config_setting_t *s, const char *n)
{
    return nss_libconfig_available() ? lc.get_member(s, n) : NULL;
}
