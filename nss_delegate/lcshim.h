/* Force-included (-include) when common/config*.c are compiled for the NSS
 * module: every libconfig function they call goes through lcshim.c,
 * which loads libconfig on demand (dlopen, RTLD_LOCAL|RTLD_DEEPBIND) only
 * when there is no fresh compiled form to answer from.  So the module's
 * DT_NEEDED is libc alone, no libconfig code is mapped into a process whose
 * lookups the compiled form answers, and a host program exporting a
 * function named like libconfig's (config_init, ...) can neither be called
 * by us nor hijack libconfig's own internal calls. */
#ifndef DLG_NSS_LCSHIM_H
#define DLG_NSS_LCSHIM_H

#define config_init               dlg_lc_config_init
#define config_destroy            dlg_lc_config_destroy
#define config_read_string        dlg_lc_config_read_string
#define config_set_include_dir    dlg_lc_config_set_include_dir
#define config_setting_get_int    dlg_lc_config_setting_get_int
#define config_setting_get_int64  dlg_lc_config_setting_get_int64
#define config_setting_get_string dlg_lc_config_setting_get_string
#define config_setting_get_bool   dlg_lc_config_setting_get_bool
#define config_setting_length     dlg_lc_config_setting_length
#define config_setting_get_elem   dlg_lc_config_setting_get_elem
#define config_setting_get_member dlg_lc_config_setting_get_member

#endif
