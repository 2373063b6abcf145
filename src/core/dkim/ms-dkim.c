/* ms-dkim.c: DKIM signing and verification (RFC 6376, RFC 8463)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-dkim.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/rsa.h>
#include <openssl/decoder.h>

G_DEFINE_QUARK (ms-dkim-error-quark, ms_dkim_error)

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')

/* ---------------------------------------------------------------- tag-list */

static void
tag_free (gpointer data)
{
  MsDkimTag *tag = data;

  g_free (tag->name);
  g_free (tag->value);
  g_free (tag);
}

/* Skips FWS (RFC 5322 §3.2.2: WSP and CRLF followed by WSP; bare LF accepted) */
static gsize
skip_fws (const char *s, gsize i, gsize len)
{
  while (i < len)
    {
      if (IS_WSP (s[i]))
        i++;
      else if (s[i] == '\r' && i + 2 < len && s[i + 1] == '\n' && IS_WSP (s[i + 2]))
        i += 3;
      else if (s[i] == '\n' && i + 1 < len && IS_WSP (s[i + 1]))
        i += 2;
      else
        break;
    }
  return i;
}

/* RFC 6376 §3.2 */
GPtrArray *
ms_dkim_tag_list_parse (const char  *text,
                        gsize        len,
                        GError     **error)
{
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (tag_free);
  gsize i = 0;

  g_return_val_if_fail (text != NULL, NULL);

  for (;;)
    {
      gsize name_start, name_end, value_start, value_end;
      MsDkimTag *tag;
      guint k;

      i = skip_fws (text, i, len);
      if (i >= len)
        break;
      /* tag-name = ALPHA *ALNUMPUNC */
      name_start = i;
      if (!g_ascii_isalpha (text[i]))
        {
          g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_SYNTAX,
                       "tag-list: a tag name must start with a letter (at offset %" G_GSIZE_FORMAT ")", i);
          return NULL;
        }
      while (i < len && (g_ascii_isalnum (text[i]) || text[i] == '_'))
        i++;
      name_end = i;
      i = skip_fws (text, i, len);
      if (i >= len || text[i] != '=')
        {
          g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_SYNTAX,
                       "tag-list: “=” expected after the tag name “%.*s”",
                       (int) (name_end - name_start), text + name_start);
          return NULL;
        }
      i = skip_fws (text, i + 1, len);
      value_start = value_end = i;
      /* tval = 1*VALCHAR, VALCHAR = %x21-3A / %x3C-7E, separated by FWS */
      while (i < len && text[i] != ';')
        {
          guchar c = (guchar) text[i];

          if (c >= 0x21 && c <= 0x7e)
            {
              i++;
              value_end = i;
            }
          else
            {
              gsize j = skip_fws (text, i, len);

              if (j == i)
                {
                  g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_SYNTAX,
                               "tag-list: the value of “%.*s=” has an invalid character 0x%02x",
                               (int) (name_end - name_start), text + name_start, c);
                  return NULL;
                }
              i = j;
            }
        }
      if (tags->len >= MS_DKIM_MAX_TAGS)
        {
          g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_SYNTAX,
                       "tag-list: more than %d tags", MS_DKIM_MAX_TAGS);
          return NULL;
        }
      tag = g_new0 (MsDkimTag, 1);
      tag->name = g_strndup (text + name_start, name_end - name_start);
      tag->value = g_strndup (text + value_start, value_end - value_start);
      for (k = 0; k < tags->len; k++)
        if (strcmp (((MsDkimTag *) tags->pdata[k])->name, tag->name) == 0)
          {
            g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_SYNTAX,
                         "tag-list: the tag “%s” appears twice", tag->name);
            tag_free (tag);
            return NULL;
          }
      g_ptr_array_add (tags, tag);
      if (i >= len)
        break;
      i++;  /* ';' */
    }
  return g_steal_pointer (&tags);
}

/* The value with every FWS removed (b=, bh=, p=) */
static char *
strip_fws (const char *value)
{
  GString *s = g_string_new (NULL);

  for (; *value != '\0'; value++)
    if (!IS_WSP (*value) && *value != '\r' && *value != '\n')
      g_string_append_c (s, *value);
  return g_string_free (s, FALSE);
}

static GBytes *
decode_base64 (const char  *tag,
               const char  *value,
               gboolean     allow_empty,
               GError     **error)
{
  g_autofree char *clean = strip_fws (value);
  gsize n = strlen (clean), i, out_len;
  guchar *out;

  if (n == 0 && allow_empty)
    return g_bytes_new (NULL, 0);
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (clean[i]) && clean[i] != '+' && clean[i] != '/'
        && !(clean[i] == '=' && i + 2 >= n))
      break;
  if (n == 0 || i < n || n % 4 != 0)
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG,
                   "%s= is not valid base64", tag);
      return NULL;
    }
  out = g_base64_decode (clean, &out_len);
  return g_bytes_new_take (out, out_len);
}

/* ---------------------------------------------------------------- signature tags */

typedef gboolean (*SigTagFunc) (MsDkimSignature *sig, const char *value, GError **error);

