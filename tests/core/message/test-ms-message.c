/* test-ms-message.c: parsing, round trips, header operations, composing, MIME parts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-message.h"
#include "test-message-support.h"

static MsMessage *
parse (const char *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;
  MsMessage *message = ms_message_new_from_bytes (bytes, &error);

  cr_assert_not_null (message, "parse failed: %s", error ? error->message : "?");
  return message;
}

static char *
serialise (MsMessage *message)
{
  g_autoptr(GBytes) bytes = ms_message_to_bytes (message);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return g_strndup (data, len);
}

Test (message, every_corpus_message_round_trips_byte_for_byte)
{
  g_autoptr(GPtrArray) files = ms_test_message_files ();
  guint checked = 0;

  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *contents = NULL;
      gsize len;
      g_autoptr(GBytes) raw = NULL;
      g_autoptr(GBytes) expected = NULL;
      g_autoptr(GBytes) again = NULL;
      g_autoptr(MsMessage) message = NULL;
      g_autoptr(GError) error = NULL;

      cr_assert (g_file_get_contents (path, &contents, &len, NULL), "cannot read %s", path);
      raw = g_bytes_new (contents, len);
      expected = ms_test_to_crlf (raw);
      message = ms_message_new_from_bytes (raw, &error);
      cr_assert_not_null (message, "%s: %s", path, error ? error->message : "?");
      again = ms_message_to_bytes (message);
      cr_expect (g_bytes_equal (again, expected), "%s does not round trip", path);
      checked++;
    }
  /* The repository's own samples always; the shared corpus when it is beside the tree. */
  cr_expect_geq (checked, 2);
  if (ms_test_corpus_dir () != NULL)
    cr_expect_geq (checked, 20, "only %u corpus files found", checked);
}

Test (message, crlf_input_is_kept_exactly_and_lf_becomes_crlf)
{
  const char *crlf = "Subject: a\r\n b\r\nX-Odd:no-space \r\n\r\nline\r\nbare\rcr\r\n";
  g_autoptr(MsMessage) m1 = parse (crlf);
  g_autoptr(MsMessage) m2 = parse ("Subject: a\n b\n\nbody\n");
  g_autofree char *s1 = serialise (m1);
  g_autofree char *s2 = serialise (m2);

  cr_expect_str_eq (s1, crlf);
  cr_expect_str_eq (s2, "Subject: a\r\n b\r\n\r\nbody\r\n");
  cr_expect_str_eq (ms_message_get_header (m1, "subject"), "a b");
  cr_expect_str_eq (ms_message_get_header (m1, "X-ODD"), "no-space");
}

Test (message, a_message_without_header_block_is_still_a_message)
{
  g_autoptr(MsMessage) m1 = parse ("just a body line\r\nand another\r\n");
  g_autoptr(MsMessage) m2 = parse ("\r\nbody after an empty header block\r\n");
  g_autoptr(MsMessage) m3 = parse ("");
  g_autoptr(GPtrArray) parts = NULL;
  g_autofree char *s1 = serialise (m1);
  g_autofree char *s2 = serialise (m2);

  cr_expect_str_eq (s1, "just a body line\r\nand another\r\n");
  cr_expect_not (ms_message_has_header_separator (m1));
  cr_expect_str_eq (s2, "\r\nbody after an empty header block\r\n");
  cr_expect (ms_message_has_header_separator (m2));
  cr_expect_null (ms_message_dup_subject (m1));
  parts = ms_message_dup_parts (m1);
  cr_assert_eq (parts->len, 1);
  cr_expect_str_eq (((MsMimePart *) g_ptr_array_index (parts, 0))->content_type, "text/plain");
  cr_expect_eq (g_bytes_get_size (ms_message_to_bytes (m3)), 0);
}

Test (message, header_operations_keep_order_and_folding)
{
  g_autoptr(MsMessage) m = parse ("From: a@example.com\r\nBcc: x@example.com\r\n"
                                  "To: b@example.com,\r\n\tc@example.com\r\n"
                                  "bcc: y@example.com\r\n\r\nhi\r\n");
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *out = NULL;
  MsHeader *h;

  cr_expect_eq (ms_message_count_header (m, "BCC"), 2);
  cr_expect_eq (ms_message_remove_header (m, "Bcc"), 2);
  cr_expect_eq (ms_message_remove_header (m, "Bcc"), 0);
  ms_message_prepend_header (m, "Received",
                             "from client.example.com (client.example.com [192.0.2.1]) by "
                             "mx.example.com with ESMTP id 1A2B3C for <b@example.com>; "
                             "Sat, 28 Nov 2026 05:00:00 +0000");
  ms_message_add_return_path (m, "a@example.com");
  ms_message_add_return_path (m, "<>");   /* a second delivery replaces it */

  list = ms_message_dup_header_list (m);
  cr_assert_eq (list->len, 4);
  h = g_ptr_array_index (list, 0);
  cr_expect_str_eq (h->name, "Return-Path");
  cr_expect_str_eq (h->raw_value, " <>");
  h = g_ptr_array_index (list, 1);
  cr_expect_str_eq (h->name, "Received");
  cr_expect_not_null (strstr (h->raw_value, "\r\n "), "a long Received is folded");
  for (const char *line = h->raw_value; line != NULL; line = strstr (line + 1, "\r\n"))
    cr_expect_leq (strcspn (line + (line == h->raw_value ? 0 : 2), "\r"), 78);
  h = g_ptr_array_index (list, 3);
  cr_expect_str_eq (h->raw_value, " b@example.com,\r\n\tc@example.com");

  out = serialise (m);
  cr_expect (g_str_has_prefix (out, "Return-Path: <>\r\nReceived: from client.example.com"));
  cr_expect_not_null (strstr (out, "To: b@example.com,\r\n\tc@example.com\r\n\r\nhi\r\n"));
  cr_expect_str_eq (ms_message_get_header (m, "to"), "b@example.com,\tc@example.com");
}

