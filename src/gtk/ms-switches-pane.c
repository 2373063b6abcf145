/* ms-switches-pane.c: the scenario's switches as toggles, choices and entries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A boolean switch is a GtkSwitch; a switch that a node setting with a fixed set of values
 * refers to (spf: ${spf_policy}) is a dropdown of those values; any other is an entry
 * applied with Enter. Each change is emitted as "switch-changed" (name, value), which the
 * window answers by replaying the scenario as `mailsim run ID --set NAME=VALUE` would.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ms-switches-pane.h"

struct _MsSwitchesPane
{
  GtkBox     parent_instance;

  GtkBox    *rows;
  GtkLabel  *empty;
  guint      n_switches;
  gboolean   building;
};

G_DEFINE_FINAL_TYPE (MsSwitchesPane, ms_switches_pane, GTK_TYPE_BOX)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const spf_choices[] = { "off", "mark", "reject", NULL };
static const char *const auth_choices[] = { "required", "optional", "none", NULL };

static gboolean
refers_to (const char *setting,
           const char *needle)
{
  return setting != NULL && strstr (setting, needle) != NULL;
}

const char * const *
ms_switches_choices (MsScenario *scenario,
                     const char *name)
{
  g_autofree char *needle = g_strdup_printf ("${%s}", name);

  for (guint i = 0; scenario->nodes != NULL && i < scenario->nodes->len; i++)
    {
      MsScenarioNode *node = g_ptr_array_index (scenario->nodes, i);

      if (refers_to (node->spf, needle))
        return spf_choices;
      if (refers_to (node->submission_auth, needle))
        return auth_choices;
    }
  return NULL;
}

const char *
ms_switches_describe (const char *name)
{
  static const struct { const char *name; const char *text; } known[] = {
    { "op25b", N_("OP25B: the ISP's router drops port 25 from the home address pool") },
    { "spf_policy", N_("SPF policy of the receiving server: off, mark (add a header) or "
                       "reject (550)") },
    { "spf_record", N_("The sender domain's SPF record (a TXT record in the DNS)") },
    { "submission_auth", N_("SMTP AUTH on the submission port: required, optional or none") },
    { "pop_window", N_("POP before SMTP: seconds a POP3 login opens relaying (0: off)") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_strcmp0 (name, known[i].name) == 0)
      return _(known[i].text);
  return NULL;
}

static void
emit_changed (MsSwitchesPane *self,
              GtkWidget      *control,
              const char     *value)
{
  if (!self->building)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0,
                   g_object_get_data (G_OBJECT (control), "switch-name"), value);
}

static void
on_switch_active (GtkSwitch      *control,
                  GParamSpec     *pspec,
                  MsSwitchesPane *self)
{
  emit_changed (self, GTK_WIDGET (control), gtk_switch_get_active (control) ? "true" : "false");
}

static void
on_choice_selected (GtkDropDown    *control,
                    GParamSpec     *pspec,
                    MsSwitchesPane *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (control);

  if (item != NULL)
    emit_changed (self, GTK_WIDGET (control), gtk_string_object_get_string (item));
}

static void
on_entry_activate (GtkEntry       *control,
                   MsSwitchesPane *self)
{
  emit_changed (self, GTK_WIDGET (control), gtk_editable_get_text (GTK_EDITABLE (control)));
}

static GtkWidget *
control_new (MsSwitchesPane   *self,
             MsScenario       *scenario,
             MsScenarioSwitch *sw)
{
  const char * const *choices = ms_switches_choices (scenario, sw->name);
  GtkWidget *control;

  if (sw->is_bool)
    {
      control = gtk_switch_new ();
      gtk_switch_set_active (GTK_SWITCH (control),
                             ms_scenario_expand_bool (scenario, sw->value, FALSE));
      gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
      g_signal_connect (control, "notify::active", G_CALLBACK (on_switch_active), self);
    }
  else if (choices != NULL)
    {
      g_autoptr(GtkStringList) list = gtk_string_list_new ((const char * const *) choices);
      guint selected = GTK_INVALID_LIST_POSITION;

      for (guint i = 0; choices[i] != NULL; i++)
        if (g_strcmp0 (choices[i], sw->value) == 0)
          selected = i;
      if (selected == GTK_INVALID_LIST_POSITION)
        {
          /* a value the file uses that the list does not know: keep it selectable */
          gtk_string_list_append (list, sw->value);
          selected = g_list_model_get_n_items (G_LIST_MODEL (list)) - 1;
        }
      control = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (list)), NULL);
      gtk_drop_down_set_selected (GTK_DROP_DOWN (control), selected);
      g_signal_connect (control, "notify::selected", G_CALLBACK (on_choice_selected), self);
    }
  else
    {
      control = gtk_entry_new ();
      gtk_editable_set_text (GTK_EDITABLE (control), sw->value ? sw->value : "");
      gtk_widget_set_hexpand (control, TRUE);
      gtk_widget_set_tooltip_text (control, _("Press Enter to replay with this value"));
      g_signal_connect (control, "activate", G_CALLBACK (on_entry_activate), self);
    }
  g_object_set_data_full (G_OBJECT (control), "switch-name", g_strdup (sw->name), g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  sw->name, -1);
  return control;
}

