/* Canonical PAM service names (see service.h). */
#include <string.h>

#include "decision/service.h"

const char *dlg_service_canonical(const char *service)
{
    if (service == NULL)
        return NULL;
    if (strcmp(service, "sudo-i") == 0)
        return "sudo";
    if (strcmp(service, "su-l") == 0)
        return "su";
    return service;
}

bool dlg_service_listed(const struct dlg_strv *list, const char *service)
{
    const char *want = dlg_service_canonical(service);

    if (list == NULL || want == NULL)
        return false;
    for (size_t i = 0; i < list->n; i++)
        if (list->v[i] != NULL && strcmp(dlg_service_canonical(list->v[i]), want) == 0)
            return true;
    return false;
}

bool dlg_service_is_sshd(const char *service)
{
    return service != NULL && dlg_valid_service(service) &&
           (strcmp(service, "sshd") == 0 || (strncmp(service, "sshd-", 5) == 0 && service[5] != '\0'));
}

bool dlg_service_is_local(const char *service)
{
    const char *canon = dlg_service_canonical(service);

    return canon != NULL && (strcmp(canon, "sudo") == 0 || strcmp(canon, "su") == 0);
}
