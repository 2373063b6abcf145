/* ms-dns-view.c: the DNS zone, the query at this step and the record that answered
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A scenario's zone is written with ${switch} references (the SPF record of spf-fail);
 * the records shown are expanded with the switch values in force at the cursor: the
 * scenario's values, then every "switch" event up to it.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ms-dns-view.h"
#include "ms-explain-event.h"
#include "ms-mailbox-view.h"

struct _MsDnsView
{
  GtkBox           parent_instance;

  GtkLabel        *title;
  GtkLabel        *query;
  GtkBox          *list;

  MsPlaybackModel *model;
  GPtrArray       *zone;      /* of char*: the scenario's lines, unexpanded, or NULL */
  GHashTable      *switches;  /* name → value when the scenario starts */
  gboolean         zone_fresh; /* set for a scenario whose trace has not come yet */
};

G_DEFINE_FINAL_TYPE (MsDnsView, ms_dns_view, GTK_TYPE_BOX)

void
ms_dns_view_record_free (MsDnsViewRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_free (record->type);
  g_free (record->value);
  g_free (record);
}

MsDnsViewRecord *
ms_dns_view_record_parse (const char *line)
{
  g_auto(GStrv) words = NULL;
  g_autofree char *copy = NULL;
  MsDnsViewRecord *record;
  const char *p;

  if (line == NULL)
    return NULL;
  copy = g_strstrip (g_strdup (line));
  words = g_strsplit_set (copy, " \t", 3);
  if (g_strv_length (words) < 3)
    {
      g_strfreev (g_steal_pointer (&words));
      return NULL;
    }
  record = g_new0 (MsDnsViewRecord, 1);
  record->name = g_strdup (words[0]);
  record->type = g_ascii_strup (words[1], -1);
  p = words[2];
  while (*p == ' ' || *p == '\t')
    p++;
  record->value = g_strdup (p);
  /* the zone-file form of an answer: "name. TYPE data" after a class or TTL */
  if (g_ascii_strcasecmp (record->type, "IN") == 0)
    {
      MsDnsViewRecord *rest = ms_dns_view_record_parse (record->value);

      if (rest != NULL)
        {
          g_free (rest->name);
          rest->name = g_strdup (record->name);
        }
      ms_dns_view_record_free (record);
      return rest;
    }
  return record;
}

/* For comparing: no trailing dot, no quotes, lower case. */
static char *
normalise (const char *text)
{
  GString *s = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (*p != '"')
      g_string_append_c (s, g_ascii_tolower (*p));
  g_strstrip (s->str);
  while (s->str[0] != '\0' && s->str[strlen (s->str) - 1] == '.')
    s->str[strlen (s->str) - 1] = '\0';
  {
    g_autofree char *text2 = g_string_free (s, FALSE);
    /* "10 mx.example.net." inside */
    g_auto(GStrv) words = g_strsplit (text2, " ", -1);

    for (guint i = 0; words[i] != NULL; i++)
      {
        gsize n = strlen (words[i]);
        if (n > 1 && words[i][n - 1] == '.')
          words[i][n - 1] = '\0';
      }
    return g_strjoinv (" ", words);
  }
}

gboolean
ms_dns_view_record_matches (const MsDnsViewRecord *record,
                            const char            *name,
                            const char            *qtype,
                            const char            *answer)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (record == NULL || name == NULL || qtype == NULL)
    return FALSE;
  a = normalise (record->name);
  b = normalise (name);
  if (strcmp (a, b) != 0 || g_ascii_strcasecmp (record->type, qtype) != 0)
    return FALSE;
  if (answer == NULL)
    return TRUE;
  g_free (a);
  g_free (b);
  a = normalise (record->value);
  b = normalise (answer);
  return strcmp (a, b) == 0;
}

char *
ms_dns_view_expand (const char *text,
                    GHashTable *values)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0';)
    {
      const char *close;

      if (p[0] == '$' && p[1] == '$')
        {
          g_string_append_c (out, '$');
          p += 2;
        }
      else if (p[0] == '$' && p[1] == '{' && (close = strchr (p, '}')) != NULL)
        {
          g_autofree char *name = g_strndup (p + 2, close - p - 2);
          const char *value = values != NULL ? g_hash_table_lookup (values, name) : NULL;

          g_string_append (out, value != NULL ? value : "");
          p = close + 1;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

static const char *
string_field (MsTraceEvent *event,
              const char   *name)
{
  if (event->fields == NULL || !json_object_has_member (event->fields, name))
    return NULL;
  return json_object_get_string_member_with_default (event->fields, name, NULL);
}

/* The answers of a DNS event, whichever form it took. */
static GPtrArray *
event_answers (MsTraceEvent *event)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  const char *members[] = { "answers", "answer" };

  for (gsize m = 0; m < G_N_ELEMENTS (members); m++)
    {
      JsonNode *node = event->fields != NULL && json_object_has_member (event->fields,
                                                                        members[m])
                       ? json_object_get_member (event->fields, members[m]) : NULL;
      JsonArray *array;

      if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
        continue;
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *text = json_array_get_string_element (array, i);

          if (text == NULL)
            continue;
          /* "name. TYPE data" (the zone's own events): keep the data */
          if (m == 1)
            {
              g_autoptr(MsDnsViewRecord) r = NULL;

              r = ms_dns_view_record_parse (text);
              g_ptr_array_add (out, g_strdup (r != NULL ? r->value : text));
            }
          else
            g_ptr_array_add (out, g_strdup (text));
        }
    }
  return out;
}

