/* ms-pcapng-comments.h: the packet comments of a pcapng file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libpcap does not hand on pcapng options, so the blocks are walked here: every
 * opt_comment of an Enhanced (or obsolete) Packet Block, with the frame number Wireshark
 * gives that packet. Either byte order, several sections. A damaged block ends the walk
 * with an error; the comments before it have been reported.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @comment is UTF-8 (invalid bytes replaced), not NUL-terminated in the file but
 * terminated here; valid during the call. */
typedef void (*MsPcapngCommentFunc) (guint64     frame,
                                     const char *comment,
                                     gpointer    user_data);

/* TRUE for the first bytes of a pcapng file (a Section Header Block). */
gboolean ms_pcapng_is_pcapng         (const guint8         *data,
                                      gsize                 len);
/* Walks @data (a whole pcapng file); FALSE with MS_CAPTURE_ERROR_TRUNCATED or
 * MS_CAPTURE_ERROR_OPEN (not pcapng, or a damaged block). */
gboolean ms_pcapng_read_comments     (const guint8         *data,
                                      gsize                 len,
                                      MsPcapngCommentFunc   func,
                                      gpointer              user_data,
                                      GError              **error);
/* The same for a file (mapped, not read into memory). A pcap (not pcapng) file has no
 * comments: TRUE, nothing reported. */
gboolean ms_pcapng_read_file_comments (const char          *path,
                                       MsPcapngCommentFunc  func,
                                       gpointer             user_data,
                                       GError             **error);

G_END_DECLS
