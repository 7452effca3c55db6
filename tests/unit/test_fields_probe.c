/* A field added to a list of config_fields.h is carried by the compiled
 * form with no other change (issue 18 item 5).  Built by the Makefile with
 * DLG_FIELD_PROBE, which adds a bool to the actor's list, a uint32_t to the
 * group's and a bool to the config's (the cases the old size checks missed:
 * they fit in padding holes).  The test sets them on a config loaded from the
 * text (the loader does not know them), writes the compiled form and reads it
 * back: every field, the probes included, comes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/compiled.h"
#include "fields_conf.h"
#include "fields_dump.h"

#ifdef DLG_FIELD_PROBE

static char dir[] = "/tmp/dlg-probe.XXXXXX";

static char *put(const char *name, const char *text)
{
    char *path = NULL;
    FILE *f;

    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    f = fopen(path, "we");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0644), 0);
    return path;
}

static void test_probe_fields_carried(void **state)
{
    char *text = NULL, *conf, *b;
    struct dlg_config *cfg, *back;
    unsigned char *bin = NULL;
    size_t len = 0;
    char why[256];
    int64_t at;
    (void)state;

    assert_true(asprintf(&text, fields_conf_fmt, dir) > 0);
    conf = put("delegate.conf", text);
    free(put("revoked.conf", fields_revoked));
    free(put("ed.pub", "not read by the loader\n"));
    cfg = dlg_config_load(conf, NULL);
    assert_non_null(cfg);
    cfg->actors[0].probe_flag = true;
    cfg->groups[0].probe_count = 4000000000u;
    cfg->probe_switch = true;
    assert_null(fd_first_unset(&dlg_rt_actor, &cfg->actors[0]));
    assert_null(fd_first_unset(&dlg_rt_group, &cfg->groups[0]));
    assert_null(fd_first_unset(&dlg_rt_config, cfg));
    assert_int_equal(dlg_compiled_serialize(cfg, 1, &bin, &len), 0);
    back = dlg_compiled_parse(bin, len, 0, &at, why, sizeof(why));
    if (back == NULL)
        fail_msg("parse: %s", why);
    assert_true(back->actors[0].probe_flag);
    assert_int_equal(back->groups[0].probe_count, 4000000000u);
    assert_true(back->probe_switch);
    char *a = fd_dump(cfg, true, true);
    b = fd_dump(back, true, true);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "probe_flag=1"));
    assert_non_null(strstr(a, "probe_count=4000000000"));
    assert_non_null(strstr(a, "probe_switch=1"));
    free(a);
    free(b);
    dlg_config_free(back);
    dlg_config_free(cfg);
    free(bin);
    free(conf);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_fields_carried),
    };
    int rc;

    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
        return 2;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    static const char *const files[] = {"delegate.conf", "revoked.conf", "ed.pub"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char p[sizeof(dir) + 32];
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
    return rc;
}
#else
/* Built without the probe fields (not by the Makefile's rule): a failure,
 * never a pass. */
int main(void)
{
    puts("not ok 1 - test_fields_probe needs -DDLG_FIELD_PROBE (Makefile rule)");
    return 1;
}
#endif
