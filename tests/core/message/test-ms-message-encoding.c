/* test-ms-message-encoding.c: encoded words, addresses, composing, MIME parts, bad input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-message.h"
#include "test-message-support.h"

/* Reference values computed with Python: base64.b64encode("テスト件名".encode(...)). */
#define SUBJECT_JA       "テスト件名"
#define SUBJECT_JA_JIS_B "=?ISO-2022-JP?B?GyRCJUYlOSVIN29MPhsoQg==?="
#define SUBJECT_JA_UTF_B "=?UTF-8?B?44OG44K544OI5Lu25ZCN?="

Test (encoded_words, japanese_subject_encodes_as_japanese_clients_do)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *jis = ms_rfc2047_encode (SUBJECT_JA, "ISO-2022-JP", MS_HEADER_ENCODING_B, &error);
  g_autofree char *utf = ms_rfc2047_encode (SUBJECT_JA, NULL, MS_HEADER_ENCODING_B, NULL);
  g_autofree char *q = ms_rfc2047_encode ("Café au lait", "UTF-8", MS_HEADER_ENCODING_Q, NULL);
  g_autofree char *re = ms_rfc2047_encode ("Re: " SUBJECT_JA, "ISO-2022-JP",
                                           MS_HEADER_ENCODING_B, NULL);
  g_autofree char *ascii = ms_rfc2047_encode ("plain =? not", NULL, MS_HEADER_ENCODING_B, NULL);

  cr_assert_not_null (jis, "%s", error ? error->message : "");
  cr_expect_str_eq (jis, SUBJECT_JA_JIS_B);
  cr_expect_str_eq (utf, SUBJECT_JA_UTF_B);
  cr_expect_str_eq (q, "=?UTF-8?Q?Caf=C3=A9?= au lait");
  cr_expect_str_eq (re, "Re: " SUBJECT_JA_JIS_B);
  cr_expect_str_eq (ascii, "plain =? not");
  {
    /* Text that would read as an encoded word is itself encoded. */
    g_autofree char *trap = ms_rfc2047_encode ("see =?x?q?y?=", NULL, MS_HEADER_ENCODING_B, NULL);
    g_autofree char *back = ms_rfc2047_decode (trap);

    cr_expect_str_eq (trap, "see =?UTF-8?B?PT94P3E/eT89?=");
    cr_expect_str_eq (back, "see =?x?q?y?=");
  }
}

Test (encoded_words, decode_both_charsets_and_round_trip_long_text)
{
  const char *long_text = "これは長い件名です。エンコードされた語は七十五文字を超えてはいけないので、"
                          "いくつかに分けて送られます。ASCII words in between too.";
  const char *charsets[] = { "UTF-8", "ISO-2022-JP" };

  for (guint c = 0; c < G_N_ELEMENTS (charsets); c++)
    for (int e = MS_HEADER_ENCODING_B; e <= MS_HEADER_ENCODING_Q; e++)
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *encoded = ms_rfc2047_encode (long_text, charsets[c], e, &error);
        g_autofree char *decoded = NULL;
        g_auto(GStrv) words = NULL;

        cr_assert_not_null (encoded, "%s: %s", charsets[c], error ? error->message : "");
        words = g_strsplit (encoded, " ", -1);
        for (guint i = 0; words[i] != NULL; i++)
          cr_expect_leq (strlen (words[i]), MS_RFC2047_MAX_WORD, "word %s", words[i]);
        decoded = ms_rfc2047_decode (encoded);
        cr_expect_str_eq (decoded, long_text, "%s/%d: %s", charsets[c], e, encoded);
      }
  {
    g_autofree char *a = ms_rfc2047_decode (SUBJECT_JA_JIS_B);
    g_autofree char *b = ms_rfc2047_decode ("=?iso-2022-jp?b?GyRCJUYlOSVIN29MPhsoQg==?=");
    g_autofree char *c = ms_rfc2047_decode ("=?Shift_JIS?B?g2WDWINn?= =?EUC-JP?B?t+/Mvg==?=");
    g_autofree char *d = ms_rfc2047_decode ("=?ISO-8859-1?Q?Andr=E9?= Pirard");

    cr_expect_str_eq (a, SUBJECT_JA);
    cr_expect_str_eq (b, SUBJECT_JA);
    cr_expect_str_eq (c, SUBJECT_JA);
    cr_expect_str_eq (d, "André Pirard");
  }
}

