/* test-message-support.c: sample messages for the message tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "test-message-support.h"

const char *
ms_test_corpus_dir (void)
{
  static char *dir;
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  const char *env = g_getenv ("MS_CORPUS_DIR");
  g_autofree char *beside = NULL;

  if (dir != NULL)
    return dir;
  if (env != NULL && g_file_test (env, G_FILE_TEST_IS_DIR))
    return dir = g_strdup (env);
  if (root != NULL)
    {
      /* A worktree (…/wt/<name>) or a clone with shared/ beside it. */
      const char *const tries[] = { "../shared/corpus/dkim", "../../shared/corpus/dkim" };

      for (guint i = 0; i < G_N_ELEMENTS (tries); i++)
        {
          g_free (beside);
          beside = g_build_filename (root, tries[i], NULL);
          if (g_file_test (beside, G_FILE_TEST_IS_DIR))
            return dir = g_steal_pointer (&beside);
        }
    }
  if (g_file_test ("/work/shared/corpus/dkim", G_FILE_TEST_IS_DIR))
    return dir = g_strdup ("/work/shared/corpus/dkim");
  return NULL;
}

static void
collect (const char *dir,
         GPtrArray  *out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect (path, out);
      else if (g_str_has_suffix (name, ".eml") || g_str_has_suffix (name, ".msg"))
        g_ptr_array_add (out, g_steal_pointer (&path));
    }
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

GPtrArray *
ms_test_message_files (void)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *data = ms_test_data_path (NULL);

  if (ms_test_corpus_dir () != NULL)
    collect (ms_test_corpus_dir (), files);
  collect (data, files);
  g_ptr_array_sort (files, compare_paths);
  return files;
}

char *
ms_test_data_path (const char *name)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");

  cr_assert_not_null (root, "MS_SOURCE_ROOT is not set (run through meson test)");
  return g_build_filename (root, "tests", "core", "message", "data", name, NULL);
}

GBytes *
ms_test_to_crlf (GBytes *raw)
{
  gsize len;
  const char *data = g_bytes_get_data (raw, &len);
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
        g_string_append_c (out, '\r');
      g_string_append_c (out, data[i]);
    }
  return g_string_free_to_bytes (out);
}

MsMessage *
ms_test_load_message (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;
  MsMessage *message;

  cr_assert (g_file_get_contents (path, &contents, &len, NULL), "cannot read %s", path);
  raw = g_bytes_new (contents, len);
  message = ms_message_new_from_bytes (raw, &error);
  cr_assert_not_null (message, "%s: %s", path, error ? error->message : "?");
  return message;
}