static gboolean
sig_tag_v (MsDkimSignature *sig, const char *value, GError **error)
{
  if (strcmp (value, "1") != 0)
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
                   "v=%s: only version 1 is defined", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sig_tag_a (MsDkimSignature *sig, const char *value, GError **error)
{
  if (g_ascii_strcasecmp (value, "rsa-sha256") == 0)
    sig->algorithm = MS_DKIM_ALG_RSA_SHA256;
  else if (g_ascii_strcasecmp (value, "ed25519-sha256") == 0)
    sig->algorithm = MS_DKIM_ALG_ED25519_SHA256;
  else
    {
      /* RFC 8301 §3.1: rsa-sha1 MUST NOT be used any more */
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
                   "a=%s: unsupported algorithm (rsa-sha256 and ed25519-sha256 are)", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sig_tag_b (MsDkimSignature *sig, const char *value, GError **error)
{
  sig->signature = decode_base64 ("b", value, FALSE, error);
  return sig->signature != NULL;
}

static gboolean
sig_tag_bh (MsDkimSignature *sig, const char *value, GError **error)
{
  sig->body_hash = decode_base64 ("bh", value, FALSE, error);
  return sig->body_hash != NULL;
}

static gboolean
parse_canon (const char *word, MsDkimCanon *out)
{
  if (g_ascii_strcasecmp (word, "simple") == 0)
    *out = MS_DKIM_CANON_SIMPLE;
  else if (g_ascii_strcasecmp (word, "relaxed") == 0)
    *out = MS_DKIM_CANON_RELAXED;
  else
    return FALSE;
  return TRUE;
}

/* RFC 6376 §3.5 c=: header/body; a lone word is the header algorithm, body simple */
static gboolean
sig_tag_c (MsDkimSignature *sig, const char *value, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (value, "/", 0);
  guint n = g_strv_length (parts);

  if (n < 1 || n > 2 || !parse_canon (parts[0], &sig->header_canon)
      || (n == 2 && !parse_canon (parts[1], &sig->body_canon)))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG,
                   "c=%s: expected simple or relaxed, as header/body", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sig_tag_d (MsDkimSignature *sig, const char *value, GError **error)
{
  if (!ms_dns_name_is_valid (value))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG, "d=%s is not a domain name", value);
      return FALSE;
    }
  sig->domain = ms_dns_normalize_name (value);
  return TRUE;
}

static gboolean
sig_tag_h (MsDkimSignature *sig, const char *value, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (value, ":", 0);
  GPtrArray *names = g_ptr_array_new ();
  guint i;

  for (i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *name = strip_fws (parts[i]);

      if (*name == '\0')
        {
          g_ptr_array_add (names, NULL);
          g_strfreev ((char **) g_ptr_array_free (names, FALSE));
          g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG, "h=%s has an empty header name", value);
          return FALSE;
        }
      g_ptr_array_add (names, g_ascii_strdown (name, -1));
    }
  g_ptr_array_add (names, NULL);
  sig->headers = (char **) g_ptr_array_free (names, FALSE);
  /* §5.4: From MUST be signed */
  if (!g_strv_contains ((const char * const *) sig->headers, "from"))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG, "h= does not include From");
      return FALSE;
    }
  return TRUE;
}

static gboolean
sig_tag_i (MsDkimSignature *sig, const char *value, GError **error)
{
  if (strchr (value, '@') == NULL)
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG, "i=%s has no “@”", value);
      return FALSE;
    }
  sig->identity = g_strdup (value);
  return TRUE;
}

static gboolean
parse_number (const char *tag, const char *value, gint64 *out, GError **error)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &n, NULL))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG, "%s=%s is not a number", tag, value);
      return FALSE;
    }
  *out = (gint64) n;
  return TRUE;
}

static gboolean
sig_tag_l (MsDkimSignature *sig, const char *value, GError **error)
{
  return parse_number ("l", value, &sig->length, error);
}

static gboolean
sig_tag_q (MsDkimSignature *sig, const char *value, GError **error)
{
  g_auto(GStrv) methods = g_strsplit (value, ":", 0);

  if (!g_strv_contains ((const char * const *) methods, "dns/txt"))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED, "q=%s: only dns/txt is defined", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sig_tag_s (MsDkimSignature *sig, const char *value, GError **error)
{
  if (!ms_dns_name_is_valid (value))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG, "s=%s is not a selector", value);
      return FALSE;
    }
  sig->selector = ms_dns_normalize_name (value);
  return TRUE;
}

static gboolean
sig_tag_t (MsDkimSignature *sig, const char *value, GError **error)
{
  return parse_number ("t", value, &sig->timestamp, error);
}

static gboolean
sig_tag_x (MsDkimSignature *sig, const char *value, GError **error)
{
  return parse_number ("x", value, &sig->expiration, error);
}

enum { TAG_REQUIRED = 1 << 0 };

/* RFC 6376 §3.5; unknown tags are ignored (§3.2) */
static const struct
{
  const char *name;
  guint       flags;
  SigTagFunc  parse;
} signature_tags[] = {
  { "v",  TAG_REQUIRED, sig_tag_v },
  { "a",  TAG_REQUIRED, sig_tag_a },
  { "b",  TAG_REQUIRED, sig_tag_b },
  { "bh", TAG_REQUIRED, sig_tag_bh },
  { "c",  0, sig_tag_c },
  { "d",  TAG_REQUIRED, sig_tag_d },
  { "h",  TAG_REQUIRED, sig_tag_h },
  { "i",  0, sig_tag_i },
  { "l",  0, sig_tag_l },
  { "q",  0, sig_tag_q },
  { "s",  TAG_REQUIRED, sig_tag_s },
  { "t",  0, sig_tag_t },
  { "x",  0, sig_tag_x },
};

static const MsDkimTag *
find_tag (GPtrArray  *tags,
          const char *name)
{
  guint i;

  for (i = 0; i < tags->len; i++)
    if (strcmp (((MsDkimTag *) tags->pdata[i])->name, name) == 0)
      return tags->pdata[i];
  return NULL;
}

void
ms_dkim_signature_free (MsDkimSignature *sig)
{
  if (sig == NULL)
    return;
  g_clear_pointer (&sig->signature, g_bytes_unref);
  g_clear_pointer (&sig->body_hash, g_bytes_unref);
  g_free (sig->domain);
  g_free (sig->selector);
  g_strfreev (sig->headers);
  g_free (sig->identity);
  g_free (sig);
}

