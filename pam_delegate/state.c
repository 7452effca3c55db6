/* The verified result of auth within one PAM transaction (pam_set_data). */
#include <stdlib.h>
#include <string.h>

#include <security/pam_modules.h>

#include "pam_delegate.h"

#define PD_DATA_NAME "pam_delegate:state"

void pd_state_free(struct pd_state *st)
{
    if (st == NULL)
        return;
    dlg_verdict_free(&st->v);
    free(st->user);
    free(st->service);
    free(st->rhost);
    dlg_strv_free(&st->proved);
    free(st);
}

static void state_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
    struct pd_state *st = data;

    (void)pamh;
    /* At pam_end (sudo, sshd password auth) the record this process wrote
     * has no further use.  Not on PAM_DATA_REPLACE: the caller decides.
     * (sshd's keyboard-interactive child leaves with _exit, so its record
     * survives for the parent.) */
    if (st != NULL && !(error_status & PAM_DATA_REPLACE) && st->carry_name[0] != '\0')
        pd_carry_remove(st->carry_name);
    pd_state_free(st);
}

struct pd_state *pd_state_get(pam_handle_t *pamh)
{
    const void *data = NULL;

    if (pam_get_data(pamh, PD_DATA_NAME, &data) != PAM_SUCCESS)
        return NULL;
    return (struct pd_state *)data;
}

int pd_state_set(pam_handle_t *pamh, struct pd_state *st)
{
    int rc = pam_set_data(pamh, PD_DATA_NAME, st, state_cleanup);

    if (rc != PAM_SUCCESS) {
        if (st->carry_name[0] != '\0')
            pd_carry_remove(st->carry_name);
        pd_state_free(st);
    }
    return rc;
}

void pd_state_drop(pam_handle_t *pamh)
{
    struct pd_state *st = pd_state_get(pamh);

    if (st == NULL)
        return;
    if (st->carry_name[0] != '\0') {
        pd_carry_remove(st->carry_name);
        st->carry_name[0] = '\0';
    }
    /* Replacing calls state_cleanup(PAM_DATA_REPLACE), which frees st. */
    (void)pam_set_data(pamh, PD_DATA_NAME, NULL, NULL);
}
