/* ms-pcapng-comments.c: the packet comments of a pcapng file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Block layouts from draft-ietf-opsawg-pcapng: general block §3.1, SHB §4.1, EPB §4.3,
 * SPB §4.4, obsolete Packet Block Appendix A, options §3.5 (opt_comment = 1).
 */
#define G_LOG_DOMAIN "ms-pcapng-comments"

#include "config.h"

#include <string.h>

#include "ms-byte-reader.h"
#include "ms-capture-reader.h"
#include "ms-pcapng-comments.h"

#define BLOCK_SHB 0x0A0D0D0Au
#define BLOCK_PB  0x00000002u
#define BLOCK_SPB 0x00000003u
#define BLOCK_EPB 0x00000006u
#define MAGIC_SAME 0x1A2B3C4Du
#define MAGIC_SWAPPED 0x4D3C2B1Au
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define BLOCK_MIN 12           /* type, length, trailing length */
#define EPB_FIXED 20           /* interface, ts high, ts low, caplen, wirelen */
#define PB_FIXED 20            /* interface (16), drops (16), ts high, ts low, caplen, wirelen */

static inline guint32
pad4 (guint32 n)
{
  return (n + 3u) & ~3u;
}

static gboolean
get_u32 (MsByteReader *r, gboolean swapped, guint32 *out)
{
  /* a section's byte order is the writer's: "same" means ours */
  guint32 v;

  if (!ms_byte_reader_copy (r, (guint8 *) &v, 4))
    return FALSE;
  *out = swapped ? GUINT32_SWAP_LE_BE (v) : v;
  return TRUE;
}

static gboolean
get_u16 (MsByteReader *r, gboolean swapped, guint16 *out)
{
  guint16 v;

  if (!ms_byte_reader_copy (r, (guint8 *) &v, 2))
    return FALSE;
  *out = swapped ? GUINT16_SWAP_LE_BE (v) : v;
  return TRUE;
}

static void
report_comments (MsByteReader        *opts,
                 gboolean             swapped,
                 guint64              frame,
                 MsPcapngCommentFunc  func,
                 gpointer             user_data)
{
  guint16 code, len;

  /* options run to the end of the block body; a damaged option list ends them */
  while (get_u16 (opts, swapped, &code) && get_u16 (opts, swapped, &len))
    {
      MsByteReader value;

      if (code == OPT_ENDOFOPT)
        break;
      if (!ms_byte_reader_sub (opts, len, &value))
        break;
      if (code == OPT_COMMENT && len > 0)
        {
          g_autofree char *text = g_utf8_make_valid ((const char *) value.data, len);

          /* a comment with a NUL in it ends there */
          if (text[0] != '\0')
            func (frame, text, user_data);
        }
      if (!ms_byte_reader_skip (opts, pad4 (len) - len))
        break;
    }
}

gboolean
ms_pcapng_is_pcapng (const guint8 *data,
                     gsize         len)
{
  guint32 type, magic;

  if (len < 12)
    return FALSE;
  memcpy (&type, data, 4);
  memcpy (&magic, data + 8, 4);
  return type == BLOCK_SHB && (magic == MAGIC_SAME || magic == MAGIC_SWAPPED);
}

gboolean
ms_pcapng_read_comments (const guint8         *data,
                         gsize                 len,
                         MsPcapngCommentFunc   func,
                         gpointer              user_data,
                         GError              **error)
{
  MsByteReader r;
  gboolean swapped = FALSE;
  gboolean in_section = FALSE;
  guint64 frame = 0;

  g_return_val_if_fail (func != NULL, FALSE);

  if (!ms_pcapng_is_pcapng (data, len))
    {
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN, "not a pcapng file");
      return FALSE;
    }
  ms_byte_reader_init (&r, data, len);
  while (ms_byte_reader_remaining (&r) > 0)
    {
      gsize start = r.pos;
      guint32 type, total;
      MsByteReader block, body;

      if (ms_byte_reader_remaining (&r) < BLOCK_MIN)
        goto truncated;
      memcpy (&type, r.data + r.pos, 4);
      if (type == BLOCK_SHB)
        {
          guint32 magic;

          /* the SHB's own byte order decides how its length reads */
          memcpy (&magic, r.data + r.pos + 8, 4);
          if (magic != MAGIC_SAME && magic != MAGIC_SWAPPED)
            goto damaged;
          swapped = magic == MAGIC_SWAPPED;
          in_section = TRUE;
        }
      else if (!in_section)
        goto damaged;
      else if (swapped)
        type = GUINT32_SWAP_LE_BE (type);
      ms_byte_reader_skip (&r, 4);
      get_u32 (&r, swapped, &total);
      if (total < BLOCK_MIN || total % 4 != 0)
        goto damaged;
      r.pos = start;
      if (!ms_byte_reader_sub (&r, total, &block))
        goto truncated;
      ms_byte_reader_skip (&block, 8);
      ms_byte_reader_sub (&block, total - BLOCK_MIN, &body);

      if (type == BLOCK_EPB || type == BLOCK_PB)
        {
          guint32 caplen;

          frame++;
          if (!ms_byte_reader_skip (&body, 12) || !get_u32 (&body, swapped, &caplen)
              || !ms_byte_reader_skip (&body, 4)
              || caplen > ms_byte_reader_remaining (&body)
              || !ms_byte_reader_skip (&body, MIN (pad4 (caplen),
                                                   ms_byte_reader_remaining (&body))))
            goto damaged;
          report_comments (&body, swapped, frame, func, user_data);
        }
      else if (type == BLOCK_SPB)
        frame++;
    }
  return TRUE;

truncated:
  g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_TRUNCATED,
               "the pcapng file ends inside a block after %" G_GUINT64_FORMAT " packets "
               "(at byte %" G_GSIZE_FORMAT ")", frame, r.pos);
  return FALSE;

damaged:
  g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN,
               "damaged pcapng block after %" G_GUINT64_FORMAT " packets (at byte %"
               G_GSIZE_FORMAT ")", frame, r.pos);
  return FALSE;
}

gboolean
ms_pcapng_read_file_comments (const char           *path,
                              MsPcapngCommentFunc   func,
                              gpointer              user_data,
                              GError              **error)
{
  g_autoptr(GMappedFile) map = NULL;
  g_autoptr(GError) local = NULL;
  const guint8 *data;
  gsize len;

  map = g_mapped_file_new (path, FALSE, &local);
  if (map == NULL)
    {
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN, "%s", local->message);
      return FALSE;
    }
  data = (const guint8 *) g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  if (!ms_pcapng_is_pcapng (data, len))
    return TRUE;
  return ms_pcapng_read_comments (data, len, func, user_data, error);
}