MsDkimSignature *
ms_dkim_signature_parse (const char  *value,
                         GError     **error)
{
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(MsDkimSignature) sig = g_new0 (MsDkimSignature, 1);
  const char *at;
  guint i;

  g_return_val_if_fail (value != NULL, NULL);

  sig->length = sig->timestamp = sig->expiration = -1;
  tags = ms_dkim_tag_list_parse (value, strlen (value), error);
  if (tags == NULL)
    return NULL;
  for (i = 0; i < G_N_ELEMENTS (signature_tags); i++)
    {
      const MsDkimTag *tag = find_tag (tags, signature_tags[i].name);

      if (tag == NULL)
        {
          if (signature_tags[i].flags & TAG_REQUIRED)
            {
              g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_MISSING_TAG,
                           "the required tag %s= is missing", signature_tags[i].name);
              return NULL;
            }
          continue;
        }
      if (!signature_tags[i].parse (sig, tag->value, error))
        return NULL;
    }
  /* §3.5 i=: the domain of i= is d= or a subdomain of it */
  if (sig->identity == NULL)
    sig->identity = g_strconcat ("@", sig->domain, NULL);
  at = strrchr (sig->identity, '@') + 1;
  if (g_ascii_strcasecmp (at, sig->domain) != 0
      && !(strlen (at) > strlen (sig->domain)
           && g_ascii_strcasecmp (at + strlen (at) - strlen (sig->domain), sig->domain) == 0
           && at[strlen (at) - strlen (sig->domain) - 1] == '.'))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG,
                   "i=%s is not in the domain d=%s", sig->identity, sig->domain);
      return NULL;
    }
  if (sig->expiration >= 0 && sig->timestamp >= 0 && sig->expiration < sig->timestamp)
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG,
                   "x= is before t=");
      return NULL;
    }
  return g_steal_pointer (&sig);
}

/* ---------------------------------------------------------------- key record */

typedef gboolean (*KeyTagFunc) (MsDkimKey *key, const char *value, GError **error);

static gboolean
key_tag_v (MsDkimKey *key, const char *value, GError **error)
{
  if (strcmp (value, "DKIM1") != 0)
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
                   "key record v=%s: expected DKIM1", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
key_tag_h (MsDkimKey *key, const char *value, GError **error)
{
  g_auto(GStrv) algs = g_strsplit (value, ":", 0);
  guint i;

  for (i = 0; algs[i] != NULL; i++)
    {
      g_autofree char *alg = strip_fws (algs[i]);

      if (strcmp (alg, "sha256") == 0)
        return TRUE;
    }
  g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
               "key record h=%s does not allow sha256", value);
  return FALSE;
}

static gboolean
key_tag_k (MsDkimKey *key, const char *value, GError **error)
{
  if (strcmp (value, "rsa") == 0)
    key->key_type = MS_DKIM_ALG_RSA_SHA256;
  else if (strcmp (value, "ed25519") == 0)
    key->key_type = MS_DKIM_ALG_ED25519_SHA256;
  else
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
                   "key record k=%s: unknown key type (rsa and ed25519 are)", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
key_tag_p (MsDkimKey *key, const char *value, GError **error)
{
  key->public_key = decode_base64 ("p", value, TRUE, error);
  return key->public_key != NULL;
}

static gboolean
key_tag_s (MsDkimKey *key, const char *value, GError **error)
{
  g_auto(GStrv) types = g_strsplit (value, ":", 0);
  guint i;

  for (i = 0; types[i] != NULL; i++)
    {
      g_autofree char *type = strip_fws (types[i]);

      if (strcmp (type, "*") == 0 || strcmp (type, "email") == 0)
        return TRUE;
    }
  g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
               "key record s=%s: not for e-mail", value);
  return FALSE;
}

static gboolean
key_tag_t (MsDkimKey *key, const char *value, GError **error)
{
  g_auto(GStrv) flags = g_strsplit (value, ":", 0);
  guint i;

  for (i = 0; flags[i] != NULL; i++)
    {
      g_autofree char *flag = strip_fws (flags[i]);

      if (strcmp (flag, "y") == 0)
        key->testing = TRUE;
      else if (strcmp (flag, "s") == 0)
        key->strict = TRUE;
    }
  return TRUE;
}

/* RFC 6376 §3.6.1 */
static const struct
{
  const char *name;
  guint       flags;
  KeyTagFunc  parse;
} key_tags[] = {
  { "v", 0, key_tag_v },
  { "h", 0, key_tag_h },
  { "k", 0, key_tag_k },
  { "p", TAG_REQUIRED, key_tag_p },
  { "s", 0, key_tag_s },
  { "t", 0, key_tag_t },
};

void
ms_dkim_key_free (MsDkimKey *key)
{
  if (key == NULL)
    return;
  g_clear_pointer (&key->public_key, g_bytes_unref);
  g_free (key);
}

MsDkimKey *
ms_dkim_key_parse (const char  *record,
                   GError     **error)
{
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(MsDkimKey) key = g_new0 (MsDkimKey, 1);
  guint i;

  g_return_val_if_fail (record != NULL, NULL);

  tags = ms_dkim_tag_list_parse (record, strlen (record), error);
  if (tags == NULL)
    return NULL;
  /* §3.6.1 v=: if present, it MUST be the first tag */
  if (find_tag (tags, "v") != NULL && tags->pdata[0] != find_tag (tags, "v"))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_SYNTAX,
                   "key record: v= must be the first tag");
      return NULL;
    }
  for (i = 0; i < G_N_ELEMENTS (key_tags); i++)
    {
      const MsDkimTag *tag = find_tag (tags, key_tags[i].name);

      if (tag == NULL)
        {
          if (key_tags[i].flags & TAG_REQUIRED)
            {
              g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_MISSING_TAG,
                           "key record: the required tag %s= is missing", key_tags[i].name);
              return NULL;
            }
          continue;
        }
      if (!key_tags[i].parse (key, tag->value, error))
        return NULL;
    }
  return g_steal_pointer (&key);
}

/* ---------------------------------------------------------------- canonicalization */

/* The message with every bare LF (and lone CR) turned into CRLF */
static GString *
to_crlf (const char *text,
         gsize       len)
{
  GString *s = g_string_sized_new (len + len / 32 + 2);
  gsize i;

  for (i = 0; i < len; i++)
    {
      if (text[i] == '\r')
        {
          g_string_append (s, "\r\n");
          if (i + 1 < len && text[i + 1] == '\n')
            i++;
        }
      else if (text[i] == '\n')
        g_string_append (s, "\r\n");
      else
        g_string_append_c (s, text[i]);
    }
  return s;
}