Test (encoded_words, a_client_ignoring_charsets_shows_mojibake)
{
  g_autofree char *jis = ms_rfc2047_decode_naively (SUBJECT_JA_JIS_B, NULL);
  g_autofree char *utf = ms_rfc2047_decode_naively (SUBJECT_JA_UTF_B, "ISO-8859-1");
  g_autofree char *sjis = ms_rfc2047_decode_naively (SUBJECT_JA_UTF_B, "SHIFT_JIS");
  g_autoptr(MsMessage) m = NULL;

  cr_expect_str_eq (jis, "^[$B%F%9%H7oL>^[(B");
  cr_expect (g_utf8_validate (utf, -1, NULL));
  cr_expect (g_str_has_prefix (utf, "ã\xC2\x83\xC2\x86"), "got %s", utf);
  cr_expect (g_utf8_validate (sjis, -1, NULL));
  cr_expect_str_neq (sjis, SUBJECT_JA);

  {
    g_autoptr(GBytes) raw = g_bytes_new_static ("Subject: " SUBJECT_JA_JIS_B "\r\n\r\n",
                                                strlen ("Subject: " SUBJECT_JA_JIS_B "\r\n\r\n"));
    g_autofree char *naive = NULL;
    g_autofree char *decoded = NULL;

    m = ms_message_new_from_bytes (raw, NULL);
    naive = ms_message_decode_header_naively (m, "Subject", NULL);
    decoded = ms_message_dup_subject (m);
    cr_expect_str_eq (naive, "^[$B%F%9%H7oL>^[(B");
    cr_expect_str_eq (decoded, SUBJECT_JA);
    cr_expect_str_eq (ms_message_get_header (m, "Subject"), SUBJECT_JA_JIS_B, "raw view");
  }
}

Test (encoded_words, text_that_the_charset_cannot_carry_is_a_clear_error)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = ms_rfc2047_encode ("絵文字 😀", "ISO-2022-JP", MS_HEADER_ENCODING_B,
                                            &error);

  cr_expect_null (out);
  cr_assert_not_null (error);
  cr_expect_eq (error->code, MS_MESSAGE_ERROR_FAILED);
  cr_expect_not_null (strstr (error->message, "ISO-2022-JP"));
}

Test (addresses, lists_parse_with_decoded_names_and_groups)
{
  g_autoptr(GPtrArray) list = ms_address_list_parse (
    "=?ISO-2022-JP?B?GyRCOzNFREJATzobKEI=?= <taro@example.jp>, \"Smith, John\"\r\n"
    " <john@example.com>, plain@example.org, Team: a@example.net, b@example.net;,"
    " undisclosed-recipients:;");
  g_autofree char *shown = NULL;
  MsAddress *a;

  cr_assert_eq (list->len, 6);
  a = g_ptr_array_index (list, 0);
  cr_expect_str_eq (a->name, "山田太郎");
  cr_expect_str_eq (a->address, "taro@example.jp");
  a = g_ptr_array_index (list, 1);
  cr_expect_str_eq (a->name, "Smith, John");
  a = g_ptr_array_index (list, 2);
  cr_expect_null (a->name);
  cr_expect_str_eq (a->address, "plain@example.org");
  a = g_ptr_array_index (list, 4);
  cr_expect_str_eq (a->group, "Team");
  cr_expect_str_eq (a->address, "b@example.net");
  a = g_ptr_array_index (list, 5);
  cr_expect_str_eq (a->group, "undisclosed-recipients");
  cr_expect_null (a->address);

  shown = ms_address_list_to_display (list);
  cr_expect_str_eq (shown, "山田太郎 <taro@example.jp>, Smith, John <john@example.com>, "
                           "plain@example.org, a@example.net, b@example.net");
}

