/* ms-message-private.h: internals shared by the files of src/core/message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gmime/gmime.h>

#include "ms-message.h"

G_BEGIN_DECLS

/* GMime 3.2 declares no g_autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)

/* g_mime_init once per process; every entry point that touches GMime calls this. */
void          _ms_message_init_gmime   (void);
/* The message as GMime parsed it (built lazily, dropped when headers change). */
GMimeMessage *_ms_message_get_mime     (MsMessage  *self);
/* Bytes → UTF-8, never failing: undecodable bytes become U+FFFD. */
char         *_ms_convert_lossy        (const char *data,
                                        gsize       len,
                                        const char *from_charset);

/* Like ms_rfc2047_encode_phrase with shorter words, for places that start mid-line. */
char         *_ms_rfc2047_encode_phrase_limited (const char        *utf8,
                                                 const char        *charset,
                                                 MsHeaderEncoding   encoding,
                                                 gsize              max_word,
                                                 GError           **error);

G_END_DECLS
