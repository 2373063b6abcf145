/* test-ms-imap-parser.c: tokenizer, literals, lists and sequence sets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-imap-parser.h"

/* Renders an argument tree back as text, to compare in one assertion. */
static void
render (GString *out, GPtrArray *args)
{
  for (guint i = 0; i < args->len; i++)
    {
      MsImapArg *a = g_ptr_array_index (args, i);
      if (i > 0)
        g_string_append_c (out, ' ');
      switch (a->type)
        {
        case MS_IMAP_ARG_ATOM:
          g_string_append_printf (out, "atom:%s", a->str);
          break;
        case MS_IMAP_ARG_QUOTED:
          g_string_append_printf (out, "q:<%s>", a->str);
          break;
        case MS_IMAP_ARG_LITERAL:
          g_string_append_printf (out, "lit%zu:<%.*s>", a->len, (int) a->len, a->str);
          break;
        case MS_IMAP_ARG_LIST:
          g_string_append_c (out, '[');
          render (out, a->list);
          g_string_append_c (out, ']');
          break;
        }
    }
}

static char *
parse_to_text (const char *input)
{
  g_autofree char *tag = NULL;
  g_autofree char *error = NULL;
  g_autoptr(MsImapCommand) cmd = ms_imap_parse_command ((const guint8 *) input, strlen (input),
                                                        &tag, &error);
  GString *out = g_string_new (NULL);

  if (cmd == NULL)
    {
      g_string_printf (out, "error(%s):%s", tag ? tag : "-", error);
      return g_string_free (out, FALSE);
    }
  g_string_printf (out, "%s|%s|", cmd->tag, cmd->name);
  render (out, cmd->args);
  return g_string_free (out, FALSE);
}

typedef struct
{
  const char *input;
  const char *expected;
} Row;

static const Row rows[] = {
  /* atoms and command names */
  { "a1 NOOP", "a1|NOOP|" },
  { "a1 noop", "a1|NOOP|" },
  { "A.2 select INBOX", "A.2|SELECT|atom:INBOX" },
  { "t uid fetch 1:* (FLAGS)", "t|UID FETCH|atom:1:* [atom:FLAGS]" },
  /* quoted strings with escapes */
  { "a LOGIN \"al ice\" \"p\\\"w\\\\d\"", "a|LOGIN|q:<al ice> q:<p\"w\\d>" },
  { "a LOGIN \"\" \"x\"", "a|LOGIN|q:<> q:<x>" },
  { "a LOGIN \"bad\\n\" x", "error(a):Invalid escape in quoted string" },
  { "a LOGIN \"open", "error(a):Unterminated quoted string" },
  /* literals inline */
  { "a LOGIN {5}\r\nalice {6+}\r\nse\0ret", NULL },
  /* nested lists and sections */
  { "a FETCH 1 (FLAGS (A (B C)) BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)",
    "a|FETCH|atom:1 [atom:FLAGS [atom:A [atom:B atom:C]] atom:BODY.PEEK[HEADER.FIELDS (From To)]<0.100>]" },
  { "a STORE 1 +FLAGS (\\Seen \\Deleted)", "a|STORE|atom:1 atom:+FLAGS [atom:\\Seen atom:\\Deleted]" },
  { "a LIST \"\" *", "a|LIST|q:<> atom:*" },
  { "a SEARCH () x", "a|SEARCH|[] atom:x" },
  /* errors */
  { "", "error(-):Empty command line" },
  { "+a NOOP", "error(-):Invalid tag" },
  { "a", "error(a):Missing command" },
  { "a  NOOP", "error(a):Invalid command name" },
  { "a FETCH 1 (FLAGS", "error(a):Missing ')'" },
  { "a FETCH 1 FLAGS)", "error(a):Unexpected ')'" },
  { "a FETCH 1  FLAGS", "error(a):Unexpected extra space" },
  { "a FETCH 1 BODY[TEXT", "error(a):Missing ']'" },
  { "a UID", "error(a):Missing or invalid UID command" },
  { "a LOGIN {10}\r\nshort", "error(a):Literal shorter than announced" },
  { "a X ((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))",
    "error(a):Lists nested too deeply" },
};

Test (imap_parser, arguments_parse_into_typed_trees)
{
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *got = NULL;

      if (rows[i].expected == NULL)
        continue;
      got = parse_to_text (rows[i].input);
      cr_expect_str_eq (got, rows[i].expected, "input %s", rows[i].input);
    }
}

