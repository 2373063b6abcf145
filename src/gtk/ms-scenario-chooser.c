/* ms-scenario-chooser.c: the scenario library, searchable and filtered by exam
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row per scenario of the library (ms_scenario_list_all): its title and summary in the
 * current language, its exam tags (基本情報, 応用情報, NW, SC in Japanese) and its topics.
 * The search matches the id, both titles, the summary, the exams and the topics.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ms-scenario.h"
#include "ms-scenario-chooser.h"

struct _MsScenarioChooser
{
  GtkBox          parent_instance;

  GtkSearchEntry *search;
  GtkDropDown    *exam;
  GtkListBox     *list;
  GtkLabel       *empty;

  char           *needle;      /* casefolded search text, or NULL */
  const char     *exam_tag;    /* FE, AP ... or NULL */
  guint           n_rows;
};

G_DEFINE_FINAL_TYPE (MsScenarioChooser, ms_scenario_chooser, GTK_TYPE_BOX)

enum { SIGNAL_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void on_row_activated (GtkListBox        *list,
                              GtkListBoxRow     *row,
                              MsScenarioChooser *self);

/* The exam filter's entries after "All exams", in the dropdown's order. */
static const char *const exam_tags[] = { "FE", "AP", "NW", "SC" };

static const char *
current_language (void)
{
  const char * const *langs = g_get_language_names ();

  return langs[0] != NULL && g_str_has_prefix (langs[0], "ja") ? "ja" : "en";
}

const char *
ms_scenario_chooser_exam_label (const char *exam)
{
  if (g_strcmp0 (exam, "FE") == 0)
    /* TRANSLATORS: a short tag for the Fundamental IT Engineer Examination (基本情報) */
    return C_("exam", "FE");
  if (g_strcmp0 (exam, "AP") == 0)
    /* TRANSLATORS: a short tag for the Applied IT Engineer Examination (応用情報) */
    return C_("exam", "AP");
  if (g_strcmp0 (exam, "NW") == 0)
    /* TRANSLATORS: a short tag for the Network Specialist Examination */
    return C_("exam", "NW");
  if (g_strcmp0 (exam, "SC") == 0)
    /* TRANSLATORS: a short tag for the Registered Information Security Specialist exam */
    return C_("exam", "SC");
  return exam;
}

static char *
fold (const char *text)
{
  return text != NULL ? g_utf8_casefold (text, -1) : NULL;
}

/* Everything the search looks at, casefolded, kept on the row. */
static char *
haystack_for (MsScenario *scenario)
{
  g_autoptr(GString) all = g_string_new (scenario->id);

  g_string_append_printf (all, "\n%s\n%s\n%s\n%s",
                          scenario->title.en ? scenario->title.en : "",
                          scenario->title.ja ? scenario->title.ja : "",
                          scenario->summary.en ? scenario->summary.en : "",
                          scenario->summary.ja ? scenario->summary.ja : "");
  for (guint i = 0; scenario->exams != NULL && scenario->exams[i] != NULL; i++)
    g_string_append_printf (all, "\n%s\n%s", scenario->exams[i],
                            ms_scenario_chooser_exam_label (scenario->exams[i]));
  for (guint i = 0; scenario->topics != NULL && scenario->topics[i] != NULL; i++)
    g_string_append_printf (all, "\n%s", scenario->topics[i]);
  return fold (all->str);
}

static const char *
exam_tooltip (const char *exam)
{
  if (g_strcmp0 (exam, "FE") == 0)
    return _("Fundamental Information Technology Engineer Examination");
  if (g_strcmp0 (exam, "AP") == 0)
    return _("Applied Information Technology Engineer Examination");
  if (g_strcmp0 (exam, "NW") == 0)
    return _("Network Specialist Examination");
  if (g_strcmp0 (exam, "SC") == 0)
    return _("Registered Information Security Specialist Examination");
  return NULL;
}

static GtkWidget *
row_new (MsScenario *scenario)
{
  const char *lang = current_language ();
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *title = gtk_label_new (ms_scenario_text_get (&scenario->title, lang));
  GtkWidget *summary = gtk_label_new (ms_scenario_text_get (&scenario->summary, lang));
  g_autoptr(GString) markup = g_string_new (NULL);
  g_autoptr(GString) exams = g_string_new (NULL);
  GtkWidget *tags;

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (summary), 0);
  gtk_label_set_wrap (GTK_LABEL (summary), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (summary), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (summary, "summary");

  /* wrapped labels ask for their whole text's width otherwise: keep the sidebar narrow */
  gtk_label_set_max_width_chars (GTK_LABEL (title), 28);
  gtk_label_set_max_width_chars (GTK_LABEL (summary), 30);
  /* the tags as one wrapping label: a GtkFlowBox inside a list row measures its height
   * for the wrong width and overlaps the next row */
  for (guint i = 0; scenario->exams != NULL && scenario->exams[i] != NULL; i++)
    {
      g_autofree char *text = g_markup_escape_text (ms_scenario_chooser_exam_label (scenario->exams[i]), -1);
      const char *tooltip = exam_tooltip (scenario->exams[i]);

      g_string_append_printf (markup, "<span background=\"#1c71d8\" foreground=\"#ffffff\" "
                              "weight=\"bold\">\u2009%s\u2009</span>  ", text);
      g_string_append_printf (exams, "%s%s", exams->len ? ", " : "", tooltip ? tooltip : text);
    }
  for (guint i = 0; scenario->topics != NULL && scenario->topics[i] != NULL; i++)
    {
      g_autofree char *upper = g_ascii_strup (scenario->topics[i], -1);
      g_autofree char *text = g_markup_escape_text (upper, -1);

      g_string_append_printf (markup, "<span background=\"#808080\" bgalpha=\"22%%\">"
                              "\u2009%s\u2009</span>  ", text);
    }
  tags = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (tags), markup->str);
  gtk_label_set_xalign (GTK_LABEL (tags), 0);
  gtk_label_set_wrap (GTK_LABEL (tags), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (tags), 30);
  gtk_widget_add_css_class (tags, "tags");
  if (exams->len > 0)
    gtk_widget_set_tooltip_text (tags, exams->str);

  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), summary);
  gtk_box_append (GTK_BOX (box), tags);
  gtk_widget_add_css_class (box, "scenario-row");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "scenario-id", g_strdup (scenario->id), g_free);
  g_object_set_data_full (G_OBJECT (row), "haystack", haystack_for (scenario), g_free);
  if (scenario->exams != NULL)
    g_object_set_data_full (G_OBJECT (row), "exams", g_strdupv (scenario->exams),
                            (GDestroyNotify) g_strfreev);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  ms_scenario_text_get (&scenario->title, lang), -1);
  return row;
}

