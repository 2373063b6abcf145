/* ms-message-generate.c: composes sample messages with MsMessage (tests only)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: ms-message-generate DIR  → writes DIR/generated-NN.eml, so that Python's email
 * package can check what we compose.
 */
#include <string.h>

#include "ms-message.h"

typedef struct
{
  const char        *from_name;
  const char        *subject;
  const char        *charset;
  MsHeaderEncoding   encoding;
  const char        *text_charset;
  MsTransferEncoding text_encoding;
  const char        *attachment;   /* filename, or NULL */
} Sample;

static const Sample samples[] = {
  { "山田太郎", "テスト件名", "ISO-2022-JP", MS_HEADER_ENCODING_B, "ISO-2022-JP",
    MS_TRANSFER_ENCODING_7BIT, NULL },
  { "山田 太郎", "Re: 会議の件について（再送）", "ISO-2022-JP", MS_HEADER_ENCODING_Q,
    "ISO-2022-JP", MS_TRANSFER_ENCODING_7BIT, "議事録.pdf" },
  { "Café Owner", "Café ☕ and a rather long subject line that needs more than one encoded "
    "word because it goes on and on", "UTF-8", MS_HEADER_ENCODING_Q, "UTF-8",
    MS_TRANSFER_ENCODING_QUOTED_PRINTABLE, "menu – été.txt" },
  { "Smith, John", "plain ASCII subject", "UTF-8", MS_HEADER_ENCODING_B, "UTF-8",
    MS_TRANSFER_ENCODING_DEFAULT, "report.csv" },
  { NULL, "これは長い件名です。エンコードされた語は七十五文字を超えてはいけないので、"
    "いくつかに分けて送られます。", "UTF-8", MS_HEADER_ENCODING_B, "UTF-8",
    MS_TRANSFER_ENCODING_BASE64,
    "とても長い日本語のファイル名なのでRFC2231の継続行に分割されるはずです.docx" },
  { "鈴木一郎", "添付ファイル送付のお知らせ", "ISO-2022-JP", MS_HEADER_ENCODING_B, "UTF-8",
    MS_TRANSFER_ENCODING_8BIT, "見積書（2026年度）.xlsx" },
};

int
main (int   argc,
      char *argv[])
{
  if (argc != 2)
    {
      g_printerr ("usage: %s DIR\n", argv[0]);
      return 2;
    }
  g_mkdir_with_parents (argv[1], 0755);

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      const Sample *s = &samples[i];
      g_autoptr(GPtrArray) from = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
      g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
      g_autoptr(GPtrArray) cc = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
      g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 11, 28, 5, 0, (double) i);
      g_autoptr(GBytes) data = g_bytes_new_static ("attachment\x00\x01\x02 bytes", 19);
      g_autoptr(GError) error = NULL;
      g_autoptr(MsMessage) message = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *path = NULL;
      g_autofree char *id = g_strdup_printf ("gen-%u@example.jp", i);
      MsAttachmentSpec attachment = { s->attachment, "application/octet-stream", data };
      MsMessageSpec spec = { 0 };

      g_ptr_array_add (from, ms_address_new (s->from_name, "sender@example.jp"));
      g_ptr_array_add (to, ms_address_new ("花子", "hanako@example.jp"));
      g_ptr_array_add (to, ms_address_new (NULL, "plain@example.com"));
      g_ptr_array_add (cc, ms_address_new ("O'Brien, Pat \"PJ\"", "pat@example.ie"));
      spec.from = from;
      spec.to = to;
      spec.cc = cc;
      spec.subject = s->subject;
      spec.header_charset = s->charset;
      spec.header_encoding = s->encoding;
      spec.date = date;
      spec.message_id = id;
      spec.text = "本文の一行目です。\n= equals and trailing space \nLast line.\n";
      if (s->text_charset && strcmp (s->text_charset, "ISO-2022-JP") == 0)
        spec.text = "本文の一行目です。\n二行目。\n";
      spec.text_charset = s->text_charset;
      spec.text_encoding = s->text_encoding;
      if (s->attachment)
        {
          spec.attachments = &attachment;
          spec.n_attachments = 1;
        }
      message = ms_message_new (&spec, &error);
      if (message == NULL)
        {
          g_printerr ("sample %u: %s\n", i, error->message);
          return 1;
        }
      bytes = ms_message_to_bytes (message);
      path = g_strdup_printf ("%s/generated-%02u.eml", argv[1], i);
      if (!g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  return 0;
}