static const char *
event_name (MsTraceEvent *event)
{
  return string_field (event, "name") ? string_field (event, "name")
                                      : string_field (event, "query");
}

static gboolean
is_answer (MsTraceEvent *event)
{
  return g_strcmp0 (string_field (event, "direction"), "answer") == 0
         || json_object_has_member (event->fields, "answer")
         || json_object_has_member (event->fields, "rcode");
}

/* The records to show: the zone expanded with the switches in force, or else every
 * record the trace's answers name. */
static GPtrArray *
current_records (MsDnsView *self,
                 MsTrace   *trace,
                 guint      n_events)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_dns_view_record_free);

  if (self->zone != NULL)
    {
      g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, self->switches);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (values, key, value);
      for (guint i = 0; i < n_events && i < ms_trace_get_n_events (trace); i++)
        {
          MsTraceEvent *e = ms_trace_get_event (trace, i);

          if (strcmp (e->type, "switch") == 0 && string_field (e, "name") != NULL
              && string_field (e, "value") != NULL)
            g_hash_table_insert (values, (gpointer) string_field (e, "name"),
                                 (gpointer) string_field (e, "value"));
        }
      for (guint i = 0; i < self->zone->len; i++)
        {
          g_autofree char *line = ms_dns_view_expand (g_ptr_array_index (self->zone, i), values);
          MsDnsViewRecord *r = ms_dns_view_record_parse (line);

          if (r != NULL)
            g_ptr_array_add (records, r);
        }
      return records;
    }
  for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
    {
      MsTraceEvent *e = ms_trace_get_event (trace, i);
      g_autoptr(GPtrArray) answers = NULL;

      if (strcmp (e->type, "dns") != 0 || !is_answer (e) || event_name (e) == NULL
          || string_field (e, "qtype") == NULL)
        continue;
      answers = event_answers (e);
      for (guint k = 0; k < answers->len; k++)
        {
          gboolean known = FALSE;

          for (guint r = 0; r < records->len && !known; r++)
            known = ms_dns_view_record_matches (g_ptr_array_index (records, r), event_name (e),
                                                string_field (e, "qtype"),
                                                g_ptr_array_index (answers, k));
          if (!known)
            {
              MsDnsViewRecord *rec = g_new0 (MsDnsViewRecord, 1);

              rec->name = g_strdup (event_name (e));
              rec->type = g_ascii_strup (string_field (e, "qtype"), -1);
              rec->value = g_strdup (g_ptr_array_index (answers, k));
              g_ptr_array_add (records, rec);
            }
        }
    }
  return records;
}

static void
clear_list (MsDnsView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_box_remove (self->list, child);
}