static gboolean
row_visible (GtkListBoxRow *row,
             gpointer       user_data)
{
  MsScenarioChooser *self = user_data;
  const char *haystack = g_object_get_data (G_OBJECT (row), "haystack");
  GStrv exams = g_object_get_data (G_OBJECT (row), "exams");

  if (self->exam_tag != NULL
      && (exams == NULL || !g_strv_contains ((const char * const *) exams, self->exam_tag)))
    return FALSE;
  if (self->needle == NULL || *self->needle == '\0')
    return TRUE;
  /* every word of the search must appear */
  {
    g_auto(GStrv) words = g_strsplit_set (self->needle, " \t", -1);

    for (guint i = 0; words[i] != NULL; i++)
      if (*words[i] != '\0' && (haystack == NULL || strstr (haystack, words[i]) == NULL))
        return FALSE;
  }
  return TRUE;
}

static void
refilter (MsScenarioChooser *self)
{
  gtk_list_box_invalidate_filter (self->list);
  gtk_widget_set_visible (GTK_WIDGET (self->empty),
                          self->n_rows > 0 && ms_scenario_chooser_get_n_shown (self) == 0);
}

static void
on_search_changed (GtkSearchEntry    *entry,
                   MsScenarioChooser *self)
{
  g_free (self->needle);
  self->needle = fold (gtk_editable_get_text (GTK_EDITABLE (entry)));
  refilter (self);
}

/* Enter in the search runs the first scenario shown */
static void
on_search_activate (GtkSearchEntry    *entry,
                    MsScenarioChooser *self)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (GTK_IS_LIST_BOX_ROW (row) && row_visible (GTK_LIST_BOX_ROW (row), self))
      {
        on_row_activated (self->list, GTK_LIST_BOX_ROW (row), self);
        return;
      }
}

static void
on_exam_selected (GtkDropDown       *dropdown,
                  GParamSpec        *pspec,
                  MsScenarioChooser *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  self->exam_tag = selected >= 1 && selected <= G_N_ELEMENTS (exam_tags)
                   ? exam_tags[selected - 1] : NULL;
  refilter (self);
}