Test (imap_parser, a_literal_may_hold_nul_bytes_and_plus_literals)
{
  static const char input[] = "a LOGIN {5}\r\nalice {6+}\r\nse\0ret";
  g_autoptr(MsImapCommand) cmd = ms_imap_parse_command ((const guint8 *) input, sizeof input - 1,
                                                        NULL, NULL);
  MsImapArg *pw;

  cr_assert_not_null (cmd);
  cr_assert_eq (cmd->args->len, 2);
  cr_expect_str_eq (((MsImapArg *) g_ptr_array_index (cmd->args, 0))->str, "alice");
  pw = g_ptr_array_index (cmd->args, 1);
  cr_expect_eq (pw->type, MS_IMAP_ARG_LITERAL);
  cr_expect_eq (pw->len, 6);
  cr_expect (memcmp (pw->str, "se\0ret", 6) == 0);
}

/* The parser collects a command from lines and literal pieces as the engine hands them. */
Test (imap_parser, lines_and_literals_are_collected_until_the_command_is_complete)
{
  MsImapParser *parser = ms_imap_parser_new (1000, 100);
  guint64 size = 0;
  gboolean sync = FALSE;
  g_autofree char *tag = NULL;
  g_autofree char *error = NULL;
  g_autoptr(MsImapCommand) cmd = NULL;

  cr_assert_eq (ms_imap_parser_push_line (parser, "A1 APPEND INBOX (\\Seen) {11}", 28, &size, &sync),
                MS_IMAP_PUSH_NEED_LITERAL);
  cr_expect_eq (size, 11);
  cr_expect (sync);
  /* the literal arrives in two pieces */
  ms_imap_parser_push_literal (parser, (const guint8 *) "Hello", 5);
  ms_imap_parser_push_literal (parser, (const guint8 *) " world", 6);
  cr_assert_eq (ms_imap_parser_push_line (parser, "", 0, &size, &sync), MS_IMAP_PUSH_COMPLETE);
  cmd = ms_imap_parser_take (parser, &tag, &error);
  cr_assert_not_null (cmd, "%s", error);
  cr_expect_str_eq (cmd->name, "APPEND");
  cr_assert_eq (cmd->args->len, 3);
  cr_expect_str_eq (((MsImapArg *) g_ptr_array_index (cmd->args, 2))->str, "Hello world");
  cr_expect (ms_imap_parser_is_empty (parser));

  /* non-synchronizing, and a quoted "{5}" is not a literal */
  cr_expect_eq (ms_imap_parser_push_line (parser, "b LOGIN x {3+}", 14, &size, &sync),
                MS_IMAP_PUSH_NEED_LITERAL);
  cr_expect (!sync);
  ms_imap_parser_reset (parser);
  cr_expect_eq (ms_imap_parser_push_line (parser, "b LOGIN x \"{5}\"", 15, &size, &sync),
                MS_IMAP_PUSH_COMPLETE);
  ms_imap_parser_reset (parser);
  cr_expect_eq (ms_imap_parser_push_line (parser, "b LOGIN x \"a\\\"{5}", 17, &size, &sync),
                MS_IMAP_PUSH_COMPLETE);
  ms_imap_parser_reset (parser);

  /* limits */
  cr_expect_eq (ms_imap_parser_push_line (parser, "c APPEND x {101}", 16, &size, &sync),
                MS_IMAP_PUSH_TOO_LARGE);
  ms_imap_parser_reset (parser);
  /* the cap is for all the literals of a command together */
  cr_expect_eq (ms_imap_parser_push_line (parser, "c LOGIN {60}", 12, &size, &sync),
                MS_IMAP_PUSH_NEED_LITERAL);
  cr_expect_eq (ms_imap_parser_push_line (parser, " {41}", 5, &size, &sync),
                MS_IMAP_PUSH_TOO_LARGE);
  ms_imap_parser_reset (parser);
  cr_expect_eq (ms_imap_parser_push_line (parser, "c LOGIN {60}", 12, &size, &sync),
                MS_IMAP_PUSH_NEED_LITERAL);
  cr_expect_eq (ms_imap_parser_push_line (parser, " {40}", 5, &size, &sync),
                MS_IMAP_PUSH_NEED_LITERAL);
  ms_imap_parser_reset (parser);
  cr_expect_eq (ms_imap_parser_push_line (parser, "c APPEND x {99999999999999999999999}", 36,
                                          &size, &sync), MS_IMAP_PUSH_COMPLETE);
  ms_imap_parser_reset (parser);
  {
    g_autofree char *big = g_strnfill (1001, 'x');
    cr_expect_eq (ms_imap_parser_push_line (parser, big, 1001, &size, &sync), MS_IMAP_PUSH_TOO_LONG);
  }
  ms_imap_parser_free (parser);
}

