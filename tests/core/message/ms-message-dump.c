/* ms-message-dump.c: prints what MsMessage makes of messages, as JSON (tests only)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: ms-message-dump FILE...  → one JSON array, an object per file:
 *   {"file", "subject", "from": [[name, address]...], "to", "cc",
 *    "parts": [[content_type, filename, part_number, text or null]...]}
 */
#include <stdio.h>

#include <json-glib/json-glib.h>

#include "ms-message.h"

static void
add_addresses (JsonBuilder *builder,
               MsMessage   *message,
               const char  *name)
{
  const char *first = ms_message_get_header (message, name);
  g_autoptr(GPtrArray) list = NULL;

  json_builder_set_member_name (builder, name);
  if (first == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  /* The first field only, as Python's msg[name] (a repeated To: is a DKIM lesson of its own,
   * ms_message_dup_addresses gives all of them). */
  list = ms_address_list_parse (first);
  json_builder_begin_array (builder);
  for (guint i = 0; i < list->len; i++)
    {
      MsAddress *a = g_ptr_array_index (list, i);

      if (a->address == NULL)
        continue;   /* an empty group has no mailbox */
      json_builder_begin_array (builder);
      if (a->name)
        json_builder_add_string_value (builder, a->name);
      else
        json_builder_add_null_value (builder);
      json_builder_add_string_value (builder, a->address);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  int status = 0;

  json_builder_begin_array (builder);
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *contents = NULL;
      gsize len;
      g_autoptr(GBytes) raw = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MsMessage) message = NULL;
      g_autoptr(GPtrArray) parts = NULL;
      g_autofree char *subject = NULL;

      if (!g_file_get_contents (argv[i], &contents, &len, &error))
        {
          g_printerr ("%s\n", error->message);
          status = 1;
          continue;
        }
      raw = g_bytes_new (contents, len);
      message = ms_message_new_from_bytes (raw, &error);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "file");
      json_builder_add_string_value (builder, argv[i]);
      if (message == NULL)
        {
          json_builder_set_member_name (builder, "error");
          json_builder_add_string_value (builder, error->message);
          json_builder_end_object (builder);
          continue;
        }
      subject = ms_message_dup_subject (message);
      json_builder_set_member_name (builder, "subject");
      if (subject)
        json_builder_add_string_value (builder, subject);
      else
        json_builder_add_null_value (builder);
      add_addresses (builder, message, "from");
      add_addresses (builder, message, "to");
      add_addresses (builder, message, "cc");

      parts = ms_message_dup_parts (message);
      json_builder_set_member_name (builder, "parts");
      json_builder_begin_array (builder);
      for (guint k = 0; k < parts->len; k++)
        {
          MsMimePart *part = g_ptr_array_index (parts, k);

          json_builder_begin_array (builder);
          json_builder_add_string_value (builder, part->content_type);
          if (part->filename)
            json_builder_add_string_value (builder, part->filename);
          else
            json_builder_add_null_value (builder);
          json_builder_add_string_value (builder, part->part_number);
          if (!part->is_container && g_str_has_prefix (part->content_type, "text/"))
            {
              g_autofree char *body = ms_message_dup_part_text (message, part->part_number,
                                                                NULL);
              if (body)
                json_builder_add_string_value (builder, body);
              else
                json_builder_add_null_value (builder);
            }
          else
            json_builder_add_null_value (builder);
          json_builder_end_array (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  /* Not g_print: it would convert to the locale's charset. */
  fputs (text, stdout);
  fputc ('\n', stdout);
  return status;
}