/* RFC 6376 §3.4.3 and §3.4.4 */
GBytes *
ms_dkim_canon_body (const char  *body,
                    gsize        len,
                    MsDkimCanon  canon)
{
  g_autoptr(GString) in = to_crlf (body, len);
  GString *out = g_string_sized_new (in->len + 2);
  gsize i = 0;

  if (in->len > 0 && (in->len < 2 || memcmp (in->str + in->len - 2, "\r\n", 2) != 0))
    g_string_append (in, "\r\n");
  while (i < in->len)
    {
      /* memmem, not strstr: a body may hold NUL octets */
      const char *eol = memmem (in->str + i, in->len - i, "\r\n", 2);
      gsize end = (gsize) (eol - in->str);

      if (canon == MS_DKIM_CANON_SIMPLE)
        g_string_append_len (out, in->str + i, (gssize) (end - i));
      else
        {
          gsize j, stop = end;
          gboolean wsp = FALSE;

          /* ignore WSP at the end of the line */
          while (stop > i && IS_WSP (in->str[stop - 1]))
            stop--;
          for (j = i; j < stop; j++)
            {
              if (IS_WSP (in->str[j]))
                wsp = TRUE;
              else
                {
                  if (wsp)
                    g_string_append_c (out, ' ');
                  wsp = FALSE;
                  g_string_append_c (out, in->str[j]);
                }
            }
        }
      g_string_append (out, "\r\n");
      i = end + 2;
    }
  /* remove empty lines at the end */
  while (out->len >= 4 && memcmp (out->str + out->len - 4, "\r\n\r\n", 4) == 0)
    g_string_truncate (out, out->len - 2);
  if (out->len == 2)
    g_string_truncate (out, 0);
  /* §3.4.3: an empty body is one CRLF with simple; §3.4.4: nothing with relaxed */
  if (out->len == 0 && canon == MS_DKIM_CANON_SIMPLE)
    g_string_append (out, "\r\n");
  return g_string_free_to_bytes (out);
}

/* @field is "Name: value" with its folding, without the final CRLF; the result has no
 * CRLF at the end either */
char *
ms_dkim_canon_header (const char  *field,
                      MsDkimCanon  canon)
{
  const char *colon;
  GString *out;
  g_autofree char *name = NULL;
  const char *v;
  gboolean wsp = FALSE;

  g_return_val_if_fail (field != NULL, NULL);

  if (canon == MS_DKIM_CANON_SIMPLE)
    return g_strdup (field);
  /* §3.4.2 */
  colon = strchr (field, ':');
  if (colon == NULL)
    return g_strdup (field);
  name = g_ascii_strdown (field, colon - field);
  g_strchomp (name);
  out = g_string_new (name);
  g_string_append_c (out, ':');
  v = colon + 1;
  for (; *v != '\0'; v++)
    {
      if (*v == '\r' || *v == '\n')
        continue;  /* unfold */
      if (IS_WSP (*v))
        wsp = TRUE;
      else
        {
          if (wsp && out->len > strlen (name) + 1)
            g_string_append_c (out, ' ');
          wsp = FALSE;
          g_string_append_c (out, *v);
        }
    }
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------- message parsing */

typedef struct
{
  GPtrArray *fields;  /* char*: each field with folding, without the final CRLF */
  GString   *crlf;    /* the message in CRLF form */
  gsize      body;    /* offset of the body in crlf */
} Message;

static void
message_clear (Message *msg)
{
  g_clear_pointer (&msg->fields, g_ptr_array_unref);
  if (msg->crlf != NULL)
    g_string_free (msg->crlf, TRUE);
  msg->crlf = NULL;
}

static void
message_parse (Message    *msg,
               const char *text,
               gsize       len)
{
  gsize i = 0;

  msg->crlf = to_crlf (text, len);
  msg->fields = g_ptr_array_new_with_free_func (g_free);
  msg->body = msg->crlf->len;
  while (i < msg->crlf->len)
    {
      const char *s = msg->crlf->str;
      gsize end = i;

      if (s[i] == '\r')  /* the empty line */
        {
          msg->body = i + 2;
          return;
        }
      /* a field runs on while the next line starts with WSP */
      for (;;)
        {
          const char *eol = memmem (s + end, msg->crlf->len - end, "\r\n", 2);

          if (eol == NULL)
            {
              end = msg->crlf->len;
              break;
            }
          end = (gsize) (eol - s);
          if (end + 2 < msg->crlf->len && IS_WSP (s[end + 2]))
            end += 2;
          else
            break;
        }
      g_ptr_array_add (msg->fields, g_strndup (s + i, end - i));
      i = end + 2;
    }
}

static gboolean
field_has_name (const char *field,
                const char *name)
{
  gsize n = strlen (name);
  const char *p;

  if (g_ascii_strncasecmp (field, name, n) != 0)
    return FALSE;
  for (p = field + n; IS_WSP (*p); p++)
    ;
  return *p == ':';
}

/* §5.4.2: for each name in h=, the next unused instance from the bottom; names with no
 * instance left contribute nothing (the null string) */
static void
append_signed_headers (GString         *data,
                       GPtrArray       *fields,
                       char           **names,
                       MsDkimCanon      canon)
{
  g_autofree gboolean *used = g_new0 (gboolean, fields->len + 1);
  guint i;

  for (i = 0; names[i] != NULL; i++)
    {
      guint k;

      for (k = fields->len; k > 0; k--)
        if (!used[k - 1] && field_has_name (fields->pdata[k - 1], names[i]))
          {
            g_autofree char *c = ms_dkim_canon_header (fields->pdata[k - 1], canon);

            used[k - 1] = TRUE;
            g_string_append (data, c);
            g_string_append (data, "\r\n");
            break;
          }
    }
}

/* §3.7: the DKIM-Signature field with the value of b= deleted */
static char *
remove_b_value (const char *field)
{
  const char *colon = strchr (field, ':');
  const char *p;
  GString *out;

  out = g_string_new_len (field, colon - field + 1);
  p = colon + 1;
  while (*p != '\0')
    {
      const char *semi = strchr (p, ';');
      const char *end = semi != NULL ? semi : p + strlen (p);
      const char *q = p;

      while (IS_WSP (*q) || *q == '\r' || *q == '\n')
        q++;
      if (q[0] == 'b' && (q[1] == '=' || IS_WSP (q[1]) || q[1] == '\r' || q[1] == '\n'))
        {
          const char *eq = strchr (q, '=');

          if (eq != NULL && eq < end)
            {
              g_string_append_len (out, p, eq + 1 - p);
              p = end;
              if (semi != NULL)
                {
                  g_string_append_c (out, ';');
                  p++;
                }
              continue;
            }
        }
      g_string_append_len (out, p, end - p);
      p = end;
      if (semi != NULL)
        {
          g_string_append_c (out, ';');
          p++;
        }
    }
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------- crypto */

static GBytes *
sha256 (const void *data,
        gsize       len)
{
  guchar md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;

  EVP_Digest (data, len, md, &md_len, EVP_sha256 (), NULL);
  return g_bytes_new (md, md_len);
}

static GBytes *
body_hash (const char      *body,
           gsize            len,
           MsDkimCanon      canon,
           gint64           limit)
{
  g_autoptr(GBytes) c = ms_dkim_canon_body (body, len, canon);
  gsize n = g_bytes_get_size (c);

  if (limit >= 0 && (guint64) limit < n)
    n = (gsize) limit;
  return sha256 (g_bytes_get_data (c, NULL), n);
}

static EVP_PKEY *
load_private_key (const char  *pem,
                  GError     **error)
{
  BIO *bio = BIO_new_mem_buf (pem, -1);
  EVP_PKEY *pkey = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);

  BIO_free (bio);
  if (pkey == NULL)
    g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_KEY, "the private key is not a PEM key");
  return pkey;
}