static char *
set_text (const char *text, guint32 star)
{
  g_autoptr(GArray) set = ms_imap_sequence_set_parse (text);
  GString *out = g_string_new (NULL);

  if (set == NULL)
    return g_string_free (out, FALSE);
  ms_imap_sequence_set_resolve (set, star);
  for (guint i = 0; i < set->len; i++)
    {
      MsImapRange *r = &g_array_index (set, MsImapRange, i);
      g_string_append_printf (out, "%s%u-%u", i ? "," : "", r->lo, r->hi);
    }
  return g_string_free (out, FALSE);
}

Test (imap_parser, sequence_sets_resolve_star_and_reversed_ranges)
{
  static const struct { const char *in; guint32 star; const char *out; } cases[] = {
    { "1", 10, "1-1" },
    { "1:3,5", 10, "1-3,5-5" },
    { "*", 10, "10-10" },
    { "5:*", 3, "3-5" },       /* RFC 3501: n:* with n > max still contains max */
    { "4:2", 10, "2-4" },
    { "*:4", 10, "4-10" },
    { "1,2,3:4,*", 7, "1-1,2-2,3-4,7-7" },
    { "0", 10, "" },
    { "01", 10, "" },
    { "1:", 10, "" },
    { "1,", 10, "" },
    { ",1", 10, "" },
    { "a", 10, "" },
    { "4294967295", 10, "" },
    { "4294967294", 10, "4294967294-4294967294" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = set_text (cases[i].in, cases[i].star);
      cr_expect_str_eq (got, cases[i].out, "set %s", cases[i].in);
    }
  {
    g_autoptr(GArray) set = ms_imap_sequence_set_parse ("2:4,9");
    ms_imap_sequence_set_resolve (set, 20);
    cr_expect (ms_imap_sequence_set_contains (set, 3));
    cr_expect (ms_imap_sequence_set_contains (set, 9));
    cr_expect (!ms_imap_sequence_set_contains (set, 5));
  }
}

Test (imap_parser, output_strings_are_quoted_or_sent_as_literals)
{
  g_autoptr(GString) out = g_string_new (NULL);

  ms_imap_append_string (out, "a \"b\" \\c", 8);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, NULL);
  g_string_append_c (out, ' ');
  ms_imap_append_string (out, "x\r\ny", 4);
  cr_expect_str_eq (out->str, "\"a \\\"b\\\" \\\\c\" NIL {4}\r\nx\r\ny");
}

/* Whatever comes in, the parser answers with a command or an error, never a crash. */
Test (imap_parser, random_input_never_crashes)
{
  GRand *rand = g_rand_new_with_seed (42);
  static const char alphabet[] = "aA1 ()[]{}<>\"\\*%+:.,\r\n\x01\xff";

  for (guint i = 0; i < 20000; i++)
    {
      char buf[64];
      guint len = g_rand_int_range (rand, 0, sizeof buf);
      g_autofree char *tag = NULL;
      g_autofree char *error = NULL;
      MsImapCommand *cmd;

      for (guint j = 0; j < len; j++)
        buf[j] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      cmd = ms_imap_parse_command ((const guint8 *) buf, len, &tag, &error);
      cr_assert ((cmd != NULL) != (error != NULL));
      ms_imap_command_free (cmd);
    }
  g_rand_free (rand);
}

Test (imap_parser, modified_utf7_mailbox_names_round_trip)
{
  static const struct { const char *utf8; const char *wire; } names[] = {
    { "INBOX", "INBOX" },
    { "Tom & Jerry", "Tom &- Jerry" },
    { "受信箱", "&U9dP4Xux-" },
    { "日本語/下書き", "&ZeVnLIqe-/&Tgtm+DBN-" },
    { "~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
    { "x😀y", "x&2D3eAA-y" },
    { "a\tb", "a&AAk-b" },
  };
  static const char *const invalid[] = {
    "&", "&U9dP4Xux", "&AGE-", "&Jjo!-", "&U9dP4XuxAA-", "&2D0-", "&3gA-", "a\x01", "&-&",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *wire = ms_imap_mutf7_encode (names[i].utf8);
      g_autofree char *utf8 = ms_imap_mutf7_decode (names[i].wire);

      cr_expect_str_eq (wire, names[i].wire, "encode %s", names[i].utf8);
      cr_expect_str_eq (utf8, names[i].utf8, "decode %s", names[i].wire);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *utf8 = ms_imap_mutf7_decode (invalid[i]);
      cr_expect_null (utf8, "%s should be refused", invalid[i]);
    }
}