Test (addresses, format_quotes_or_encodes_and_parses_back)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *wire = NULL;
  g_autoptr(GPtrArray) back = NULL;

  g_ptr_array_add (list, ms_address_new ("山田 太郎", "taro@example.jp"));
  g_ptr_array_add (list, ms_address_new ("Smith, \"JJ\" John", "john@example.com"));
  g_ptr_array_add (list, ms_address_new ("Alice", "alice@example.com"));
  g_ptr_array_add (list, ms_address_new (NULL, "bob@example.com"));
  wire = ms_address_list_format (list, "ISO-2022-JP", MS_HEADER_ENCODING_B, &error);
  cr_assert_not_null (wire);
  cr_expect (g_str_has_prefix (wire, "=?ISO-2022-JP?B?"), "%s", wire);
  cr_expect_not_null (strstr (wire, "\"Smith, \\\"JJ\\\" John\" <john@example.com>"));
  cr_expect_not_null (strstr (wire, "Alice <alice@example.com>, bob@example.com"));
  back = ms_address_list_parse (wire);
  cr_assert_eq (back->len, 4);
  for (guint i = 0; i < 4; i++)
    {
      MsAddress *x = g_ptr_array_index (list, i);
      MsAddress *y = g_ptr_array_index (back, i);

      cr_expect_str_eq (y->address, x->address);
      if (x->name != NULL)
        cr_expect_str_eq (y->name, x->name);
      else
        cr_expect_null (y->name);
    }
}

static GPtrArray *
one_address (const char *name,
             const char *address)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);

  g_ptr_array_add (list, ms_address_new (name, address));
  return list;
}

Test (compose, japanese_message_with_attachments_has_the_expected_structure)
{
  g_autoptr(GPtrArray) from = one_address ("山田太郎", "taro@example.jp");
  g_autoptr(GPtrArray) to = one_address (NULL, "hanako@example.jp");
  g_autoptr(GPtrArray) bcc = one_address (NULL, "boss@example.jp");
  g_autoptr(GBytes) pdf = g_bytes_new_static ("%PDF-1.4\n\x80\x81\xff binary", 20);
  g_autoptr(GBytes) csv = g_bytes_new_static ("a,b\r\n1,2\r\n", 10);
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 11, 28, 5, 0, 0);
  MsAttachmentSpec atts[] = {
    { "令和八年度_議事録（最終版）とても長いファイル名の例.pdf", "application/pdf", pdf },
    { "data.csv", "text/csv", csv },
  };
  MsMessageSpec spec = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MsMessage) m = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GBytes) content = NULL;
  g_autofree char *text = NULL;
  g_autofree char *subject = NULL;
  MsMimePart *p;

  spec.from = from;
  spec.to = to;
  spec.bcc = bcc;
  spec.subject = SUBJECT_JA;
  spec.header_charset = "ISO-2022-JP";
  spec.date = date;
  spec.message_id = "1@example.jp";
  spec.text = "本文です。\n二行目。\n";
  spec.text_charset = "ISO-2022-JP";
  spec.text_encoding = MS_TRANSFER_ENCODING_7BIT;
  spec.attachments = atts;
  spec.n_attachments = G_N_ELEMENTS (atts);

  m = ms_message_new (&spec, &error);
  cr_assert_not_null (m, "%s", error ? error->message : "");
  cr_expect_str_eq (ms_message_get_header (m, "Subject"), SUBJECT_JA_JIS_B);
  subject = ms_message_dup_subject (m);
  cr_expect_str_eq (subject, SUBJECT_JA);
  cr_expect_str_eq (ms_message_get_header (m, "Date"), "Sat, 28 Nov 2026 05:00:00 +0000");
  cr_expect_str_eq (ms_message_get_header (m, "Message-ID"), "<1@example.jp>");
  cr_expect_str_eq (ms_message_get_header (m, "Bcc"), "boss@example.jp");

  parts = ms_message_dup_parts (m);
  cr_assert_eq (parts->len, 4);
  p = g_ptr_array_index (parts, 0);
  cr_expect_str_eq (p->content_type, "multipart/mixed");
  cr_expect_str_eq (p->part_number, "");
  cr_expect (p->is_container);
  p = g_ptr_array_index (parts, 1);
  cr_expect_str_eq (p->part_number, "1");
  cr_expect_str_eq (p->content_type, "text/plain");
  cr_expect_str_eq (p->charset, "ISO-2022-JP");
  cr_expect_str_eq (p->transfer_encoding, "7bit");
  p = g_ptr_array_index (parts, 2);
  cr_expect_str_eq (p->part_number, "2");
  cr_expect_str_eq (p->content_type, "application/pdf");
  cr_expect_str_eq (p->disposition, "attachment");
  cr_expect_str_eq (p->filename, atts[0].filename);
  cr_expect_str_eq (p->transfer_encoding, "base64");
  p = g_ptr_array_index (parts, 3);
  cr_expect_str_eq (p->filename, "data.csv");

  text = ms_message_dup_part_text (m, "1", &error);
  cr_expect_str_eq (text, "本文です。\r\n二行目。\r\n");
  content = ms_message_dup_part_content (m, "2", &error);
  cr_assert_not_null (content);
  cr_expect (g_bytes_equal (content, pdf));
  cr_expect_null (ms_message_dup_part_content (m, "9", NULL));

  /* Every line of what we compose fits in 78 columns and is 7-bit. */
  {
    g_autoptr(GBytes) all = ms_message_to_bytes (m);
    gsize len;
    const guchar *data = g_bytes_get_data (all, &len);
    gsize col = 0;

    for (gsize i = 0; i < len; i++)
      {
        cr_assert_lt (data[i], 0x80, "8-bit byte at %zu", i);
        col = data[i] == '\n' ? 0 : col + 1;
        cr_assert_leq (col, 79, "long line at %zu", i);
      }
  }
}