static gboolean
key_algorithm (EVP_PKEY        *pkey,
               MsDkimAlgorithm *alg)
{
  if (EVP_PKEY_is_a (pkey, "RSA"))
    *alg = MS_DKIM_ALG_RSA_SHA256;
  else if (EVP_PKEY_is_a (pkey, "ED25519"))
    *alg = MS_DKIM_ALG_ED25519_SHA256;
  else
    return FALSE;
  return TRUE;
}

/* RFC 6376 §3.3.1: RSASSA-PKCS1-v1_5 with SHA-256 over the data; RFC 8463 §3: Ed25519
 * (pure) over the SHA-256 hash of the data */
static GBytes *
crypto_sign (EVP_PKEY        *pkey,
             MsDkimAlgorithm  alg,
             const GString   *data)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  g_autoptr(GBytes) digest = NULL;
  const guchar *msg = (const guchar *) data->str;
  gsize msg_len = data->len, sig_len = 0;
  guchar *sig = NULL;
  GBytes *result = NULL;

  if (alg == MS_DKIM_ALG_ED25519_SHA256)
    {
      digest = sha256 (data->str, data->len);
      msg = g_bytes_get_data (digest, &msg_len);
    }
  if (EVP_DigestSignInit (ctx, NULL, alg == MS_DKIM_ALG_RSA_SHA256 ? EVP_sha256 () : NULL,
                          NULL, pkey) == 1
      && EVP_DigestSign (ctx, NULL, &sig_len, msg, msg_len) == 1)
    {
      sig = g_malloc (sig_len);
      if (EVP_DigestSign (ctx, sig, &sig_len, msg, msg_len) == 1)
        result = g_bytes_new_take (g_steal_pointer (&sig), sig_len);
    }
  g_free (sig);
  EVP_MD_CTX_free (ctx);
  return result;
}

static EVP_PKEY *
load_public_key (const MsDkimKey  *key,
                 GError          **error)
{
  gsize len;
  const guchar *der = g_bytes_get_data (key->public_key, &len);
  const guchar *p = der;
  EVP_PKEY *pkey = NULL;

  if (key->key_type == MS_DKIM_ALG_ED25519_SHA256)
    {
      if (len == 32)
        pkey = EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL, der, len);
    }
  else
    {
      /* SubjectPublicKeyInfo, as published in practice; RSAPublicKey as §3.6.1 says */
      pkey = d2i_PUBKEY (NULL, &p, (long) len);
      if (pkey == NULL)
        {
          p = der;
          pkey = d2i_PublicKey (EVP_PKEY_RSA, NULL, &p, (long) len);
        }
      if (pkey != NULL && !EVP_PKEY_is_a (pkey, "RSA"))
        g_clear_pointer (&pkey, EVP_PKEY_free);
    }
  if (pkey == NULL)
    g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_KEY,
                 "the key record's p= is not a %s public key",
                 key->key_type == MS_DKIM_ALG_RSA_SHA256 ? "RSA" : "Ed25519");
  else if (key->key_type == MS_DKIM_ALG_RSA_SHA256 && EVP_PKEY_get_bits (pkey) < MS_DKIM_MIN_RSA_BITS)
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_KEY,
                   "the RSA key has %d bits; at least %d are required (RFC 8301)",
                   EVP_PKEY_get_bits (pkey), MS_DKIM_MIN_RSA_BITS);
      g_clear_pointer (&pkey, EVP_PKEY_free);
    }
  return pkey;
}

static gboolean
crypto_verify (EVP_PKEY        *pkey,
               MsDkimAlgorithm  alg,
               const GString   *data,
               GBytes          *signature)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  g_autoptr(GBytes) digest = NULL;
  const guchar *msg = (const guchar *) data->str;
  gsize msg_len = data->len, sig_len;
  const guchar *sig = g_bytes_get_data (signature, &sig_len);
  gboolean ok;

  if (alg == MS_DKIM_ALG_ED25519_SHA256)
    {
      digest = sha256 (data->str, data->len);
      msg = g_bytes_get_data (digest, &msg_len);
    }
  ok = EVP_DigestVerifyInit (ctx, NULL, alg == MS_DKIM_ALG_RSA_SHA256 ? EVP_sha256 () : NULL,
                             NULL, pkey) == 1
       && EVP_DigestVerify (ctx, sig, sig_len, msg, msg_len) == 1;
  EVP_MD_CTX_free (ctx);
  return ok;
}

static const char *
algorithm_name (MsDkimAlgorithm alg)
{
  return alg == MS_DKIM_ALG_RSA_SHA256 ? "rsa-sha256" : "ed25519-sha256";
}

static const char *
canon_name (MsDkimCanon canon)
{
  return canon == MS_DKIM_CANON_SIMPLE ? "simple" : "relaxed";
}

/* ---------------------------------------------------------------- signing */