static char *
counting_generator (const char *domain,
                    gpointer    user_data)
{
  guint *counter = user_data;

  return g_strdup_printf ("sim-%u@%s", ++*counter, domain);
}

Test (message, message_id_and_date_are_added_only_when_missing)
{
  g_autoptr(MsMessage) m = parse ("Subject: x\r\n\r\n");
  g_autoptr(MsMessage) has = parse ("Message-ID: <keep@example.com>\r\n"
                                    "Date: Mon, 01 Jan 2011 01:02:03 +0400\r\n\r\n");
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 11, 28, 5, 4, 30);
  g_autoptr(GTimeZone) jst = g_time_zone_new_identifier ("+09:00");
  g_autoptr(GDateTime) now_jst = g_date_time_to_timezone (now, jst);
  guint counter = 0;

  ms_message_set_id_generator (counting_generator, &counter);
  cr_expect (ms_message_ensure_message_id (m, "mail.example.com"));
  cr_expect_not (ms_message_ensure_message_id (m, "mail.example.com"));
  cr_expect_not (ms_message_ensure_message_id (has, "mail.example.com"));
  ms_message_set_id_generator (NULL, NULL);
  cr_expect_str_eq (ms_message_get_header (m, "Message-Id"), "<sim-1@mail.example.com>");
  cr_expect_str_eq (ms_message_get_header (has, "Message-Id"), "<keep@example.com>");

  cr_expect (ms_message_ensure_date (m, now_jst));
  cr_expect_not (ms_message_ensure_date (has, now_jst));
  cr_expect_str_eq (ms_message_get_header (m, "Date"), "Sat, 28 Nov 2026 14:04:30 +0900");

  /* Without a generator the id is still unique per call. */
  {
    g_autoptr(MsMessage) a = parse ("\r\n");
    g_autoptr(MsMessage) b = parse ("\r\n");

    ms_message_ensure_message_id (a, "example.org");
    ms_message_ensure_message_id (b, "example.org");
    cr_expect_str_neq (ms_message_get_header (a, "Message-ID"),
                       ms_message_get_header (b, "Message-ID"));
    cr_expect (g_str_has_suffix (ms_message_get_header (a, "Message-ID"), "@example.org>"));
  }
}

Test (message, received_chain_is_parsed_newest_first)
{
  g_autofree char *path = ms_test_data_path ("ja-iso2022jp.eml");
  g_autoptr(MsMessage) m = ms_test_load_message (path);
  g_autoptr(GPtrArray) hops = ms_message_dup_received_hops (m);
  MsReceivedHop *top;
  MsReceivedHop *origin;
  g_autofree char *date = NULL;

  cr_assert_eq (hops->len, 2);
  top = g_ptr_array_index (hops, 0);
  cr_expect_str_eq (top->from, "client.example.jp");
  cr_expect_str_eq (top->from_comment, "client.example.jp [192.0.2.10]");
  cr_expect_str_eq (top->by, "mx.example.jp");
  cr_expect_str_eq (top->by_comment, "Postfix");
  cr_expect_str_eq (top->with, "ESMTP");
  cr_expect_str_eq (top->id, "4A1B2C3D");
  cr_expect_str_eq (top->for_address, "hanako@example.jp");
  cr_assert_not_null (top->date);
  date = g_date_time_format_iso8601 (top->date);
  cr_expect_str_eq (date, "2026-11-28T14:00:05+09");

  origin = g_ptr_array_index (hops, 1);
  cr_expect_str_eq (origin->from, "[10.0.0.5]");
  cr_expect_str_eq (origin->from_comment, "unknown [198.51.100.7]");
  cr_expect_str_eq (origin->by, "client.example.jp");
  cr_expect_str_eq (origin->with, "ESMTPSA");
  cr_expect_str_eq (origin->id, "x12");
  cr_expect_null (origin->for_address);
  cr_expect_lt (g_date_time_compare (origin->date, top->date), 0);
}

Test (message, received_parsing_survives_odd_fields)
{
  const char *odd[] = {
    "", ";", "from", "(unclosed comment", "by by by", "from a (b (nested) c) by d; garbage date",
    "for <>; ", "with\x01\x02;;;", "from x\r\n\tby y;\r\n Mon, 32 Foo 2026 99:99:99 +9999",
  };

  for (guint i = 0; i < G_N_ELEMENTS (odd); i++)
    {
      g_autoptr(MsReceivedHop) hop = ms_received_hop_parse (odd[i]);
      cr_expect_not_null (hop->raw);
    }
  {
    g_autoptr(MsReceivedHop) hop = ms_received_hop_parse ("from a (b (nested) c) by d; x");
    cr_expect_str_eq (hop->from, "a");
    cr_expect_str_eq (hop->from_comment, "b (nested) c");
    cr_expect_str_eq (hop->by, "d");
    cr_expect_null (hop->date);
  }
}