static void
on_row_activated (GtkListBox        *list,
                  GtkListBoxRow     *row,
                  MsScenarioChooser *self)
{
  const char *id = g_object_get_data (G_OBJECT (row), "scenario-id");

  if (id != NULL)
    g_signal_emit (self, signals[SIGNAL_ACTIVATED], 0, id);
}

static void
on_file_response (GtkNativeDialog   *dialog,
                  int                response,
                  MsScenarioChooser *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        g_signal_emit (self, signals[SIGNAL_ACTIVATED], 0, path);
    }
  g_object_unref (dialog);
}

static void
on_open_file_clicked (GtkButton         *button,
                      MsScenarioChooser *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_file_chooser_native_new (_("Open a Scenario File"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("MailSim scenarios (YAML)"));
  gtk_file_filter_add_pattern (filter, "*.yaml");
  gtk_file_filter_add_pattern (filter, "*.yml");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_connect (dialog, "response", G_CALLBACK (on_file_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
fill (MsScenarioChooser *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = ms_scenario_list_all (&error);

  if (all == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The scenario library could not be read: %s"),
                                                  error->message);

      gtk_label_set_text (self->empty, message);
      gtk_widget_set_visible (GTK_WIDGET (self->empty), TRUE);
      return;
    }
  for (guint i = 0; i < all->len; i++)
    gtk_list_box_append (self->list, row_new (g_ptr_array_index (all, i)));
  self->n_rows = all->len;
}

void
ms_scenario_chooser_set_current (MsScenarioChooser *self,
                                 const char        *id)
{
  g_return_if_fail (MS_IS_SCENARIO_CHOOSER (self));

  gtk_list_box_unselect_all (self->list);
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (GTK_IS_LIST_BOX_ROW (row)
        && g_strcmp0 (g_object_get_data (G_OBJECT (row), "scenario-id"), id) == 0)
      gtk_list_box_select_row (self->list, GTK_LIST_BOX_ROW (row));
}

void
ms_scenario_chooser_set_search (MsScenarioChooser *self,
                                const char        *text)
{
  g_return_if_fail (MS_IS_SCENARIO_CHOOSER (self));

  gtk_editable_set_text (GTK_EDITABLE (self->search), text ? text : "");
  /* "search-changed" comes after a delay; filter now */
  on_search_changed (self->search, self);
}

void
ms_scenario_chooser_set_exam (MsScenarioChooser *self,
                              const char        *exam)
{
  guint selected = 0;

  g_return_if_fail (MS_IS_SCENARIO_CHOOSER (self));

  for (guint i = 0; i < G_N_ELEMENTS (exam_tags); i++)
    if (g_strcmp0 (exam, exam_tags[i]) == 0)
      selected = i + 1;
  gtk_drop_down_set_selected (self->exam, selected);
  on_exam_selected (self->exam, NULL, self);
}

guint
ms_scenario_chooser_get_n_rows (MsScenarioChooser *self)
{
  return self->n_rows;
}

guint
ms_scenario_chooser_get_n_shown (MsScenarioChooser *self)
{
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (GTK_IS_LIST_BOX_ROW (row) && row_visible (GTK_LIST_BOX_ROW (row), self))
      n++;
  return n;
}

static void
ms_scenario_chooser_finalize (GObject *object)
{
  MsScenarioChooser *self = MS_SCENARIO_CHOOSER (object);

  g_free (self->needle);
  G_OBJECT_CLASS (ms_scenario_chooser_parent_class)->finalize (object);
}

static void
ms_scenario_chooser_class_init (MsScenarioChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ms_scenario_chooser_finalize;

  signals[SIGNAL_ACTIVATED] =
    g_signal_new ("scenario-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-scenario-chooser.ui");
  gtk_widget_class_bind_template_child (widget_class, MsScenarioChooser, search);
  gtk_widget_class_bind_template_child (widget_class, MsScenarioChooser, exam);
  gtk_widget_class_bind_template_child (widget_class, MsScenarioChooser, list);
  gtk_widget_class_bind_template_child (widget_class, MsScenarioChooser, empty);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_exam_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_open_file_clicked);
}

static void
ms_scenario_chooser_init (MsScenarioChooser *self)
{
  g_autoptr(GtkStringList) exams = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_string_list_append (exams, _("All exams"));
  for (guint i = 0; i < G_N_ELEMENTS (exam_tags); i++)
    gtk_string_list_append (exams, ms_scenario_chooser_exam_label (exam_tags[i]));
  gtk_drop_down_set_model (self->exam, G_LIST_MODEL (exams));
  gtk_list_box_set_filter_func (self->list, row_visible, self, NULL);
  fill (self);
}