const char * const *
ms_dkim_default_headers (void)
{
  /* RFC 6376 §5.4.1: the fields that carry the content a reader sees */
  static const char *const names[] = {
    "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To",
    "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", NULL
  };
  return names;
}

/* Appends @text, folding before it when the line would pass 78 columns */
static void
append_folded (GString    *s,
               gsize      *col,
               const char *text)
{
  gsize n = strlen (text);

  if (*col + n + 1 > 78)
    {
      g_string_append (s, "\r\n\t");
      *col = 1;
    }
  else if (*col > 0)
    {
      g_string_append_c (s, ' ');
      (*col)++;
    }
  g_string_append (s, text);
  *col += n;
}

char *
ms_dkim_sign (const char               *message,
              gsize                     len,
              const MsDkimSignOptions  *options,
              GError                  **error)
{
  Message msg = { 0 };
  EVP_PKEY *pkey = NULL;
  MsDkimAlgorithm alg;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char * const *wanted;
  g_autoptr(GBytes) bh = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autofree char *bh64 = NULL, *b64 = NULL, *hlist = NULL, *canon_field = NULL;
  GString *field = NULL;
  g_autoptr(GString) data = NULL;
  gsize col, i;
  char *result = NULL;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (options != NULL && options->domain != NULL && options->selector != NULL
                        && options->private_key_pem != NULL, NULL);

  pkey = load_private_key (options->private_key_pem, error);
  if (pkey == NULL)
    return NULL;
  if (!key_algorithm (pkey, &alg))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
                   "the private key is neither RSA nor Ed25519");
      goto out;
    }
  message_parse (&msg, message, len);
  wanted = options->headers != NULL ? (const char * const *) options->headers
                                    : ms_dkim_default_headers ();
  for (i = 0; wanted[i] != NULL; i++)
    {
      guint k;

      for (k = 0; k < msg.fields->len; k++)
        if (field_has_name (msg.fields->pdata[k], wanted[i]))
          {
            g_ptr_array_add (names, g_ascii_strdown (wanted[i], -1));
            break;
          }
    }
  if (!g_ptr_array_find_with_equal_func (names, "from", g_str_equal, NULL))
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_MISSING_TAG,
                   "the message has no From field to sign (RFC 6376 §5.4)");
      goto out;
    }
  g_ptr_array_add (names, NULL);
  hlist = g_strjoinv (":", (char **) names->pdata);

  bh = body_hash (msg.crlf->str + msg.body, msg.crlf->len - msg.body, options->body_canon, -1);
  bh64 = g_base64_encode (g_bytes_get_data (bh, NULL), g_bytes_get_size (bh));

  /* RFC 6376 §3.5; l= is never generated (§8.2) */
  field = g_string_new ("DKIM-Signature:");
  col = field->len;
  {
    g_autofree char *a = g_strdup_printf ("v=1; a=%s;", algorithm_name (alg));
    g_autofree char *c = g_strdup_printf ("c=%s/%s;", canon_name (options->header_canon),
                                          canon_name (options->body_canon));
    g_autofree char *d = g_strdup_printf ("d=%s;", options->domain);
    g_autofree char *s = g_strdup_printf ("s=%s;", options->selector);
    g_autofree char *h = g_strdup_printf ("h=%s;", hlist);
    g_autofree char *b = g_strdup_printf ("bh=%s;", bh64);

    append_folded (field, &col, a);
    append_folded (field, &col, c);
    append_folded (field, &col, d);
    append_folded (field, &col, s);
    if (options->timestamp >= 0)
      {
        g_autofree char *t = g_strdup_printf ("t=%" G_GINT64_FORMAT ";",
                                              options->timestamp > 0 ? options->timestamp
                                              : g_get_real_time () / G_USEC_PER_SEC);
        append_folded (field, &col, t);
      }
    append_folded (field, &col, h);
    append_folded (field, &col, b);
    g_string_append (field, "\r\n\tb=");
  }

  /* §3.7: the signed headers, then this field with an empty b= and no CRLF */
  data = g_string_new (NULL);
  append_signed_headers (data, msg.fields, (char **) names->pdata, options->header_canon);
  canon_field = ms_dkim_canon_header (field->str, options->header_canon);
  g_string_append (data, canon_field);
  sig = crypto_sign (pkey, alg, data);
  if (sig == NULL)
    {
      g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_KEY, "signing failed");
      goto out;
    }
  b64 = g_base64_encode (g_bytes_get_data (sig, NULL), g_bytes_get_size (sig));
  for (i = 0; i < strlen (b64); i += 72)
    {
      if (i > 0)
        g_string_append (field, "\r\n\t ");
      g_string_append_len (field, b64 + i, MIN (72, strlen (b64 + i)));
    }
  g_string_append (field, "\r\n");
  result = g_string_free (g_steal_pointer (&field), FALSE);

out:
  if (field != NULL)
    g_string_free (field, TRUE);
  message_clear (&msg);
  EVP_PKEY_free (pkey);
  return result;
}

char *
ms_dkim_key_record_for (const char  *private_key_pem,
                        GError     **error)
{
  EVP_PKEY *pkey = load_private_key (private_key_pem, error);
  MsDkimAlgorithm alg;
  g_autofree char *p = NULL;
  char *record = NULL;

  if (pkey == NULL)
    return NULL;
  if (!key_algorithm (pkey, &alg))
    g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED,
                 "the private key is neither RSA nor Ed25519");
  else if (alg == MS_DKIM_ALG_RSA_SHA256)
    {
      guchar *der = NULL;
      int n = i2d_PUBKEY (pkey, &der);

      if (n > 0)
        {
          p = g_base64_encode (der, (gsize) n);
          record = g_strdup_printf ("v=DKIM1; k=rsa; p=%s", p);
        }
      OPENSSL_free (der);
    }
  else
    {
      guchar raw[32];
      gsize n = sizeof raw;

      if (EVP_PKEY_get_raw_public_key (pkey, raw, &n) == 1)
        {
          p = g_base64_encode (raw, n);
          record = g_strdup_printf ("v=DKIM1; k=ed25519; p=%s", p);
        }
    }
  if (record == NULL && error != NULL && *error == NULL)
    g_set_error (error, MS_DKIM_ERROR, MS_DKIM_ERROR_KEY, "the public key cannot be encoded");
  EVP_PKEY_free (pkey);
  return record;
}

