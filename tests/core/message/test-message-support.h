/* test-message-support.h: sample messages for the message tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-message.h"

/* The shared DKIM corpus (…/shared/corpus/dkim) when it is beside the tree, else NULL. */
const char *ms_test_corpus_dir    (void);
/* Every .eml/.msg of the corpus plus the .eml files of tests/core/message/data, sorted. */
GPtrArray  *ms_test_message_files (void);
char       *ms_test_data_path     (const char *name);
GBytes     *ms_test_to_crlf       (GBytes     *raw);
MsMessage  *ms_test_load_message  (const char *path);
