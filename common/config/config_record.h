/* The field lists of config_fields.h as data: one descriptor per field, so
 * that code which must handle every field (the compiled form's writer and
 * reader, the text loader's free, the tests' dump) walks a list instead of
 * naming fields.  libc only. */
#ifndef DLG_CONFIG_RECORD_H
#define DLG_CONFIG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

enum dlg_fkind {
    DLG_FK_STR, DLG_FK_OSTR, DLG_FK_PATH, DLG_FK_CSTR, DLG_FK_STRV, DLG_FK_BOOL,
    DLG_FK_U32, DLG_FK_U64, DLG_FK_I32, DLG_FK_I64, DLG_FK_TS, DLG_FK_CIDRS, DLG_FK_KEYS,
    /* not carried by a record */
    DLG_FK_TABLE, DLG_FK_IDSET, DLG_FK_DERIVED, DLG_FK_RUNTIME
};

struct dlg_field {
    const char *name;
    enum dlg_fkind kind;
    size_t off;                 /* of the member */
    size_t size;                /* of the member */
    size_t count_off;           /* CIDRS, KEYS, TABLE: of the size_t count */
    int64_t min, max;           /* U32, I32, I64: the values a reader accepts */
};

struct dlg_record_type {
    const char *name;
    const struct dlg_field *fields;
    size_t nfields;
    size_t nslots;              /* carried fields: a record is nslots * 8 bytes */
};

extern const struct dlg_record_type dlg_rt_key, dlg_rt_issuer, dlg_rt_actor, dlg_rt_group,
    dlg_rt_file, dlg_rt_feed, dlg_rt_config;

#define DLG_SLOT 8u

static inline bool dlg_field_carried(enum dlg_fkind k)
{
    return k < DLG_FK_TABLE;
}

/* A hash of every list's shape (type names, field names, kinds, in order):
 * the compiled form records it, and a reader refuses a file of another
 * shape (an older or newer build). */
uint64_t dlg_fields_shape(void);

/* Free what obj (of type rt) owns through its carried fields: strings,
 * lists, CIDRS and KEYS arrays (keys recursively).  Not CSTR, TABLE, IDSET,
 * DERIVED or RUNTIME members: their owner frees them. */
void dlg_fields_free(const struct dlg_record_type *rt, void *obj);

#endif