char *
ms_dkim_derive_ed25519_key (const char *seed_text)
{
  g_autoptr(GBytes) seed = sha256 (seed_text, strlen (seed_text));
  EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key (EVP_PKEY_ED25519, NULL,
                                                 g_bytes_get_data (seed, NULL), 32);
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long n;
  char *pem;

  PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL);
  n = BIO_get_mem_data (bio, &data);
  pem = g_strndup (data, (gsize) n);
  BIO_free (bio);
  EVP_PKEY_free (pkey);
  return pem;
}

/* ---------------------------------------------------------------- verification */

void
ms_dkim_result_info_free (MsDkimResultInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->domain);
  g_free (info->selector);
  g_free (info->algorithm);
  g_free (info->identity);
  g_free (info->headers);
  g_free (info->reason);
  g_free (info);
}

static MsDkimResult
fetch_key (MsDnsZone        *zone,
           MsDkimSignature  *sig,
           MsDkimKey       **key,
           char            **reason)
{
  g_autofree char *name = g_strdup_printf ("%s._domainkey.%s", sig->selector, sig->domain);
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *record = NULL;
  MsDnsStatus status;
  guint i;

  if (zone == NULL)
    {
      *reason = g_strdup ("no DNS to fetch the key from");
      return MS_DKIM_RESULT_TEMPERROR;
    }
  status = ms_dns_zone_query (zone, name, MS_DNS_TYPE_TXT, &answers, &error);
  switch (status)
    {
    case MS_DNS_STATUS_NOERROR:
      break;
    case MS_DNS_STATUS_NODATA:
    case MS_DNS_STATUS_NXDOMAIN:
    case MS_DNS_STATUS_ERROR:
      /* §6.1.2: PERMFAIL (no key for signature) */
      *reason = g_strdup_printf ("no key for signature: TXT %s is %s", name,
                                 ms_dns_status_to_string (status));
      return MS_DKIM_RESULT_PERMERROR;
    case MS_DNS_STATUS_SERVFAIL:
    case MS_DNS_STATUS_TIMEOUT:
    default:
      /* §6.1.2: TEMPFAIL (key unavailable) */
      *reason = g_strdup_printf ("key unavailable: TXT %s is %s", name,
                                 ms_dns_status_to_string (status));
      return MS_DKIM_RESULT_TEMPERROR;
    }
  for (i = 0; i < answers->len; i++)
    {
      const MsDnsRecord *rr = answers->pdata[i];

      if (rr->type == MS_DNS_TYPE_TXT)
        {
          record = ms_dns_record_join_strings (rr, NULL);
          break;
        }
    }
  if (record == NULL)
    {
      *reason = g_strdup_printf ("no key for signature: no TXT at %s", name);
      return MS_DKIM_RESULT_PERMERROR;
    }
  *key = ms_dkim_key_parse (record, &error);
  if (*key == NULL)
    {
      *reason = g_strdup_printf ("bad key record at %s: %s", name, error->message);
      return MS_DKIM_RESULT_PERMERROR;
    }
  return MS_DKIM_RESULT_PASS;
}

static MsDkimResult
verify_one (MsDnsZone         *zone,
            Message           *msg,
            const char        *field,
            gint64             now,
            MsDkimResultInfo  *info)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MsDkimSignature) sig = NULL;
  g_autoptr(MsDkimKey) key = NULL;
  g_autoptr(GBytes) bh = NULL;
  g_autoptr(GString) data = NULL;
  g_autofree char *stripped = NULL, *canon_field = NULL;
  EVP_PKEY *pkey;
  MsDkimResult result;
  gboolean ok;
  guint k;

  sig = ms_dkim_signature_parse (strchr (field, ':') + 1, &error);
  if (sig == NULL)
    {
      info->reason = g_strdup_printf ("signature syntax: %s", error->message);
      /* RFC 8601 §2.7.1: signed, but the signature could not be processed */
      return error->code == MS_DKIM_ERROR_UNSUPPORTED ? MS_DKIM_RESULT_NEUTRAL
                                                      : MS_DKIM_RESULT_PERMERROR;
    }
  info->domain = g_strdup (sig->domain);
  info->selector = g_strdup (sig->selector);
  info->algorithm = g_strdup (algorithm_name (sig->algorithm));
  info->identity = g_strdup (sig->identity);
  info->headers = g_strjoinv (":", sig->headers);

  /* §6.1.1: the From field must be present among the signed ones */
  for (k = 0; k < msg->fields->len; k++)
    if (field_has_name (msg->fields->pdata[k], "from"))
      break;
  if (k == msg->fields->len)
    {
      info->reason = g_strdup ("the message has no From field");
      return MS_DKIM_RESULT_PERMERROR;
    }
  if (sig->expiration >= 0 && now > sig->expiration)
    {
      info->reason = g_strdup ("signature expired (x=)");
      return MS_DKIM_RESULT_FAIL;
    }
  result = fetch_key (zone, sig, &key, &info->reason);
  if (result != MS_DKIM_RESULT_PASS)
    return result;
  if (g_bytes_get_size (key->public_key) == 0)
    {
      info->reason = g_strdup ("key revoked (empty p=)");
      return MS_DKIM_RESULT_PERMERROR;
    }
  if (key->key_type != sig->algorithm)
    {
      info->reason = g_strdup_printf ("the key type does not match a=%s", info->algorithm);
      return MS_DKIM_RESULT_PERMERROR;
    }
  if (key->strict && g_ascii_strcasecmp (strrchr (sig->identity, '@') + 1, sig->domain) != 0)
    {
      info->reason = g_strdup ("the key has t=s but i= is a subdomain of d=");
      return MS_DKIM_RESULT_PERMERROR;
    }
  pkey = load_public_key (key, &error);
  if (pkey == NULL)
    {
      info->reason = g_strdup_printf ("bad key: %s", error->message);
      return MS_DKIM_RESULT_PERMERROR;
    }

  /* §6.1.3: the body hash first, then the signature over the headers */
  bh = body_hash (msg->crlf->str + msg->body, msg->crlf->len - msg->body, sig->body_canon,
                  sig->length);
  if (!g_bytes_equal (bh, sig->body_hash))
    {
      EVP_PKEY_free (pkey);
      info->reason = g_strdup ("body hash did not verify");
      return MS_DKIM_RESULT_FAIL;
    }
  data = g_string_new (NULL);
  append_signed_headers (data, msg->fields, sig->headers, sig->header_canon);
  stripped = remove_b_value (field);
  canon_field = ms_dkim_canon_header (stripped, sig->header_canon);
  g_string_append (data, canon_field);
  ok = crypto_verify (pkey, sig->algorithm, data, sig->signature);
  EVP_PKEY_free (pkey);
  if (!ok)
    {
      info->reason = g_strdup ("signature did not verify (a signed header was changed)");
      return MS_DKIM_RESULT_FAIL;
    }
  info->reason = g_strdup (key->testing ? "signature verified (the key is in test mode, t=y)"
                                        : "signature verified");
  return MS_DKIM_RESULT_PASS;
}

