/* test-ms-engine.c: framing, literals, overflow and the STARTTLS hand-over
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-engine.h"
#include "ms-test-chunks.h"

/* A tiny engine for the tests: records what the base hands it. "LIT n" asks for an
 * n-byte literal, "TLS" asks for TLS, "BYE" for a close. */
#define TEST_TYPE_ENGINE (test_engine_get_type ())
G_DECLARE_FINAL_TYPE (TestEngine, test_engine, TEST, ENGINE, MsEngine)

struct _TestEngine
{
  MsEngine   parent_instance;
  GPtrArray *events;
};

G_DEFINE_FINAL_TYPE (TestEngine, test_engine, MS_TYPE_ENGINE)

static void
test_engine_handle_line (MsEngine *engine, const char *line, gsize len)
{
  TestEngine *self = TEST_ENGINE (engine);

  cr_assert_eq (strlen (line), len);
  g_ptr_array_add (self->events, g_strdup_printf ("line:%s", line));
  ms_engine_record_input (engine, MS_LINE_COMMAND, line, len);
  if (g_str_has_prefix (line, "LIT "))
    ms_engine_expect_literal (engine, g_ascii_strtoull (line + 4, NULL, 10));
  else if (strcmp (line, "TLS") == 0)
    {
      ms_engine_send_line (engine, MS_LINE_REPLY, "220 go ahead");
      ms_engine_request_tls (engine);
    }
  else if (strcmp (line, "BYE") == 0)
    ms_engine_request_close (engine);
  else
    ms_engine_send_line (engine, MS_LINE_REPLY, "250 %s", line);
}

static void
test_engine_handle_literal (MsEngine *engine, GBytes *bytes)
{
  TestEngine *self = TEST_ENGINE (engine);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_ptr_array_add (self->events, g_strdup_printf ("literal:%.*s", (int) len, data));
}

static void
test_engine_handle_overflow (MsEngine *engine, gsize discarded)
{
  TestEngine *self = TEST_ENGINE (engine);

  g_ptr_array_add (self->events, g_strdup_printf ("overflow:%zu", discarded));
}

static void
test_engine_tls_started (MsEngine *engine)
{
  g_ptr_array_add (TEST_ENGINE (engine)->events, g_strdup ("tls"));
}

static void
test_engine_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_ENGINE (object)->events);
  G_OBJECT_CLASS (test_engine_parent_class)->finalize (object);
}

static void
test_engine_class_init (TestEngineClass *klass)
{
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_engine_finalize;
  engine_class->handle_line = test_engine_handle_line;
  engine_class->handle_literal = test_engine_handle_literal;
  engine_class->handle_overflow = test_engine_handle_overflow;
  engine_class->tls_started = test_engine_tls_started;
}

static void
test_engine_init (TestEngine *self)
{
  self->events = g_ptr_array_new_with_free_func (g_free);
}

static void
collect_output (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_string_append_len (user_data, (const char *) data, len);
}

static void
feed_piece (const guint8 *data, gsize len, gpointer user_data)
{
  ms_engine_feed (user_data, data, len);
}

static char *
joined_events (TestEngine *engine)
{
  g_ptr_array_add (engine->events, NULL);
  {
    char *joined = g_strjoinv ("|", (char **) engine->events->pdata);
    g_ptr_array_set_size (engine->events, engine->events->len - 1);
    return joined;
  }
}

static const MsChunking all_chunkings[] = { MS_CHUNKS_WHOLE, MS_CHUNKS_BYTE_BY_BYTE, MS_CHUNKS_RANDOM };