Test (compose, body_encodings_round_trip_and_7bit_refuses_8bit_text)
{
  const MsTransferEncoding encodings[] = {
    MS_TRANSFER_ENCODING_DEFAULT, MS_TRANSFER_ENCODING_8BIT,
    MS_TRANSFER_ENCODING_QUOTED_PRINTABLE, MS_TRANSFER_ENCODING_BASE64,
  };
  const char *names[] = { "base64", "8bit", "quoted-printable", "base64" };
  const char *body = "日本語の本文 = equals, trailing space \nline two\n";

  for (guint i = 0; i < G_N_ELEMENTS (encodings); i++)
    {
      MsMessageSpec spec = { 0 };
      g_autoptr(MsMessage) m = NULL;
      g_autoptr(GPtrArray) parts = NULL;
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;

      spec.subject = "encodings";
      spec.text = body;
      spec.text_encoding = encodings[i];
      m = ms_message_new (&spec, &error);
      cr_assert_not_null (m, "%s", error ? error->message : "");
      parts = ms_message_dup_parts (m);
      cr_expect_str_eq (((MsMimePart *) g_ptr_array_index (parts, 0))->transfer_encoding,
                        names[i]);
      text = ms_message_dup_part_text (m, "1", NULL);
      cr_expect_str_eq (text, "日本語の本文 = equals, trailing space \r\nline two\r\n",
                        "%s", names[i]);
    }
  {
    MsMessageSpec spec = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(MsMessage) m = NULL;

    spec.text = body;
    spec.text_encoding = MS_TRANSFER_ENCODING_7BIT;
    m = ms_message_new (&spec, &error);
    cr_expect_null (m);
    cr_assert_not_null (error);
    cr_expect_eq (error->code, MS_MESSAGE_ERROR_FAILED);
  }
}