static void
info_clear_fields (MsDkimResultInfo *info)
{
  g_clear_pointer (&info->domain, g_free);
  g_clear_pointer (&info->selector, g_free);
  g_clear_pointer (&info->algorithm, g_free);
  g_clear_pointer (&info->identity, g_free);
  g_clear_pointer (&info->headers, g_free);
  g_clear_pointer (&info->reason, g_free);
}

MsDkimResult
ms_dkim_verify (MsDnsZone          *zone,
                const char         *message,
                gsize               len,
                gint64              now,
                MsDkimResultInfo  **result_info)
{
  Message msg = { 0 };
  MsDkimResultInfo *best = NULL;
  guint i;
  MsDkimResult result;

  g_return_val_if_fail (message != NULL, MS_DKIM_RESULT_NONE);

  if (now <= 0)
    now = g_get_real_time () / G_USEC_PER_SEC;
  message_parse (&msg, message, len);
  for (i = 0; i < msg.fields->len; i++)
    {
      MsDkimResultInfo *info;

      if (!field_has_name (msg.fields->pdata[i], "DKIM-Signature"))
        continue;
      info = g_new0 (MsDkimResultInfo, 1);
      if (best == NULL)
        best = info;
      best->n_signatures++;
      if (best->n_signatures > MS_DKIM_MAX_SIGNATURES)
        {
          if (info != best)
            ms_dkim_result_info_free (info);
          break;
        }
      info->result = verify_one (zone, &msg, msg.fields->pdata[i], now, info);
      if (info != best)
        {
          /* the first pass wins; otherwise the first signature's result stands */
          if (info->result == MS_DKIM_RESULT_PASS && best->result != MS_DKIM_RESULT_PASS)
            {
              info->n_signatures = best->n_signatures;
              info_clear_fields (best);
              *best = *info;
              g_free (info);
            }
          else
            ms_dkim_result_info_free (info);
        }
    }
  message_clear (&msg);
  if (best == NULL)
    {
      best = g_new0 (MsDkimResultInfo, 1);
      best->result = MS_DKIM_RESULT_NONE;
      best->reason = g_strdup ("the message has no DKIM-Signature");
    }
  result = best->result;
  if (result_info != NULL)
    *result_info = best;
  else
    ms_dkim_result_info_free (best);
  return result;
}

/* ---------------------------------------------------------------- presentation */

static const char *const result_names[] = {
  [MS_DKIM_RESULT_NONE] = "none",
  [MS_DKIM_RESULT_PASS] = "pass",
  [MS_DKIM_RESULT_FAIL] = "fail",
  [MS_DKIM_RESULT_NEUTRAL] = "neutral",
  [MS_DKIM_RESULT_TEMPERROR] = "temperror",
  [MS_DKIM_RESULT_PERMERROR] = "permerror",
};

const char *
ms_dkim_result_to_string (MsDkimResult result)
{
  if ((guint) result >= G_N_ELEMENTS (result_names))
    return "unknown";
  return result_names[result];
}

gboolean
ms_dkim_result_from_string (const char   *name,
                            MsDkimResult *result)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (result_names); i++)
    if (g_ascii_strcasecmp (name, result_names[i]) == 0)
      {
        *result = (MsDkimResult) i;
        return TRUE;
      }
  return FALSE;
}

char *
ms_dkim_format_auth_results (const MsDkimResultInfo *info)
{
  GString *s;

  g_return_val_if_fail (info != NULL, NULL);

  s = g_string_new ("dkim=");
  g_string_append (s, ms_dkim_result_to_string (info->result));
  if (info->result != MS_DKIM_RESULT_PASS && info->reason != NULL)
    {
      g_autofree char *r = g_strdelimit (g_strdup (info->reason), "\"\\", '\'');

      g_string_append_printf (s, " reason=\"%s\"", r);
    }
  /* RFC 8601 §2.7.1 and RFC 6008: header.d, header.s (RFC 8616 registry), header.a */
  if (info->domain != NULL)
    g_string_append_printf (s, " header.d=%s", info->domain);
  if (info->selector != NULL)
    g_string_append_printf (s, " header.s=%s", info->selector);
  if (info->algorithm != NULL)
    g_string_append_printf (s, " header.a=%s", info->algorithm);
  return g_string_free (s, FALSE);
}

MsTraceEvent *
ms_dkim_add_trace_event (const MsDkimResultInfo *info,
                         MsTrace                *trace,
                         const char             *node,
                         guint                   session)
{
  MsTraceEvent *event;

  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (MS_IS_TRACE (trace), NULL);

  event = ms_trace_add_event (trace, "policy", node, session,
                              "check", "dkim",
                              "result", ms_dkim_result_to_string (info->result),
                              "reason", info->reason,
                              NULL);
  if (info->domain != NULL)
    json_object_set_string_member (event->fields, "domain", info->domain);
  if (info->selector != NULL)
    json_object_set_string_member (event->fields, "selector", info->selector);
  if (info->algorithm != NULL)
    json_object_set_string_member (event->fields, "algorithm", info->algorithm);
  if (info->headers != NULL)
    json_object_set_string_member (event->fields, "headers", info->headers);
  return event;
}