Test (engine, lines_and_literals_arrive_the_same_however_the_input_is_split)
{
  static const char input[] = "HELLO\r\nbare lf\nLIT 6\r\nab\r\ncdNEXT\r\nLIT 0\r\nEND\r\n";

  for (guint c = 0; c < G_N_ELEMENTS (all_chunkings); c++)
    for (guint32 seed = 1; seed <= (all_chunkings[c] == MS_CHUNKS_RANDOM ? 20u : 1u); seed++)
      {
        g_autoptr(TestEngine) engine = g_object_new (TEST_TYPE_ENGINE, NULL);
        g_autofree char *events = NULL;

        ms_test_feed_chunks ((const guint8 *) input, sizeof input - 1, all_chunkings[c], seed,
                             feed_piece, engine);
        events = joined_events (engine);
        cr_expect_str_eq (events,
                          "line:HELLO|line:bare lf|line:LIT 6|literal:ab\r\ncd|line:NEXT|"
                          "line:LIT 0|literal:|line:END",
                          "%s (seed %u): %s", ms_test_chunking_name (all_chunkings[c]), seed, events);
      }
}

Test (engine, an_overlong_line_is_reported_once_and_the_next_line_still_works)
{
  for (guint c = 0; c < G_N_ELEMENTS (all_chunkings); c++)
    {
      g_autoptr(TestEngine) engine = g_object_new (TEST_TYPE_ENGINE, NULL);
      g_autoptr(GString) input = g_string_new (NULL);
      g_autofree char *events = NULL;

      ms_engine_set_max_line (MS_ENGINE (engine), 16);
      g_string_append (input, "SHORT\r\n");
      for (int i = 0; i < 100; i++)
        g_string_append_c (input, 'x');
      g_string_append (input, "\r\nAFTER\r\n");
      ms_test_feed_chunks ((const guint8 *) input->str, input->len, all_chunkings[c], 7,
                           feed_piece, engine);
      events = joined_events (engine);
      cr_expect (g_str_has_prefix (events, "line:SHORT|overflow:"), "%s: %s",
                 ms_test_chunking_name (all_chunkings[c]), events);
      cr_expect (g_str_has_suffix (events, "|line:AFTER"), "%s: %s",
                 ms_test_chunking_name (all_chunkings[c]), events);
    }
}

Test (engine, input_behind_a_tls_request_is_dropped)
{
  g_autoptr(TestEngine) engine = g_object_new (TEST_TYPE_ENGINE, NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(MsTrace) trace = ms_trace_new ("live", "t");
  MsTraceSession *session = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, NULL, NULL);
  static const char injected[] = "TLS\r\nINJECTED\r\n";
  g_autofree char *events = NULL;

  ms_engine_set_session (MS_ENGINE (engine), session);
  ms_engine_set_output_func (MS_ENGINE (engine), collect_output, out, NULL);
  ms_engine_feed (MS_ENGINE (engine), (const guint8 *) injected, sizeof injected - 1);
  cr_expect (ms_engine_is_tls_pending (MS_ENGINE (engine)));
  ms_engine_tls_established (MS_ENGINE (engine), MS_TLS_STARTTLS);
  ms_engine_feed (MS_ENGINE (engine), (const guint8 *) "AFTER\r\n", 7);
  events = joined_events (engine);
  cr_expect_str_eq (events, "line:TLS|tls|line:AFTER");
  cr_expect_str_eq (out->str, "220 go ahead\r\n250 AFTER\r\n");
  cr_expect_eq (session->tls, MS_TLS_STARTTLS);
  cr_expect_eq (ms_trace_session_get_n_lines (session), 4);
  cr_expect_eq (ms_trace_session_get_line (session, 1)->dir, MS_DIR_SERVER);
  cr_expect_eq (ms_trace_session_get_line (session, 1)->code, 220);
}

Test (engine, nothing_is_processed_after_a_close)
{
  g_autoptr(TestEngine) engine = g_object_new (TEST_TYPE_ENGINE, NULL);
  g_autofree char *events = NULL;

  ms_engine_feed (MS_ENGINE (engine), (const guint8 *) "BYE\r\nMORE\r\n", 11);
  cr_expect (ms_engine_is_closed (MS_ENGINE (engine)));
  events = joined_events (engine);
  cr_expect_str_eq (events, "line:BYE");
}