Test (mime, nested_parts_are_numbered_as_imap_does)
{
  g_autofree char *path = ms_test_data_path ("multipart-nested.eml");
  g_autoptr(MsMessage) m = ms_test_load_message (path);
  g_autoptr(GPtrArray) parts = ms_message_dup_parts (m);
  g_autoptr(GPtrArray) to = ms_message_dup_addresses (m, "To");
  g_autofree char *subject = ms_message_dup_subject (m);
  g_autofree char *text = NULL;
  const char *numbers[] = { "", "1", "2", "3", "3", "3.1", "3.2" };
  const char *types[] = { "multipart/mixed", "text/plain", "text/plain", "message/rfc822",
                          "multipart/alternative", "text/plain", "text/html" };

  cr_expect_str_eq (subject, "Café report and more");
  cr_assert_eq (to->len, 1);
  cr_expect_null (((MsAddress *) g_ptr_array_index (to, 0))->address);
  cr_assert_eq (parts->len, G_N_ELEMENTS (numbers));
  for (guint i = 0; i < parts->len; i++)
    {
      MsMimePart *p = g_ptr_array_index (parts, i);

      cr_expect_str_eq (p->part_number, numbers[i], "part %u", i);
      cr_expect_str_eq (p->content_type, types[i], "part %u", i);
    }
  cr_expect_str_eq (((MsMimePart *) g_ptr_array_index (parts, 2))->filename, "報告書.txt");
  cr_expect_str_eq (((MsMimePart *) g_ptr_array_index (parts, 1))->transfer_encoding,
                    "quoted-printable");
  cr_expect_eq (((MsMimePart *) g_ptr_array_index (parts, 5))->size, strlen ("plain"));
  text = ms_message_dup_part_text (m, "1", NULL);
  cr_expect_str_eq (text, "Café ☕");
  g_free (text);
  text = ms_message_dup_part_text (m, "2", NULL);
  cr_expect_str_eq (text, "一行目\n二行目\n");
  g_free (text);
  text = ms_message_dup_part_text (m, "3.2", NULL);
  cr_expect_str_eq (text, "<p>html</p>");

  /* What IMAP needs for BODY[n], BODY[n.MIME] and BODYSTRUCTURE. */
  {
    MsMimePart *att = g_ptr_array_index (parts, 2);
    g_autoptr(GBytes) raw = ms_message_dup_part_raw (m, "2", NULL);
    g_autoptr(GBytes) mime = ms_message_dup_part_mime_header (m, "2", NULL);
    const char *expected_mime = "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Disposition: attachment;\r\n"
                                " filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8%2E%74%78%74\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n";

    cr_assert_not_null (raw);
    cr_expect_eq (g_bytes_get_size (raw), att->size);
    cr_expect_eq (memcmp (g_bytes_get_data (raw, NULL), "5LiA6KGM55uuCuS6jOihjOebrgo=", 28), 0);
    cr_expect_eq (att->lines, 1);
    cr_assert_not_null (mime);
    cr_expect_eq (g_bytes_get_size (mime), strlen (expected_mime));
    cr_expect_eq (memcmp (g_bytes_get_data (mime, NULL), expected_mime, strlen (expected_mime)), 0);
    cr_assert_not_null (att->type_params);
    cr_expect_str_eq (att->type_params[0], "charset");
    cr_expect_str_eq (att->type_params[1], "utf-8");
    cr_assert_not_null (att->disposition_params);
    cr_expect_str_eq (att->disposition_params[0], "filename");
    cr_expect_str_eq (att->disposition_params[1], "報告書.txt");
    cr_expect_str_eq (((MsMimePart *) g_ptr_array_index (parts, 0))->type_params[1], "outer");
    cr_expect_null (ms_message_dup_part_raw (m, "4", NULL));
  }
}

