/* ms-byte-reader.h: bounds-checked reads from packet bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every read of captured bytes goes through these getters: each returns FALSE (and
 * consumes nothing) when the bytes are not there, so a short or hostile packet can
 * never make the decoder read past its end.
 */
#pragma once

#include <string.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
} MsByteReader;

static inline void
ms_byte_reader_init (MsByteReader *r, const guint8 *data, gsize len)
{
  r->data = data;
  r->len = data != NULL ? len : 0;
  r->pos = 0;
}

static inline gsize
ms_byte_reader_remaining (const MsByteReader *r)
{
  return r->len - r->pos;
}

static inline gboolean
ms_byte_reader_skip (MsByteReader *r, gsize n)
{
  if (n > r->len - r->pos)
    return FALSE;
  r->pos += n;
  return TRUE;
}

static inline gboolean
ms_byte_reader_get_u8 (MsByteReader *r, guint8 *out)
{
  if (r->len - r->pos < 1)
    return FALSE;
  *out = r->data[r->pos];
  r->pos += 1;
  return TRUE;
}

static inline gboolean
ms_byte_reader_peek_u8 (const MsByteReader *r, guint8 *out)
{
  if (r->len - r->pos < 1)
    return FALSE;
  *out = r->data[r->pos];
  return TRUE;
}

static inline gboolean
ms_byte_reader_get_u16_be (MsByteReader *r, guint16 *out)
{
  if (r->len - r->pos < 2)
    return FALSE;
  *out = (guint16) ((r->data[r->pos] << 8) | r->data[r->pos + 1]);
  r->pos += 2;
  return TRUE;
}

static inline gboolean
ms_byte_reader_get_u32_be (MsByteReader *r, guint32 *out)
{
  if (r->len - r->pos < 4)
    return FALSE;
  *out = ((guint32) r->data[r->pos] << 24) | ((guint32) r->data[r->pos + 1] << 16)
         | ((guint32) r->data[r->pos + 2] << 8) | (guint32) r->data[r->pos + 3];
  r->pos += 4;
  return TRUE;
}

static inline gboolean
ms_byte_reader_get_u32_le (MsByteReader *r, guint32 *out)
{
  if (r->len - r->pos < 4)
    return FALSE;
  *out = ((guint32) r->data[r->pos + 3] << 24) | ((guint32) r->data[r->pos + 2] << 16)
         | ((guint32) r->data[r->pos + 1] << 8) | (guint32) r->data[r->pos];
  r->pos += 4;
  return TRUE;
}

/* Copies n bytes out. */
static inline gboolean
ms_byte_reader_copy (MsByteReader *r, guint8 *dst, gsize n)
{
  if (n > r->len - r->pos)
    return FALSE;
  if (n > 0)
    memcpy (dst, r->data + r->pos, n);
  r->pos += n;
  return TRUE;
}

/* A view of the next n bytes (a sub-reader); consumes them. */
static inline gboolean
ms_byte_reader_sub (MsByteReader *r, gsize n, MsByteReader *out)
{
  if (n > r->len - r->pos)
    return FALSE;
  ms_byte_reader_init (out, r->data + r->pos, n);
  r->pos += n;
  return TRUE;
}

/* The rest as a (pointer, length) pair for handing on, e.g. a TCP payload. */
static inline const guint8 *
ms_byte_reader_rest (const MsByteReader *r, gsize *len)
{
  *len = r->len - r->pos;
  return *len > 0 ? r->data + r->pos : NULL;
}

G_END_DECLS
