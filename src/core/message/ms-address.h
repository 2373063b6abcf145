/* ms-address.h: mailbox addresses (RFC 5322 §3.4) with decoded display names
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "ms-rfc2047.h"

G_BEGIN_DECLS

/* One mailbox. Groups (RFC 5322 §3.4 "undisclosed-recipients:;") are flattened: their
 * members carry the group's name, and an empty group is kept as one entry with
 * address NULL so that it is not lost. */
typedef struct
{
  char *name;     /* display name, decoded UTF-8, or NULL */
  char *address;  /* addr-spec "local@domain", or NULL for an empty group */
  char *group;    /* name of the enclosing group, decoded, or NULL */
} MsAddress;

#define MS_TYPE_ADDRESS (ms_address_get_type ())
GType      ms_address_get_type        (void) G_GNUC_CONST;
MsAddress *ms_address_new             (const char       *name,
                                       const char       *address);
MsAddress *ms_address_copy            (const MsAddress  *self);
void       ms_address_free            (MsAddress        *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAddress, ms_address_free)

/* Parses an address-list header value (raw, as on the wire; folding allowed).
 * Never fails: what cannot be parsed is left out. Returns MsAddress*. */
GPtrArray *ms_address_list_parse      (const char       *raw);
/* The wire form: display names quoted or encoded as needed, "a, b" (not folded). */
char      *ms_address_list_format     (GPtrArray        *list,
                                       const char       *charset,
                                       MsHeaderEncoding  encoding,
                                       GError          **error);
/* For people: "山田 太郎 <taro@example.jp>, bob@example.com", nothing encoded. */
char      *ms_address_list_to_display (GPtrArray        *list);

G_END_DECLS
