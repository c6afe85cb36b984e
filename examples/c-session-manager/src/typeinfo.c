/* Lookups in the type-information tables. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "typeinfo.h"

int ti_same_guid(const char *a, const char *b)
{
    size_t la, lb;
    if (*a == '{') a++;
    if (*b == '{') b++;
    la = strlen(a);
    lb = strlen(b);
    if (la && a[la - 1] == '}') la--;
    if (lb && b[lb - 1] == '}') lb--;
    return la == 36 && la == lb && !strncasecmp(a, b, la);
}

const struct ti_interface *ti_interface(const char *key)
{
    int i;
    for (i = 0; i < ti_interface_count; i++)
        if (!strcmp(ti_interfaces[i].name, key) || ti_same_guid(ti_interfaces[i].guid, key)) return &ti_interfaces[i];
    return NULL;
}

const struct ti_coclass *ti_coclass(const char *key)
{
    int i;
    for (i = 0; i < ti_coclass_count; i++)
        if (!strcmp(ti_coclasses[i].name, key) || ti_same_guid(ti_coclasses[i].guid, key)) return &ti_coclasses[i];
    return NULL;
}

const struct ti_enum *ti_enum(const char *key)
{
    int i;
    for (i = 0; i < ti_enum_count; i++)
        if (!strcmp(ti_enums[i].name, key)) return &ti_enums[i];
    return NULL;
}

const struct ti_member *ti_member(const struct ti_interface *itf, const char *name, const char *kind)
{
    int i;
    for (i = 0; i < itf->nmembers; i++)
        if (!strcasecmp(itf->members[i].name, name) && !strcmp(itf->members[i].kind, kind)) return &itf->members[i];
    return NULL;
}