Test (malformed, odd_input_gives_a_message_or_a_clear_error)
{
  static const struct { const char *input; gsize len; int error_code; const char *why; } rows[] = {
    { "No colon here\r\nSubject: x\r\n\r\n", 0, -1, "first line is body" },
    { "Subject: ok\r\nno colon\r\nTo: a\r\n\r\nbody", 0, -1, "body starts at the odd line" },
    { "Subject: \xff\xfe\x80 garbage\r\n\r\n\xff", 0, -1, "8-bit garbage" },
    { "Subject: =?UTF-8?B?44OG44K5\r\n\r\n", 0, -1, "unterminated encoded word" },
    { "Subject: =?bogus-charset?Q?=FF?=\r\n\r\n", 0, -1, "unknown charset" },
    { "Subject: =?UTF-8?X?abc?=\r\n\r\n", 0, -1, "unknown encoding letter" },
    { " leading continuation\r\n\r\n", 0, -1, "continuation first" },
    { "Subject: a\0b\r\n\r\n", 16, MS_MESSAGE_ERROR_SYNTAX, "NUL in a field" },
    { "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nno end", 0, -1, "open multipart" },
    { "Subject: last line without CRLF", 0, -1, "no line end" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gsize len = rows[i].len ? rows[i].len : strlen (rows[i].input);
      g_autoptr(GBytes) raw = g_bytes_new (rows[i].input, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(MsMessage) m = ms_message_new_from_bytes (raw, &error);

      if (rows[i].error_code >= 0)
        {
          cr_expect_null (m, "%s", rows[i].why);
          cr_expect (error != NULL && error->domain == MS_MESSAGE_ERROR
                     && error->code == rows[i].error_code, "%s", rows[i].why);
          continue;
        }
      cr_assert_not_null (m, "%s: %s", rows[i].why, error ? error->message : "");
      {
        g_autofree char *subject = ms_message_dup_subject (m);
        g_autoptr(GPtrArray) parts = ms_message_dup_parts (m);
        g_autoptr(GPtrArray) hops = ms_message_dup_received_hops (m);

        if (subject != NULL)
          cr_expect (g_utf8_validate (subject, -1, NULL), "%s", rows[i].why);
        cr_expect_geq (parts->len, 1, "%s", rows[i].why);
      }
    }
}

Test (malformed, huge_header_is_too_long)
{
  GString *big = g_string_new ("Subject: ");
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MsMessage) m = NULL;

  while (big->len < MS_MESSAGE_MAX_HEADER_BYTES + 10)
    g_string_append (big, "folded words\r\n ");
  g_string_append (big, "end\r\n\r\nbody\r\n");
  raw = g_string_free_to_bytes (big);
  m = ms_message_new_from_bytes (raw, &error);
  cr_expect_null (m);
  cr_assert_not_null (error);
  cr_expect_eq (error->code, MS_MESSAGE_ERROR_TOO_LONG);

  /* A long body is fine. */
  {
    GString *body = g_string_new ("Subject: big body\r\n\r\n");
    g_autoptr(GBytes) raw2 = NULL;
    g_autoptr(MsMessage) m2 = NULL;

    while (body->len < 2 * MS_MESSAGE_MAX_HEADER_BYTES)
      g_string_append (body, "0123456789012345678901234567890123456789\r\n");
    raw2 = g_string_free_to_bytes (body);
    m2 = ms_message_new_from_bytes (raw2, NULL);
    cr_expect_not_null (m2);
  }
}

/* Random bytes and random cuts of real messages: never a crash, and whatever parses
 * serialises back to its CRLF-normalised input. */
Test (malformed, random_input_never_crashes_and_round_trips)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261128);
  g_autoptr(GPtrArray) files = ms_test_message_files ();

  for (guint round = 0; round < 1500; round++)
    {
      GByteArray *buf = g_byte_array_new ();
      g_autoptr(GBytes) raw = NULL;
      g_autoptr(GBytes) expected = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MsMessage) m = NULL;

      if (round % 2 == 0 && files->len > 0)
        {
          g_autofree char *contents = NULL;
          gsize len;

          g_file_get_contents (g_ptr_array_index (files, round / 2 % files->len), &contents,
                               &len, NULL);
          g_byte_array_append (buf, (guint8 *) contents, len);
          for (guint k = 0; k < 8 && buf->len > 0; k++)
            buf->data[g_rand_int_range (rand, 0, buf->len)] = (guint8) g_rand_int (rand);
          g_byte_array_set_size (buf, g_rand_int_range (rand, 0, buf->len + 1));
        }
      else
        {
          static const char alphabet[] = "ab:=?BQ_ \t\r\n\r\n;<>()\"\x80\xff@.-";
          guint n = g_rand_int_range (rand, 0, 400);

          for (guint k = 0; k < n; k++)
            {
              guint8 c = (guint8) alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
              g_byte_array_append (buf, &c, 1);
            }
        }
      raw = g_byte_array_free_to_bytes (buf);
      m = ms_message_new_from_bytes (raw, &error);
      if (m == NULL)
        {
          cr_assert_not_null (error);
          continue;
        }
      expected = ms_test_to_crlf (raw);
      {
        g_autoptr(GBytes) again = ms_message_to_bytes (m);
        g_autofree char *subject = ms_message_dup_subject (m);
        g_autoptr(GPtrArray) parts = ms_message_dup_parts (m);
        g_autoptr(GPtrArray) from = ms_message_dup_addresses (m, "From");
        g_autoptr(GPtrArray) hops = ms_message_dup_received_hops (m);

        /* A header block ending without CRLF gains one; otherwise exact. */
        if (!g_bytes_equal (again, expected))
          cr_assert_eq (g_bytes_get_size (again), g_bytes_get_size (expected) + 2,
                        "round %u", round);
        for (guint k = 0; k < parts->len; k++)
          {
            g_autoptr(GBytes) content =
              ms_message_dup_part_content (m, ((MsMimePart *) parts->pdata[k])->part_number, NULL);
          }
      }
    }
}
