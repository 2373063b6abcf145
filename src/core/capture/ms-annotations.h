/* ms-annotations.h: a student's notes on a capture (transcript lines and frames)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Notes live in a sidecar next to the capture, CAPTURE.mailsim-notes.json, written
 * atomically (temporary file, fsync, rename) and, with autosave on, a moment after
 * every change, so killing the program never loses more than that moment nor leaves a
 * half-written file. Packet comments already in a pcapng capture (Wireshark's, or
 * those of our own export) are merged in as frame notes on load. The export copies
 * every frame to a pcapng file with the notes as packet comments (frame.comment in
 * Wireshark). See docs/capture.md, "Annotations".
 */
#pragma once

#include <glib-object.h>
#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_ANNOTATIONS_ERROR (ms_annotations_error_quark ())

typedef enum
{
  MS_ANNOTATIONS_ERROR_CORRUPT,   /* the sidecar is not valid notes JSON */
  MS_ANNOTATIONS_ERROR_VERSION,   /* written by a newer MailSim */
  MS_ANNOTATIONS_ERROR_IO,        /* cannot read or write a file */
  MS_ANNOTATIONS_ERROR_CAPTURE,   /* cannot read the capture (export) */
} MsAnnotationsError;

GQuark ms_annotations_error_quark (void);

#define MS_ANNOTATIONS_SIDECAR_SUFFIX ".mailsim-notes.json"
#define MS_ANNOTATIONS_FORMAT_VERSION 1
/* The autosave waits this long after the last change. */
#define MS_ANNOTATIONS_AUTOSAVE_MS    300

typedef enum
{
  MS_ANNOTATION_LINE,   /* on a transcript line: session + line (+ its frame) */
  MS_ANNOTATION_FRAME,  /* on a capture frame */
} MsAnnotationKind;

/* One note, read-only for callers (ms_annotations_get_note). */
typedef struct
{
  MsAnnotationKind kind;
  guint            session;    /* LINE: session id */
  guint            line;       /* LINE: index of the line in the session */
  guint64          frame;      /* 1-based frame number; for LINE the frame that completed it, or 0 */
  char            *line_text;  /* LINE: the line's text when noted (re-anchoring), or NULL */
  char            *note;       /* UTF-8, never empty */
  gint64           time_us;    /* wall clock when last edited (µs since the epoch) */
  gboolean         from_capture; /* merged from a pcapng packet comment */
} MsAnnotation;

#define MS_TYPE_ANNOTATIONS (ms_annotations_get_type ())
G_DECLARE_FINAL_TYPE (MsAnnotations, ms_annotations, MS, ANNOTATIONS, GObject)

/* The sidecar is capture_path + MS_ANNOTATIONS_SIDECAR_SUFFIX. */
MsAnnotations *ms_annotations_new_for_capture (const char *capture_path);
const char    *ms_annotations_get_capture_path (MsAnnotations *self);
const char    *ms_annotations_get_sidecar_path (MsAnnotations *self);

/* Reads the sidecar (a missing one is no notes: TRUE), then merges the capture's pcapng
 * packet comments as frame notes. A corrupt sidecar: FALSE with
 * MS_ANNOTATIONS_ERROR_CORRUPT, and the notes stay empty; the sidecar is left where it
 * is until a save, which first renames it to SIDECAR.corrupt-N (never overwritten). */
gboolean    ms_annotations_load          (MsAnnotations *self,
                                          GError       **error);
/* As ms_annotations_load, from bytes: the sidecar's (NULL: none) and the capture's
 * (NULL, or not pcapng: no packet comments). For tests and fuzzing. */
gboolean    ms_annotations_load_from_data (MsAnnotations *self,
                                           const char    *sidecar,
                                           gsize          sidecar_len,
                                           const guint8  *capture,
                                           gsize          capture_len,
                                           GError       **error);
/* The sidecar's text as ms_annotations_save writes it. */
char       *ms_annotations_to_data       (MsAnnotations *self);
/* Atomic: a temporary file in the same directory, fsync, rename. */
gboolean    ms_annotations_save          (MsAnnotations *self,
                                          GError       **error);
/* Debounced save (MS_ANNOTATIONS_AUTOSAVE_MS) on every change, in the thread-default
 * main context; turning it off saves what is pending. Failures are reported by the
 * "save-failed" signal (const GError *). */
void        ms_annotations_set_autosave  (MsAnnotations *self,
                                          gboolean       on);
gboolean    ms_annotations_get_dirty     (MsAnnotations *self);
/* After a load: the sidecar was written for a capture of another name or size (renamed,
 * or rewritten by another tool); the notes are kept, anchoring moves what it can. */
gboolean    ms_annotations_get_capture_changed (MsAnnotations *self);

/* Line notes, keyed by session id + line index (from 0); the frame that completed the
 * line (MsTraceLine.frame) and the line's text (ms_annotations_line_text) are kept to
 * re-anchor; editing a note with frame 0 or line_text NULL keeps the ones it has.
 * NULL or "" removes. */
void        ms_annotations_set_line_note (MsAnnotations *self,
                                          guint          session,
                                          guint          line,
                                          guint64        frame,
                                          const char    *line_text,
                                          const char    *note);
const char *ms_annotations_get_line_note (MsAnnotations *self,
                                          guint          session,
                                          guint          line);
/* What to pass as line_text for @line: its text as the transcript shows it, i.e.
 * ms_text_format_line_text (protocol, line, FALSE): UTF-8, a password or SASL response
 * masked (a note must not keep a secret). */
char       *ms_annotations_line_text     (MsProtocol         protocol,
                                          const MsTraceLine *line);

/* Frame notes (frame is 1-based). NULL or "" removes. */
void        ms_annotations_set_frame_note (MsAnnotations *self,
                                           guint64        frame,
                                           const char    *note);
const char *ms_annotations_get_frame_note (MsAnnotations *self,
                                           guint64        frame);

/* All notes, ordered by frame, then session, then line (frame notes first on a frame). */
guint               ms_annotations_get_n_notes (MsAnnotations *self);
const MsAnnotation *ms_annotations_get_note    (MsAnnotations *self,
                                                guint          index);

/* Re-anchors line notes against the capture's trace: a note whose line_text no longer
 * matches its line moves to the line of that session with that text (the nearest to
 * the old index; then, by frame, in any session). Returns how many moved; emits
 * "changed" if any did. Notes that match nothing stay where they are. */
guint       ms_annotations_anchor        (MsAnnotations *self,
                                          MsTrace       *trace);

/* The same for the notes of one session, within that session only: for output that
 * streams sessions as they close (and frees them). */
guint       ms_annotations_anchor_session (MsAnnotations  *self,
                                           MsTraceSession *session);

/* Every frame of the capture copied into out_path as pcapng (original link types,
 * nanosecond timestamps, caplen/wirelen), each annotated frame with one EPB
 * opt_comment per note; line notes read "[session S, line L] note". */
gboolean    ms_annotations_export_pcapng (MsAnnotations *self,
                                          const char    *out_path,
                                          GError       **error);

/* Signals:
 *   "changed"      (void)           a note was added, edited, removed or moved
 *   "save-failed"  (const GError *) an autosave failed (the notes stay dirty)
 */

G_END_DECLS