static void
update (MsDnsView *self)
{
  MsTrace *trace = self->model ? ms_playback_model_get_trace (self->model) : NULL;
  const MsStep *step = self->model ? ms_playback_model_get_current (self->model) : NULL;
  MsTraceEvent *event = NULL;
  MsTraceEvent *spf = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) answers = NULL;
  guint n_events;

  clear_list (self);
  gtk_label_set_text (self->title, self->zone != NULL ? _("DNS zone of the scenario")
                                                      : _("DNS records seen in this trace"));
  if (trace == NULL)
    {
      gtk_label_set_text (self->query, "");
      return;
    }
  n_events = ms_playback_events_before (self->model, ms_playback_model_get_cursor (self->model));
  if (step != NULL && step->kind == MS_STEP_EVENT)
    {
      event = ms_playback_model_get_step_event (self->model, step);
      /* an SPF check reads the domain's TXT record (RFC 7208 §4.4) */
      if (strcmp (event->type, "policy") == 0 && g_strcmp0 (string_field (event, "check"),
                                                            "spf") == 0
          && string_field (event, "domain") != NULL)
        spf = event;
      if (strcmp (event->type, "dns") != 0)
        event = NULL;
    }
  if (spf != NULL)
    {
      g_autofree char *summary = ms_explain_event_summary (spf);
      g_autofree char *escaped = g_markup_escape_text (summary, -1);
      g_autofree char *markup = NULL;

      /* TRANSLATORS: an SPF check and the DNS record it read */
      markup = g_strdup_printf (_("<b>%s</b>\nThe receiving MTA read the SPF record (TXT "
                                  "\"v=spf1 …\") of the envelope sender's domain."), escaped);
      gtk_label_set_markup (self->query, markup);
    }
  else if (event != NULL)
    {
      g_autofree char *summary = ms_explain_event_summary (event);
      g_autofree char *escaped = g_markup_escape_text (summary, -1);
      g_autofree char *markup = g_strdup_printf ("<b>%s</b>", escaped);

      gtk_label_set_markup (self->query, markup);
      answers = event_answers (event);
    }
  else
    gtk_label_set_text (self->query, _("No DNS lookup at this step. Step onto a “dns” event "
                                       "to see the question and the record that answers it."));

  records = current_records (self, trace, n_events);
  if (records->len == 0)
    gtk_box_append (self->list, gtk_label_new (_("No DNS records in this trace.")));
  for (guint i = 0; i < records->len; i++)
    {
      MsDnsViewRecord *r = g_ptr_array_index (records, i);
      g_autofree char *name = g_markup_escape_text (r->name, -1);
      g_autofree char *value = g_markup_escape_text (r->value, -1);
      g_autofree char *markup = g_strdup_printf ("<tt>%s  <b>%s</b>  %s</tt>", name, r->type,
                                                 value);
      GtkWidget *row = gtk_label_new (NULL);
      gboolean asked = event != NULL
                       && ms_dns_view_record_matches (r, event_name (event),
                                                      string_field (event, "qtype"), NULL);
      gboolean answered = FALSE;

      for (guint k = 0; asked && is_answer (event) && answers != NULL && k < answers->len; k++)
        answered = answered || ms_dns_view_record_matches (r, event_name (event),
                                                           string_field (event, "qtype"),
                                                           g_ptr_array_index (answers, k));
      if (spf != NULL && ms_dns_view_record_matches (r, string_field (spf, "domain"), "TXT",
                                                     NULL))
        {
          g_autofree char *v = g_ascii_strdown (r->value, -1);

          answered = strstr (v, "v=spf1") != NULL;
        }
      gtk_label_set_markup (GTK_LABEL (row), markup);
      gtk_label_set_xalign (GTK_LABEL (row), 0);
      gtk_label_set_wrap (GTK_LABEL (row), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (row), PANGO_WRAP_WORD_CHAR);
      gtk_widget_add_css_class (row, "dns-record");
      if (answered)
        {
          gtk_widget_add_css_class (row, "dns-answer");
          gtk_widget_set_tooltip_text (row, _("This record answered the query"));
        }
      else if (asked && !is_answer (event))
        {
          gtk_widget_add_css_class (row, "dns-asked");
          gtk_widget_set_tooltip_text (row, _("The query asks for this record"));
        }
      gtk_box_append (self->list, row);
    }
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsDnsView       *self)
{
  update (self);
}

static void
on_trace_changed (MsPlaybackModel *model,
                  MsDnsView       *self)
{
  /* a zone belongs to the scenario's own trace only */
  if (self->zone_fresh)
    self->zone_fresh = FALSE;
  else
    {
      g_clear_pointer (&self->zone, g_ptr_array_unref);
      g_hash_table_remove_all (self->switches);
    }
  update (self);
}

void
ms_dns_view_set_scenario (MsDnsView  *self,
                          MsScenario *scenario)
{
  g_return_if_fail (MS_IS_DNS_VIEW (self));

  g_clear_pointer (&self->zone, g_ptr_array_unref);
  g_hash_table_remove_all (self->switches);
  self->zone_fresh = scenario != NULL;
  if (scenario == NULL)
    return;
  self->zone = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; scenario->dns != NULL && i < scenario->dns->len; i++)
    g_ptr_array_add (self->zone, g_strdup (g_ptr_array_index (scenario->dns, i)));
  for (guint i = 0; scenario->switches != NULL && i < scenario->switches->len; i++)
    {
      MsScenarioSwitch *sw = g_ptr_array_index (scenario->switches, i);

      g_hash_table_insert (self->switches, g_strdup (sw->name), g_strdup (sw->value));
    }
}

static void
ms_dns_view_dispose (GObject *object)
{
  MsDnsView *self = MS_DNS_VIEW (object);

  ms_dns_view_set_model (self, NULL);
  g_clear_pointer (&self->zone, g_ptr_array_unref);
  g_clear_pointer (&self->switches, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_DNS_VIEW);
  G_OBJECT_CLASS (ms_dns_view_parent_class)->dispose (object);
}

static void
ms_dns_view_class_init (MsDnsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_dns_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-dns-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsDnsView, title);
  gtk_widget_class_bind_template_child (widget_class, MsDnsView, query);
  gtk_widget_class_bind_template_child (widget_class, MsDnsView, list);
}

static void
ms_dns_view_init (MsDnsView *self)
{
  self->switches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
ms_dns_view_set_model (MsDnsView       *self,
                       MsPlaybackModel *model)
{
  if (!ms_playback_model_attach_view (&self->model, model, self,
                                      G_CALLBACK (on_cursor_changed),
                                      G_CALLBACK (on_trace_changed))
      || model == NULL)
    return;
  update (self);
}
