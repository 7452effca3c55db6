/* The NSS entry points of libnss_delegate.so.2 (DESIGN.md §5).  Their types
 * come from glibc's <nss.h>; they are the only symbols the module exports. */
#ifndef DLG_NSS_DELEGATE_H
#define DLG_NSS_DELEGATE_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>

#define DLG_NSS_EXPORT __attribute__((visibility("default")))

DLG_NSS_EXPORT nss_getpwnam_r _nss_delegate_getpwnam_r;
DLG_NSS_EXPORT nss_getpwuid_r _nss_delegate_getpwuid_r;
DLG_NSS_EXPORT nss_setpwent _nss_delegate_setpwent;
DLG_NSS_EXPORT nss_getpwent_r _nss_delegate_getpwent_r;
DLG_NSS_EXPORT nss_endpwent _nss_delegate_endpwent;

DLG_NSS_EXPORT nss_getgrnam_r _nss_delegate_getgrnam_r;
DLG_NSS_EXPORT nss_getgrgid_r _nss_delegate_getgrgid_r;
DLG_NSS_EXPORT nss_setgrent _nss_delegate_setgrent;
DLG_NSS_EXPORT nss_getgrent_r _nss_delegate_getgrent_r;
DLG_NSS_EXPORT nss_endgrent _nss_delegate_endgrent;
DLG_NSS_EXPORT nss_initgroups_dyn _nss_delegate_initgroups_dyn;

DLG_NSS_EXPORT nss_getspnam_r _nss_delegate_getspnam_r;
DLG_NSS_EXPORT nss_setspent _nss_delegate_setspent;
DLG_NSS_EXPORT nss_getspent_r _nss_delegate_getspent_r;
DLG_NSS_EXPORT nss_endspent _nss_delegate_endspent;

#endif
