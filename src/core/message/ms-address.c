/* ms-address.c: address lists, parsed by GMime, formatted by us
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-message"

#include "config.h"

#include <string.h>

#include "ms-address.h"
#include "ms-message-private.h"

G_DEFINE_BOXED_TYPE (MsAddress, ms_address, ms_address_copy, ms_address_free)

MsAddress *
ms_address_new (const char *name,
                const char *address)
{
  MsAddress *self = g_new0 (MsAddress, 1);

  self->name = (name != NULL && *name != '\0') ? g_strdup (name) : NULL;
  self->address = g_strdup (address);
  return self;
}

MsAddress *
ms_address_copy (const MsAddress *self)
{
  MsAddress *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = ms_address_new (self->name, self->address);
  copy->group = g_strdup (self->group);
  return copy;
}

void
ms_address_free (MsAddress *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->address);
  g_free (self->group);
  g_free (self);
}

static void
collect (InternetAddressList *list,
         const char          *group,
         GPtrArray           *out)
{
  int n = internet_address_list_length (list);

  for (int i = 0; i < n; i++)
    {
      InternetAddress *ia = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_GROUP (ia))
        {
          InternetAddressList *members =
            internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia));
          const char *gname = internet_address_get_name (ia);

          if (internet_address_list_length (members) == 0)
            {
              MsAddress *empty = ms_address_new (NULL, NULL);

              empty->group = g_strdup (gname ? gname : "");
              g_ptr_array_add (out, empty);
            }
          else
            collect (members, gname ? gname : "", out);
        }
      else
        {
          const char *addr =
            internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
          MsAddress *a = ms_address_new (internet_address_get_name (ia), addr ? addr : "");

          a->group = g_strdup (group);
          g_ptr_array_add (out, a);
        }
    }
}

GPtrArray *
ms_address_list_parse (const char *raw)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
  g_autofree char *unfolded = NULL;
  InternetAddressList *list;

  g_return_val_if_fail (raw != NULL, out);

  _ms_message_init_gmime ();
  unfolded = ms_header_unfold (raw);
  list = internet_address_list_parse (NULL, unfolded);
  if (list == NULL)
    return out;
  collect (list, NULL, out);
  g_object_unref (list);
  return out;
}

/* RFC 5322 §3.2.3 atext plus the space between words: a phrase that needs no quotes. */
static gboolean
is_plain_phrase (const char *s)
{
  if (*s == '\0' || *s == ' ' || s[strlen (s) - 1] == ' ')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!(g_ascii_isalnum (*s) || strchr ("!#$%&'*+-/=?^_`{|}~ ", *s) != NULL))
      return FALSE;
  return TRUE;
}

static gboolean
is_ascii (const char *s)
{
  for (; *s != '\0'; s++)
    if ((guchar) *s >= 0x80)
      return FALSE;
  return TRUE;
}

static gboolean
append_phrase (GString           *out,
               const char        *name,
               const char        *charset,
               MsHeaderEncoding   encoding,
               GError           **error)
{
  if (!is_ascii (name) || strstr (name, "=?") != NULL)
    {
      /* The whole name becomes encoded words: they may not sit inside quotes
       * (RFC 2047 §5 (3)), and plain words beside them could expose specials. */
      g_autofree char *encoded = ms_rfc2047_encode_phrase (name, charset, encoding, error);

      if (encoded == NULL)
        return FALSE;
      g_string_append (out, encoded);
      return TRUE;
    }
  if (is_plain_phrase (name))
    {
      g_string_append (out, name);
      return TRUE;
    }
  g_string_append_c (out, '"');
  for (const char *c = name; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
  return TRUE;
}

char *
ms_address_list_format (GPtrArray         *list,
                        const char        *charset,
                        MsHeaderEncoding   encoding,
                        GError           **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (list != NULL, NULL);

  for (guint i = 0; i < list->len; i++)
    {
      MsAddress *a = g_ptr_array_index (list, i);

      if (a->address == NULL)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      if (a->name != NULL)
        {
          if (!append_phrase (out, a->name, charset, encoding, error))
            return NULL;
          g_string_append_printf (out, " <%s>", a->address);
        }
      else
        g_string_append (out, a->address);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
ms_address_list_to_display (GPtrArray *list)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (list != NULL, NULL);

  for (guint i = 0; i < list->len; i++)
    {
      MsAddress *a = g_ptr_array_index (list, i);

      if (a->address == NULL)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      if (a->name != NULL)
        g_string_append_printf (out, "%s <%s>", a->name, a->address);
      else
        g_string_append (out, a->address);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