static GtkWidget *
row_new (MsSwitchesPane   *self,
         MsScenario       *scenario,
         MsScenarioSwitch *sw)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *name = gtk_label_new (sw->name);
  GtkWidget *control = control_new (self, scenario, sw);
  const char *text = ms_switches_describe (sw->name);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_widget_add_css_class (name, "switch-name");
  gtk_widget_add_css_class (name, "monospace");
  if (GTK_IS_ENTRY (control))
    {
      gtk_box_append (GTK_BOX (row), name);
      gtk_box_append (GTK_BOX (row), control);
    }
  else
    {
      gtk_widget_set_hexpand (name, TRUE);
      gtk_box_append (GTK_BOX (line), name);
      gtk_box_append (GTK_BOX (line), control);
      gtk_box_append (GTK_BOX (row), line);
    }
  if (text != NULL)
    {
      GtkWidget *description = gtk_label_new (text);

      gtk_label_set_xalign (GTK_LABEL (description), 0);
      gtk_label_set_wrap (GTK_LABEL (description), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (description), PANGO_WRAP_WORD_CHAR);
      gtk_widget_add_css_class (description, "dim-label");
      gtk_widget_add_css_class (description, "caption");
      gtk_box_append (GTK_BOX (row), description);
    }
  gtk_widget_add_css_class (row, "switch-row");
  return row;
}

void
ms_switches_pane_set_scenario (MsSwitchesPane *self,
                               MsScenario     *scenario)
{
  GtkWidget *child;

  g_return_if_fail (MS_IS_SWITCHES_PANE (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->rows))) != NULL)
    gtk_box_remove (self->rows, child);
  self->n_switches = 0;
  self->building = TRUE;
  for (guint i = 0; scenario != NULL && scenario->switches != NULL
       && i < scenario->switches->len; i++)
    {
      gtk_box_append (self->rows, row_new (self, scenario, g_ptr_array_index (scenario->switches, i)));
      self->n_switches++;
    }
  self->building = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->empty), self->n_switches == 0);
}

guint
ms_switches_pane_get_n_switches (MsSwitchesPane *self)
{
  return self->n_switches;
}

static void
ms_switches_pane_class_init (MsSwitchesPaneClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  signals[SIGNAL_CHANGED] =
    g_signal_new ("switch-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-switches-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, MsSwitchesPane, rows);
  gtk_widget_class_bind_template_child (widget_class, MsSwitchesPane, empty);
}

static void
ms_switches_pane_init (MsSwitchesPane *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
