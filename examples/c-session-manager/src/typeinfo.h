/* The type information compiled from the IDL (gen_typeinfo.py writes the tables) and lookups in it. */
#ifndef CS_TYPEINFO_H
#define CS_TYPEINFO_H

#include <stddef.h>

struct ti_param { const char *name, *type, *dir; };
struct ti_member {
    const char *name, *kind;  /* kind: method, propget, propput, event */
    int has_dispid, dispid;
    int nparams;
    const struct ti_param *params;
};
struct ti_interface {
    const char *name, *guid, *base;  /* base is NULL for a dispinterface */
    int is_dispinterface;
    int nmembers;
    const struct ti_member *members;
};
struct ti_enum_value { const char *name; long long value; };
struct ti_enum { const char *name; int nvalues; const struct ti_enum_value *values; };
struct ti_coclass {
    const char *name, *guid, *default_interface, *events;
    int creatable;
    int ninterfaces;
    const char *const *interfaces;
};

extern const struct ti_interface ti_interfaces[];
extern const int ti_interface_count;
extern const struct ti_enum ti_enums[];
extern const int ti_enum_count;
extern const struct ti_coclass ti_coclasses[];
extern const int ti_coclass_count;

/* By name or by GUID (braces and letter case do not matter); NULL if unknown. */
const struct ti_interface *ti_interface(const char *key);
const struct ti_coclass *ti_coclass(const char *key);
const struct ti_enum *ti_enum(const char *key);
/* The member `name` of kind `kind` (IDispatch names ignore case); NULL if none. */
const struct ti_member *ti_member(const struct ti_interface *itf, const char *name, const char *kind);
int ti_same_guid(const char *a, const char *b);

#endif
