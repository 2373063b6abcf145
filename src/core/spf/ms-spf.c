/* ms-spf.c: Sender Policy Framework, RFC 7208 check_host() over an MsDnsZone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only TXT records are read (RFC 7208 §3.1 and §4.4); SPF (type 99) records in the zone
 * are ignored. Every record is syntax-checked completely before any of it is evaluated
 * (§4.6), so a syntax error anywhere is a permerror.
 */
#define G_LOG_DOMAIN "ms-spf"

#include "config.h"

#include <string.h>

#include "ms-spf.h"
#include "ms-spf-macro.h"

typedef enum
{
  MECH_ALL,
  MECH_INCLUDE,
  MECH_A,
  MECH_MX,
  MECH_PTR,
  MECH_IP4,
  MECH_IP6,
  MECH_EXISTS,
} MechKind;

static const struct
{
  const char *name;
  MechKind    kind;
} mechanism_names[] = {
  { "all", MECH_ALL },
  { "include", MECH_INCLUDE },
  { "a", MECH_A },
  { "mx", MECH_MX },
  { "ptr", MECH_PTR },
  { "ip4", MECH_IP4 },
  { "ip6", MECH_IP6 },
  { "exists", MECH_EXISTS },
};

typedef struct
{
  MechKind      kind;
  char          qualifier;    /* + - ~ ? */
  char         *term;         /* as written */
  char         *domain_spec;  /* NULL: the current <domain> */
  int           cidr4;        /* a, mx, ip4; -1 when not given */
  int           cidr6;        /* a, mx, ip6 */
  GInetAddress *network;      /* ip4, ip6 */
} Mechanism;

typedef struct
{
  GPtrArray *mechanisms;  /* of Mechanism* */
  char      *redirect;    /* domain-spec, or NULL */
  char      *exp;         /* domain-spec, or NULL */
} Record;

typedef enum
{
  MATCH_NO,
  MATCH_YES,
  MATCH_TEMPERROR,
  MATCH_PERMERROR,
} Match;

typedef struct
{
  MsDnsZone          *zone;
  GInetAddress       *ip;           /* IPv4-mapped IPv6 unwrapped to IPv4 (RFC 7208 §5) */
  const MsSpfOptions *options;
  MsSpfResultInfo    *info;
  const char         *local_part;
  const char         *sender_domain;
  guint               lookups;
  guint               voids;
  GPtrArray          *validated;    /* p: validated names of ip, NULL until needed */
  const char         *current;      /* the <domain> of the level being evaluated */
  guint               depth;
} Eval;

static MsSpfResult check_host (Eval *ev, const char *domain, gboolean want_exp);

/* Results */

static const char * const result_names[] = {
  [MS_SPF_RESULT_NONE] = "none",
  [MS_SPF_RESULT_NEUTRAL] = "neutral",
  [MS_SPF_RESULT_PASS] = "pass",
  [MS_SPF_RESULT_FAIL] = "fail",
  [MS_SPF_RESULT_SOFTFAIL] = "softfail",
  [MS_SPF_RESULT_TEMPERROR] = "temperror",
  [MS_SPF_RESULT_PERMERROR] = "permerror",
};

const char *
ms_spf_result_to_string (MsSpfResult result)
{
  if ((guint) result < G_N_ELEMENTS (result_names))
    return result_names[result];
  return "unknown";
}

gboolean
ms_spf_result_from_string (const char  *name,
                           MsSpfResult *result)
{
  for (guint i = 0; i < G_N_ELEMENTS (result_names); i++)
    if (g_ascii_strcasecmp (result_names[i], name) == 0)
      {
        *result = (MsSpfResult) i;
        return TRUE;
      }
  return FALSE;
}

static void
step_free (gpointer data)
{
  MsSpfStep *step = data;

  g_free (step->domain);
  g_free (step->text);
  g_free (step->detail);
  g_free (step);
}

void
ms_spf_result_info_free (MsSpfResultInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->identity);
  g_free (info->mail_from);
  g_free (info->sender);
  g_free (info->domain);
  g_free (info->helo);
  g_free (info->client_ip);
  g_free (info->mechanism);
  g_free (info->explanation);
  g_free (info->problem);
  g_clear_pointer (&info->steps, g_ptr_array_unref);
  g_free (info);
}

static MsSpfStep *
add_step (Eval          *ev,
          MsSpfStepKind  kind,
          const char    *text,
          const char    *detail)
{
  MsSpfStep *step = g_new0 (MsSpfStep, 1);

  step->kind = kind;
  step->depth = ev->depth;
  step->domain = g_strdup (ev->current);
  step->text = g_strdup (text);
  step->detail = g_strdup (detail);
  g_ptr_array_add (ev->info->steps, step);
  return step;
}

/* The first problem is the one reported; later ones are consequences. */
static void G_GNUC_PRINTF (2, 3)
set_problem (Eval       *ev,
             const char *format,
             ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  add_step (ev, MS_SPF_STEP_ERROR, text, NULL);
  if (ev->info->problem == NULL)
    ev->info->problem = g_steal_pointer (&text);
}

/* Syntax (RFC 7208 §4.6.1, §5, §6, §7.1) */

static void
mechanism_free (gpointer data)
{
  Mechanism *mech = data;

  g_free (mech->term);
  g_free (mech->domain_spec);
  g_clear_object (&mech->network);
  g_free (mech);
}

static void
record_free (Record *record)
{
  g_ptr_array_unref (record->mechanisms);
  g_free (record->redirect);
  g_free (record->exp);
  g_free (record);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Record, record_free)

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static gboolean
is_toplabel (const char *label,
             gsize       len)
{
  gboolean alpha = FALSE, dash = FALSE;

  if (len == 0 || !g_ascii_isalnum (label[0]) || !g_ascii_isalnum (label[len - 1]))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (g_ascii_isalpha (label[i]))
        alpha = TRUE;
      else if (label[i] == '-')
        dash = TRUE;
      else if (!g_ascii_isdigit (label[i]))
        return FALSE;
    }
  return alpha || dash;
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static gboolean
check_domain_spec (const char  *spec,
                   char       **problem)
{
  g_autoptr(GError) error = NULL;
  gboolean ends_with_macro = FALSE;
  gsize len = strlen (spec);
  const char *dot;

  if (len == 0)
    {
      *problem = g_strdup ("empty domain-spec");
      return FALSE;
    }
  if (!ms_spf_macro_expand (spec, len, FALSE, NULL, NULL, &error))
    {
      *problem = g_strdup_printf ("bad macro in '%s': %s", spec, error->message);
      return FALSE;
    }
  /* does the string end with a macro-expand? walk it token by token */
  for (const char *p = spec; *p != '\0';)
    {
      if (*p == '%' && p[1] == '{')
        {
          p = strchr (p, '}') + 1;
          ends_with_macro = TRUE;
        }
      else if (*p == '%')
        {
          p += 2;
          ends_with_macro = TRUE;
        }
      else
        {
          p++;
          ends_with_macro = FALSE;
        }
    }
  if (ends_with_macro)
    return TRUE;
  if (spec[len - 1] == '.')
    len--;
  dot = g_strrstr_len (spec, (gssize) len, ".");
  if (dot == NULL || !is_toplabel (dot + 1, (gsize) (spec + len - dot - 1)))
    {
      *problem = g_strdup_printf ("'%s' does not end in a valid top-level label "
                                  "(letters, digits and inner hyphens, not all digits)", spec);
      return FALSE;
    }
  return TRUE;
}

/* ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); no leading zeros */
static gboolean
parse_cidr (const char *digits,
            gsize       len,
            int         max,
            int        *out)
{
  int value = 0;

  if (len == 0 || len > 3 || (len > 1 && digits[0] == '0'))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (digits[i]))
        return FALSE;
      value = value * 10 + (digits[i] - '0');
    }
  if (value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

/* strip "/N" from the end of [start, *end); TRUE if there was a slash-number suffix */
static gboolean
take_slash_number (const char  *start,
                   const char **end,
                   const char **digits,
                   gsize       *n_digits)
{
  const char *p = *end;

  while (p > start && g_ascii_isdigit (p[-1]))
    p--;
  if (p == *end || p == start || p[-1] != '/')
    return FALSE;
  *digits = p;
  *n_digits = (gsize) (*end - p);
  *end = p - 1;
  return TRUE;
}

/* ip4-network = qnum "." qnum "." qnum "." qnum, no leading zeros */
static GInetAddress *
parse_ip4 (const char *text)
{
  guint8 bytes[4];
  const char *p = text;

  for (int i = 0; i < 4; i++)
    {
      guint value = 0;
      const char *start = p;

      while (g_ascii_isdigit (*p) && p - start < 4)
        value = value * 10 + (guint) (*p++ - '0');
      if (p == start || p - start > 3 || value > 255 || (p - start > 1 && *start == '0'))
        return NULL;
      bytes[i] = (guint8) value;
      if (i < 3 && *p++ != '.')
        return NULL;
    }
  if (*p != '\0')
    return NULL;
  return g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV4);
}

static GInetAddress *
parse_ip6 (const char *text)
{
  g_autoptr(GInetAddress) address = NULL;

  if (strchr (text, ':') == NULL || strchr (text, '%') != NULL)
    return NULL;
  address = g_inet_address_new_from_string (text);
  if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return NULL;
  return g_steal_pointer (&address);
}

static Mechanism *
parse_mechanism (const char  *term,
                 char       **problem)
{
  Mechanism *mech = g_new0 (Mechanism, 1);
  const char *p = term, *name, *rest, *end;
  gsize name_len;
  gboolean known = FALSE;

  mech->term = g_strdup (term);
  mech->cidr4 = mech->cidr6 = -1;
  mech->qualifier = '+';
  if (*p != '\0' && strchr ("+-~?", *p) != NULL)
    mech->qualifier = *p++;
  name = p;
  while (g_ascii_isalnum (*p))
    p++;
  name_len = (gsize) (p - name);
  rest = p;
  end = rest + strlen (rest);
  for (guint i = 0; i < G_N_ELEMENTS (mechanism_names); i++)
    if (strlen (mechanism_names[i].name) == name_len
        && g_ascii_strncasecmp (mechanism_names[i].name, name, name_len) == 0)
      {
        mech->kind = mechanism_names[i].kind;
        known = TRUE;
      }
  if (!known || (*rest != '\0' && *rest != ':' && *rest != '/'))
    {
      *problem = g_strdup_printf ("'%s' is neither a known mechanism (all, include, a, mx, "
                                  "ptr, ip4, ip6, exists) nor a modifier (name=value)", term);
      goto fail;
    }

  switch (mech->kind)
    {
    case MECH_ALL:
      if (*rest != '\0')
        {
          *problem = g_strdup_printf ("'%s': 'all' takes no argument", term);
          goto fail;
        }
      break;

    case MECH_INCLUDE:
    case MECH_EXISTS:
      if (*rest != ':')
        {
          *problem = g_strdup_printf ("'%s': expected ':' and a domain", term);
          goto fail;
        }
      mech->domain_spec = g_strdup (rest + 1);
      break;

    case MECH_A:
    case MECH_MX:
      {
        const char *digits;
        gsize n;

        /* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
        if (take_slash_number (rest, &end, &digits, &n))
          {
            if (end > rest && end[-1] == '/')
              {
                end--;
                if (!parse_cidr (digits, n, 128, &mech->cidr6))
                  {
                    *problem = g_strdup_printf ("'%s': bad IPv6 prefix length", term);
                    goto fail;
                  }
                if (take_slash_number (rest, &end, &digits, &n)
                    && !parse_cidr (digits, n, 32, &mech->cidr4))
                  {
                    *problem = g_strdup_printf ("'%s': bad IPv4 prefix length", term);
                    goto fail;
                  }
              }
            else if (!parse_cidr (digits, n, 32, &mech->cidr4))
              {
                *problem = g_strdup_printf ("'%s': bad IPv4 prefix length", term);
                goto fail;
              }
          }
        if (end > rest)
          {
            if (*rest != ':')
              {
                *problem = g_strdup_printf ("'%s': unexpected '%.*s'", term,
                                            (int) (end - rest), rest);
                goto fail;
              }
            mech->domain_spec = g_strndup (rest + 1, (gsize) (end - rest - 1));
          }
      }
      break;

    case MECH_PTR:
      if (*rest == '/')
        {
          *problem = g_strdup_printf ("'%s': ptr takes no prefix length", term);
          goto fail;
        }
      if (*rest == ':')
        mech->domain_spec = g_strdup (rest + 1);
      break;

    case MECH_IP4:
    case MECH_IP6:
      {
        g_autofree char *network = NULL;
        const char *slash;
        gboolean v4 = mech->kind == MECH_IP4;

        if (*rest != ':')
          {
            *problem = g_strdup_printf ("'%s': expected ':' and an %s network", term,
                                        v4 ? "IPv4" : "IPv6");
            goto fail;
          }
        slash = strchr (rest + 1, '/');
        network = slash ? g_strndup (rest + 1, (gsize) (slash - rest - 1)) : g_strdup (rest + 1);
        mech->network = v4 ? parse_ip4 (network) : parse_ip6 (network);
        if (mech->network == NULL)
          {
            *problem = g_strdup_printf ("'%s': '%s' is not an %s address", term, network,
                                        v4 ? "IPv4 (dotted quad)" : "IPv6");
            goto fail;
          }
        if (slash != NULL
            && !parse_cidr (slash + 1, strlen (slash + 1), v4 ? 32 : 128,
                            v4 ? &mech->cidr4 : &mech->cidr6))
          {
            *problem = g_strdup_printf ("'%s': bad prefix length '%s' (0 to %d, no "
                                        "leading zeros)", term, slash + 1, v4 ? 32 : 128);
            goto fail;
          }
      }
      break;

    default:
      g_assert_not_reached ();
    }

  if (mech->domain_spec != NULL && !check_domain_spec (mech->domain_spec, problem))
    {
      g_autofree char *inner = *problem;

      *problem = g_strdup_printf ("'%s': %s", term, inner);
      goto fail;
    }
  return mech;

fail:
  mechanism_free (mech);
  return NULL;
}

/* modifier name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), directly followed by "=" */
static gsize
modifier_name_length (const char *term)
{
  gsize i = 0;

  if (!g_ascii_isalpha (term[0]))
    return 0;
  while (g_ascii_isalnum (term[i]) || term[i] == '-' || term[i] == '_' || term[i] == '.')
    i++;
  return term[i] == '=' ? i : 0;
}

static Record *
parse_record (const char  *text,
              gsize        len,
              char       **problem)
{
  g_autoptr(Record) record = g_new0 (Record, 1);
  g_auto(GStrv) terms = NULL;
  g_autofree char *copy = NULL;

  record->mechanisms = g_ptr_array_new_with_free_func (mechanism_free);
  /* RFC 7208 §4.6.1: terms are separated by spaces only; everything is 7-bit ASCII */
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] < 0x20 || (guchar) text[i] > 0x7e)
      {
        *problem = g_strdup_printf ("the record contains the octet 0x%02X at offset %"
                                    G_GSIZE_FORMAT "; only printable ASCII and spaces "
                                    "are allowed", (guchar) text[i], i);
        return NULL;
      }
  copy = g_strndup (text, len);
  if (g_ascii_strncasecmp (copy, "v=spf1", 6) != 0 || (copy[6] != '\0' && copy[6] != ' '))
    {
      *problem = g_strdup ("the record does not start with 'v=spf1'");
      return NULL;
    }
  terms = g_strsplit (copy + 6, " ", -1);
  for (guint i = 0; terms[i] != NULL; i++)
    {
      const char *term = terms[i];
      gsize name_len;

      if (*term == '\0')
        continue;
      name_len = modifier_name_length (term);
      if (name_len > 0)
        {
          const char *value = term + name_len + 1;
          g_autoptr(GError) error = NULL;
          char **slot = NULL;

          if (name_len == 8 && g_ascii_strncasecmp (term, "redirect", 8) == 0)
            slot = &record->redirect;
          else if (name_len == 3 && g_ascii_strncasecmp (term, "exp", 3) == 0)
            slot = &record->exp;
          if (slot != NULL)
            {
              /* RFC 7208 §6: each at most once */
              if (*slot != NULL)
                {
                  *problem = g_strdup_printf ("'%.*s=' appears more than once", (int) name_len,
                                              term);
                  return NULL;
                }
              if (!check_domain_spec (value, problem))
                {
                  g_autofree char *inner = *problem;

                  *problem = g_strdup_printf ("'%s': %s", term, inner);
                  return NULL;
                }
              *slot = g_strdup (value);
            }
          /* RFC 7208 §6: unknown modifiers are ignored, but must be valid macro-strings */
          else if (!ms_spf_macro_expand (value, strlen (value), FALSE, NULL, NULL, &error))
            {
              *problem = g_strdup_printf ("'%s': %s", term, error->message);
              return NULL;
            }
        }
      else
        {
          Mechanism *mech = parse_mechanism (term, problem);

          if (mech == NULL)
            return NULL;
          g_ptr_array_add (record->mechanisms, mech);
        }
    }
  return g_steal_pointer (&record);
}

gboolean
ms_spf_record_check_syntax (const char  *record,
                            gsize        len,
                            char       **problem)
{
  g_autofree char *why = NULL;
  Record *parsed;

  g_return_val_if_fail (record != NULL || len == 0, FALSE);
  parsed = parse_record (record, len, &why);
  if (parsed == NULL)
    {
      if (problem != NULL)
        *problem = g_steal_pointer (&why);
      return FALSE;
    }
  record_free (parsed);
  return TRUE;
}

/* Evaluation */

static MsSpfResult
qualifier_result (char qualifier)
{
  switch (qualifier)
    {
    case '-': return MS_SPF_RESULT_FAIL;
    case '~': return MS_SPF_RESULT_SOFTFAIL;
    case '?': return MS_SPF_RESULT_NEUTRAL;
    default:  return MS_SPF_RESULT_PASS;
    }
}

static MsDnsStatus
dns_query (Eval        *ev,
           const char  *name,
           MsDnsType    type,
           GPtrArray  **answers)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *query = g_strdup_printf ("%s %s", ms_dns_type_to_string (type), name);
  GString *detail;
  MsDnsStatus status;

  status = ms_dns_zone_query (ev->zone, name, type, &found, &error);
  if (status == MS_DNS_STATUS_ERROR)
    status = MS_DNS_STATUS_NXDOMAIN;  /* a name no DNS query can be made for */
  detail = g_string_new (ms_dns_status_to_string (status));
  for (guint i = 0; found != NULL && i < found->len; i++)
    {
      const MsDnsRecord *record = g_ptr_array_index (found, i);
      g_autofree char *data = ms_dns_record_format_data (record);

      g_string_append_printf (detail, "%s%s %s", i == 0 ? ": " : "; ",
                              ms_dns_type_to_string (record->type), data);
    }
  add_step (ev, MS_SPF_STEP_DNS, query, detail->str);
  g_string_free (detail, TRUE);
  if (answers != NULL)
    *answers = g_steal_pointer (&found);
  return status;
}

static gboolean
count_lookup (Eval       *ev,
              const char *term)
{
  /* RFC 7208 §4.6.4 */
  if (++ev->lookups > MS_SPF_MAX_DNS_LOOKUPS)
    {
      set_problem (ev, "'%s' would be DNS-querying term number %u; at most %d are allowed "
                   "per check (RFC 7208 section 4.6.4)", term, ev->lookups, MS_SPF_MAX_DNS_LOOKUPS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
count_void (Eval       *ev,
            const char *name)
{
  /* RFC 7208 §4.6.4: NXDOMAIN and empty answers */
  if (++ev->voids > MS_SPF_MAX_VOID_LOOKUPS)
    {
      set_problem (ev, "lookup of %s found nothing: that is void lookup number %u, more "
                   "than the %d allowed (RFC 7208 section 4.6.4)", name, ev->voids,
                   MS_SPF_MAX_VOID_LOOKUPS);
      return FALSE;
    }
  return TRUE;
}

static char *validated_domain_cb (gpointer user_data);

static void
fill_macro_context (Eval              *ev,
                    MsSpfMacroContext *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->sender = ev->info->sender;
  ctx->local_part = ev->local_part;
  ctx->sender_domain = ev->sender_domain;
  ctx->domain = ev->current;
  ctx->ip = ev->ip;
  ctx->helo = ev->info->helo;
  ctx->receiver = ev->options != NULL ? ev->options->receiver : NULL;
  ctx->timestamp = ev->options != NULL ? ev->options->timestamp : 0;
  ctx->validated = validated_domain_cb;
  ctx->validated_data = ev;
}

/* Expand a domain-spec (or the current domain) into a target name; RFC 7208 §7.3 says to
 * cut labels off the left until it fits 253 octets. */
static char *
expand_target (Eval       *ev,
               const char *spec,
               const char *term)
{
  g_autoptr(GError) error = NULL;
  MsSpfMacroContext ctx;
  char *out = NULL;
  char *p;

  if (spec == NULL)
    return g_strdup (ev->current);
  fill_macro_context (ev, &ctx);
  if (!ms_spf_macro_expand (spec, strlen (spec), FALSE, &ctx, &out, &error))
    {
      set_problem (ev, "'%s': %s", term, error->message);
      return NULL;
    }
  p = out;
  while (strlen (p) > MS_DNS_MAX_NAME && strchr (p, '.') != NULL)
    p = strchr (p, '.') + 1;
  if (p != out)
    memmove (out, p, strlen (p) + 1);
  return out;
}

static gboolean
address_in_network (GInetAddress *ip,
                    GInetAddress *network,
                    int           prefix)
{
  const guint8 *a, *b;
  gsize size;

  if (g_inet_address_get_family (ip) != g_inet_address_get_family (network))
    return FALSE;
  size = g_inet_address_get_native_size (ip);
  if (prefix < 0)
    prefix = (int) size * 8;
  a = g_inet_address_to_bytes (ip);
  b = g_inet_address_to_bytes (network);
  for (int bit = 0; bit < prefix; bit += 8)
    {
      int n = MIN (8, prefix - bit);
      guint8 mask = (guint8) (0xff << (8 - n));

      if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_ipv4 (Eval *ev)
{
  return g_inet_address_get_family (ev->ip) == G_SOCKET_FAMILY_IPV4;
}

/* Look up A or AAAA (by the client's family) of name; match against the prefix. */
static Match
match_host_addresses (Eval       *ev,
                      const char *name,
                      Mechanism  *mech,
                      gboolean    count_void_lookup)
{
  g_autoptr(GPtrArray) answers = NULL;
  MsDnsType type = is_ipv4 (ev) ? MS_DNS_TYPE_A : MS_DNS_TYPE_AAAA;
  int prefix = is_ipv4 (ev) ? mech->cidr4 : mech->cidr6;
  MsDnsStatus status = dns_query (ev, name, type, &answers);

  switch (status)
    {
    case MS_DNS_STATUS_TIMEOUT:
    case MS_DNS_STATUS_SERVFAIL:
      set_problem (ev, "DNS %s while looking up %s %s", ms_dns_status_to_string (status),
                   ms_dns_type_to_string (type), name);
      return MATCH_TEMPERROR;
    case MS_DNS_STATUS_NOERROR:
      for (guint i = 0; i < answers->len; i++)
        {
          const MsDnsRecord *record = g_ptr_array_index (answers, i);

          if (record->type == type && address_in_network (ev->ip, record->address, prefix))
            return MATCH_YES;
        }
      return MATCH_NO;
    default:
      if (count_void_lookup && !count_void (ev, name))
        return MATCH_PERMERROR;
      return MATCH_NO;
    }
}

/* RFC 7208 §5.5: the validated names of ip; errors skip a name */
static GPtrArray *
validated_names (Eval *ev,
                 gboolean count_void_lookup,
                 Match *error_match)
{
  g_autoptr(GPtrArray) ptrs = NULL;
  g_autofree char *reverse = NULL;
  MsDnsStatus status;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  MsDnsType type = is_ipv4 (ev) ? MS_DNS_TYPE_A : MS_DNS_TYPE_AAAA;
  guint checked = 0;

  *error_match = MATCH_NO;
  reverse = ms_dns_reverse_name (ev->ip);
  status = dns_query (ev, reverse, MS_DNS_TYPE_PTR, &ptrs);
  if (status != MS_DNS_STATUS_NOERROR)
    {
      if ((status == MS_DNS_STATUS_NXDOMAIN || status == MS_DNS_STATUS_NODATA)
          && count_void_lookup && !count_void (ev, reverse))
        *error_match = MATCH_PERMERROR;
      return names;
    }
  for (guint i = 0; i < ptrs->len; i++)
    {
      const MsDnsRecord *ptr = g_ptr_array_index (ptrs, i);
      g_autoptr(GPtrArray) addresses = NULL;

      if (ptr->type != MS_DNS_TYPE_PTR)
        continue;
      /* RFC 7208 §4.6.4: at most 10 PTR names are looked at */
      if (++checked > MS_SPF_MAX_PTR_NAMES)
        {
          add_step (ev, MS_SPF_STEP_ERROR, "more than 10 PTR names: the rest are ignored",
                    NULL);
          break;
        }
      if (!ms_dns_name_is_valid (ptr->target)
          || dns_query (ev, ptr->target, type, &addresses) != MS_DNS_STATUS_NOERROR)
        continue;
      for (guint j = 0; j < addresses->len; j++)
        {
          const MsDnsRecord *record = g_ptr_array_index (addresses, j);

          if (record->type == type && g_inet_address_equal (record->address, ev->ip))
            {
              g_ptr_array_add (names, g_strdup (ptr->target));
              break;
            }
        }
    }
  return names;
}

static gboolean
name_is_within (const char *name,
                const char *domain)
{
  g_autofree char *n = ms_dns_normalize_name (name);
  g_autofree char *d = ms_dns_normalize_name (domain);
  gsize nl = strlen (n), dl = strlen (d);

  if (nl == dl)
    return strcmp (n, d) == 0;
  return nl > dl && n[nl - dl - 1] == '.' && strcmp (n + nl - dl, d) == 0;
}

/* %{p}: a validated name, preferably <domain> itself or one of its subdomains */
static char *
validated_domain_cb (gpointer user_data)
{
  Eval *ev = user_data;
  Match ignored;

  if (ev->validated == NULL)
    ev->validated = validated_names (ev, FALSE, &ignored);
  for (guint i = 0; i < ev->validated->len; i++)
    if (name_is_within (g_ptr_array_index (ev->validated, i), ev->current))
      return g_strdup (g_ptr_array_index (ev->validated, i));
  if (ev->validated->len > 0)
    return g_strdup (g_ptr_array_index (ev->validated, 0));
  return NULL;
}

static Match
evaluate_mechanism (Eval      *ev,
                    Mechanism *mech,
                    char     **detail)
{
  g_autofree char *target = NULL;

  if (mech->kind == MECH_ALL)
    return MATCH_YES;
  if (mech->kind == MECH_IP4 || mech->kind == MECH_IP6)
    {
      /* RFC 7208 §5.6: an IPv4 client never matches ip6, and vice versa */
      return address_in_network (ev->ip, mech->network,
                                 mech->kind == MECH_IP4 ? mech->cidr4 : mech->cidr6)
             ? MATCH_YES : MATCH_NO;
    }

  if (!count_lookup (ev, mech->term))
    return MATCH_PERMERROR;
  target = expand_target (ev, mech->domain_spec, mech->term);
  if (target == NULL)
    return MATCH_PERMERROR;
  if (mech->kind != MECH_INCLUDE && !ms_dns_name_is_valid (target))
    {
      /* RFC 7208 §4.3 by analogy: a name no query can be made for matches nothing */
      *detail = g_strdup_printf ("'%s' is not a valid domain name: no match", target);
      return MATCH_NO;
    }

  switch (mech->kind)
    {
    case MECH_INCLUDE:
      {
        /* RFC 7208 §5.2 */
        MsSpfResult result;
        const char *saved = ev->current;

        ev->depth++;
        result = check_host (ev, target, FALSE);
        ev->depth--;
        ev->current = saved;
        *detail = g_strdup_printf ("included %s gave %s", target,
                                   ms_spf_result_to_string (result));
        switch (result)
          {
          case MS_SPF_RESULT_PASS:
            return MATCH_YES;
          case MS_SPF_RESULT_FAIL:
          case MS_SPF_RESULT_SOFTFAIL:
          case MS_SPF_RESULT_NEUTRAL:
            return MATCH_NO;
          case MS_SPF_RESULT_TEMPERROR:
            return MATCH_TEMPERROR;
          case MS_SPF_RESULT_NONE:
            set_problem (ev, "'%s': %s has no SPF record, which makes include a permerror",
                         mech->term, target);
            return MATCH_PERMERROR;
          default:
            return MATCH_PERMERROR;
          }
      }

    case MECH_A:
      /* RFC 7208 §5.3 */
      return match_host_addresses (ev, target, mech, TRUE);

    case MECH_MX:
      {
        /* RFC 7208 §5.4 */
        g_autoptr(GPtrArray) answers = NULL;
        MsDnsStatus status = dns_query (ev, target, MS_DNS_TYPE_MX, &answers);
        guint n_mx = 0;

        if (status == MS_DNS_STATUS_TIMEOUT || status == MS_DNS_STATUS_SERVFAIL)
          {
            set_problem (ev, "DNS %s while looking up MX %s", ms_dns_status_to_string (status),
                         target);
            return MATCH_TEMPERROR;
          }
        if (status != MS_DNS_STATUS_NOERROR)
          return count_void (ev, target) ? MATCH_NO : MATCH_PERMERROR;
        for (guint i = 0; i < answers->len; i++)
          if (((MsDnsRecord *) g_ptr_array_index (answers, i))->type == MS_DNS_TYPE_MX)
            n_mx++;
        if (n_mx > MS_SPF_MAX_MX_NAMES)
          {
            set_problem (ev, "'%s': %s has %u MX records; at most %d may be looked up "
                         "(RFC 7208 section 4.6.4)", mech->term, target, n_mx, MS_SPF_MAX_MX_NAMES);
            return MATCH_PERMERROR;
          }
        for (guint i = 0; i < answers->len; i++)
          {
            const MsDnsRecord *mx = g_ptr_array_index (answers, i);
            Match match;

            /* the null MX of RFC 7505 names no host */
            if (mx->type != MS_DNS_TYPE_MX || mx->target[0] == '\0'
                || !ms_dns_name_is_valid (mx->target))
              continue;
            match = match_host_addresses (ev, mx->target, mech, FALSE);
            if (match != MATCH_NO)
              return match;
          }
        return MATCH_NO;
      }

    case MECH_PTR:
      {
        /* RFC 7208 §5.5 (its use is discouraged, but it must work) */
        Match error_match;
        g_autoptr(GPtrArray) names = validated_names (ev, TRUE, &error_match);

        if (error_match != MATCH_NO)
          return error_match;
        for (guint i = 0; i < names->len; i++)
          if (name_is_within (g_ptr_array_index (names, i), target))
            {
              *detail = g_strdup_printf ("validated name %s is within %s",
                                         (char *) g_ptr_array_index (names, i), target);
              return MATCH_YES;
            }
        return MATCH_NO;
      }

    case MECH_EXISTS:
      {
        /* RFC 7208 §5.7: an A query whatever the client's family */
        MsDnsStatus status = dns_query (ev, target, MS_DNS_TYPE_A, NULL);

        if (status == MS_DNS_STATUS_TIMEOUT || status == MS_DNS_STATUS_SERVFAIL)
          {
            set_problem (ev, "DNS %s while looking up A %s", ms_dns_status_to_string (status),
                         target);
            return MATCH_TEMPERROR;
          }
        if (status == MS_DNS_STATUS_NOERROR)
          return MATCH_YES;
        return count_void (ev, target) ? MATCH_NO : MATCH_PERMERROR;
      }

    default:
      g_assert_not_reached ();
    }
}

static gboolean
is_ascii_text (const char *text,
               gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] < 0x20 || (guchar) text[i] > 0x7e)
      return FALSE;
  return TRUE;
}

/* RFC 7208 §6.2: any trouble means "as if no exp= was given" */
static void
evaluate_exp (Eval       *ev,
              const char *spec)
{
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expanded = NULL;
  const MsDnsRecord *txt = NULL;
  MsSpfMacroContext ctx;
  gsize len = 0;

  fill_macro_context (ev, &ctx);
  if (!ms_spf_macro_expand (spec, strlen (spec), FALSE, &ctx, &target, &error))
    {
      add_step (ev, MS_SPF_STEP_MODIFIER, "exp", error->message);
      return;
    }
  while (strlen (target) > MS_DNS_MAX_NAME && strchr (target, '.') != NULL)
    memmove (target, strchr (target, '.') + 1, strlen (strchr (target, '.') + 1) + 1);
  if (!ms_dns_name_is_valid (target)
      || dns_query (ev, target, MS_DNS_TYPE_TXT, &answers) != MS_DNS_STATUS_NOERROR)
    {
      add_step (ev, MS_SPF_STEP_MODIFIER, "exp", "no explanation record: default used");
      return;
    }
  for (guint i = 0; i < answers->len; i++)
    {
      const MsDnsRecord *record = g_ptr_array_index (answers, i);

      if (record->type != MS_DNS_TYPE_TXT)
        continue;
      if (txt != NULL)
        {
          add_step (ev, MS_SPF_STEP_MODIFIER, "exp",
                    "more than one TXT record: default explanation used");
          return;
        }
      txt = record;
    }
  text = ms_dns_record_join_strings (txt, &len);
  if (!is_ascii_text (text, len))
    {
      add_step (ev, MS_SPF_STEP_MODIFIER, "exp",
                "explanation is not printable ASCII: default used");
      return;
    }
  if (!ms_spf_macro_expand (text, len, TRUE, &ctx, &expanded, &error))
    {
      add_step (ev, MS_SPF_STEP_MODIFIER, "exp", error->message);
      return;
    }
  add_step (ev, MS_SPF_STEP_MODIFIER, "exp", expanded);
  g_free (ev->info->explanation);
  ev->info->explanation = g_steal_pointer (&expanded);
  ev->info->explanation_from_record = TRUE;
}

static MsSpfResult
finish_level (Eval        *ev,
              MsSpfResult  result)
{
  MsSpfStep *step = add_step (ev, MS_SPF_STEP_RESULT, ms_spf_result_to_string (result), NULL);

  step->result = result;
  return result;
}

/* RFC 7208 §4: check_host() for one domain; @want_exp is FALSE inside include */
static MsSpfResult
check_host (Eval       *ev,
            const char *domain,
            gboolean    want_exp)
{
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(Record) record = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  guint n_spf = 0;
  MsDnsStatus status;

  ev->current = domain;
  add_step (ev, MS_SPF_STEP_CHECK, domain, NULL);

  /* RFC 7208 §4.3 */
  if (!ms_dns_name_is_valid (domain))
    {
      add_step (ev, MS_SPF_STEP_ERROR, "not a valid domain name: no SPF record can exist", NULL);
      return finish_level (ev, MS_SPF_RESULT_NONE);
    }

  /* RFC 7208 §4.4: TXT only */
  status = dns_query (ev, domain, MS_DNS_TYPE_TXT, &answers);
  if (status == MS_DNS_STATUS_TIMEOUT || status == MS_DNS_STATUS_SERVFAIL)
    {
      set_problem (ev, "DNS %s while looking up TXT %s", ms_dns_status_to_string (status),
                   domain);
      return finish_level (ev, MS_SPF_RESULT_TEMPERROR);
    }

  /* RFC 7208 §4.5: records that begin with "v=spf1" followed by a space or the end */
  for (guint i = 0; answers != NULL && i < answers->len; i++)
    {
      const MsDnsRecord *txt = g_ptr_array_index (answers, i);
      gsize len;
      g_autofree char *joined = NULL;

      if (txt->type != MS_DNS_TYPE_TXT)
        continue;
      joined = ms_dns_record_join_strings (txt, &len);
      if (len >= 6 && g_ascii_strncasecmp (joined, "v=spf1", 6) == 0
          && (len == 6 || joined[6] == ' '))
        {
          n_spf++;
          g_free (text);
          text = g_steal_pointer (&joined);
          text_len = len;
        }
    }
  if (n_spf == 0)
    {
      add_step (ev, MS_SPF_STEP_ERROR, "no TXT record starting with 'v=spf1'", NULL);
      return finish_level (ev, MS_SPF_RESULT_NONE);
    }
  if (n_spf > 1)
    {
      set_problem (ev, "%s publishes %u SPF records; exactly one is allowed (RFC 7208 section 4.5)",
                   domain, n_spf);
      return finish_level (ev, MS_SPF_RESULT_PERMERROR);
    }
  {
    g_autofree char *printable = g_strescape (text, NULL);

    add_step (ev, MS_SPF_STEP_RECORD, printable, NULL);
  }
  record = parse_record (text, text_len, &problem);
  if (record == NULL)
    {
      set_problem (ev, "syntax error in the SPF record of %s: %s", domain, problem);
      return finish_level (ev, MS_SPF_RESULT_PERMERROR);
    }

  /* RFC 7208 §4.6.2: mechanisms left to right, the first match decides */
  for (guint i = 0; i < record->mechanisms->len; i++)
    {
      Mechanism *mech = g_ptr_array_index (record->mechanisms, i);
      g_autofree char *detail = NULL;
      Match match = evaluate_mechanism (ev, mech, &detail);
      MsSpfStep *step;

      ev->current = domain;
      step = add_step (ev, MS_SPF_STEP_MECHANISM, mech->term,
                       match == MATCH_TEMPERROR ? "temperror"
                       : match == MATCH_PERMERROR ? "permerror"
                       : detail != NULL ? detail : match == MATCH_YES ? "match" : "no match");
      switch (match)
        {
        case MATCH_TEMPERROR:
          return finish_level (ev, MS_SPF_RESULT_TEMPERROR);
        case MATCH_PERMERROR:
          return finish_level (ev, MS_SPF_RESULT_PERMERROR);
        case MATCH_NO:
          continue;
        case MATCH_YES:
        default:
          step->matched = TRUE;
          step->result = qualifier_result (mech->qualifier);
          g_free (ev->info->mechanism);
          ev->info->mechanism = g_strdup (mech->term);
          if (step->result == MS_SPF_RESULT_FAIL && want_exp && record->exp != NULL)
            evaluate_exp (ev, record->exp);
          return finish_level (ev, step->result);
        }
    }

  /* RFC 7208 §6.1: redirect= only when nothing matched; its exp replaces ours */
  if (record->redirect != NULL)
    {
      g_autofree char *term = g_strdup_printf ("redirect=%s", record->redirect);
      g_autofree char *target = NULL;
      MsSpfResult result;

      if (!count_lookup (ev, term))
        return finish_level (ev, MS_SPF_RESULT_PERMERROR);
      target = expand_target (ev, record->redirect, term);
      if (target == NULL)
        return finish_level (ev, MS_SPF_RESULT_PERMERROR);
      add_step (ev, MS_SPF_STEP_MODIFIER, term, target);
      ev->depth++;
      result = check_host (ev, target, want_exp);
      ev->depth--;
      ev->current = domain;
      if (result == MS_SPF_RESULT_NONE)
        {
          set_problem (ev, "'%s': %s has no SPF record, which makes redirect a permerror",
                       term, target);
          result = MS_SPF_RESULT_PERMERROR;
        }
      return finish_level (ev, result);
    }

  /* RFC 7208 §4.7 */
  add_step (ev, MS_SPF_STEP_ERROR, "no mechanism matched: the default result is neutral", NULL);
  return finish_level (ev, MS_SPF_RESULT_NEUTRAL);
}

/* RFC 7208 §4.3: the initial <domain> must be a fully qualified domain name */
static gboolean
is_fqdn (const char *domain)
{
  gsize len = strlen (domain);

  if (!ms_dns_name_is_valid (domain) || domain[0] == '[')
    return FALSE;
  for (const char *p = domain; *p != '\0'; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p > 0x7e)
      return FALSE;
  return memchr (domain, '.', len > 0 && domain[len - 1] == '.' ? len - 1 : len) != NULL;
}

static GInetAddress *
unwrap_mapped (GInetAddress *ip)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes = g_inet_address_to_bytes (ip);

  if (g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV6
      && memcmp (bytes, mapped, sizeof mapped) == 0)
    return g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
  return g_object_ref (ip);
}

static char *
default_reason (const MsSpfResultInfo *info)
{
  switch (info->result)
    {
    case MS_SPF_RESULT_PASS:
      return g_strdup_printf ("%s designates %s as permitted sender (%s)", info->domain,
                              info->client_ip, info->mechanism ? info->mechanism : "");
    case MS_SPF_RESULT_FAIL:
      return g_strdup_printf ("%s does not designate %s as permitted sender", info->domain,
                              info->client_ip);
    case MS_SPF_RESULT_SOFTFAIL:
      return g_strdup_printf ("%s does not designate %s as permitted sender, but is "
                              "transitioning (softfail)", info->domain, info->client_ip);
    case MS_SPF_RESULT_NEUTRAL:
      return g_strdup_printf ("%s neither permits nor denies %s", info->domain,
                              info->client_ip);
    case MS_SPF_RESULT_NONE:
      return g_strdup_printf ("%s publishes no SPF record", info->domain);
    case MS_SPF_RESULT_TEMPERROR:
    case MS_SPF_RESULT_PERMERROR:
    default:
      return g_strdup (info->problem != NULL ? info->problem : "error");
    }
}

/**
 * ms_spf_check_host_full:
 * @zone: where DNS queries are answered
 * @ip: the SMTP client's address (IPv4-mapped IPv6 is taken as IPv4)
 * @domain: (nullable): the <domain>; NULL for the domain of @sender (or @helo)
 * @sender: (nullable): MAIL FROM; NULL or "" checks the HELO identity
 * @helo: (nullable): the HELO/EHLO name
 * @options: (nullable): receiver name and time for the explanation macros
 * @result_info: (out) (optional): result, explanation, problem, deciding mechanism and
 *   the steps of the evaluation; free with ms_spf_result_info_free()
 *
 * RFC 7208 check_host(). Never fails: errors are the temperror and permerror results.
 *
 * Returns: the SPF result
 */
MsSpfResult
ms_spf_check_host_full (MsDnsZone           *zone,
                        GInetAddress        *ip,
                        const char          *domain,
                        const char          *sender,
                        const char          *helo,
                        const MsSpfOptions  *options,
                        MsSpfResultInfo    **result_info)
{
  g_autoptr(GInetAddress) client = NULL;
  g_autofree char *local = NULL;
  g_autofree char *sender_domain = NULL;
  MsSpfResultInfo *info;
  MsSpfResult result;
  Eval ev = { 0 };
  const char *at;

  g_return_val_if_fail (MS_IS_DNS_ZONE (zone), MS_SPF_RESULT_PERMERROR);
  g_return_val_if_fail (G_IS_INET_ADDRESS (ip), MS_SPF_RESULT_PERMERROR);

  info = g_new0 (MsSpfResultInfo, 1);
  info->steps = g_ptr_array_new_with_free_func (step_free);
  info->helo = g_strdup (helo != NULL ? helo : "");
  info->mail_from = g_strdup (sender != NULL ? sender : "");
  client = unwrap_mapped (ip);
  info->client_ip = g_inet_address_to_string (client);

  /* RFC 7208 §2.4 and §4.3: the HELO identity stands in for an empty MAIL FROM;
   * a missing local-part is "postmaster" */
  if (sender == NULL || *sender == '\0')
    {
      info->identity = g_strdup ("helo");
      local = g_strdup ("postmaster");
      sender_domain = g_strdup (info->helo);
    }
  else
    {
      info->identity = g_strdup ("mailfrom");
      at = strrchr (sender, '@');
      local = at != NULL && at > sender ? g_strndup (sender, (gsize) (at - sender))
                                        : g_strdup ("postmaster");
      sender_domain = g_strdup (at != NULL ? at + 1 : sender);
    }
  info->sender = g_strdup_printf ("%s@%s", local, sender_domain);
  info->domain = g_strdup (domain != NULL ? domain : sender_domain);

  ev.zone = zone;
  ev.ip = client;
  ev.options = options;
  ev.info = info;
  ev.local_part = local;
  ev.sender_domain = sender_domain;
  ev.current = info->domain;

  if (!is_fqdn (info->domain))
    {
      add_step (&ev, MS_SPF_STEP_ERROR, "not a fully qualified domain name: SPF does not "
                "apply (RFC 7208 section 4.3)", info->domain);
      info->result = MS_SPF_RESULT_NONE;
    }
  else
    info->result = check_host (&ev, info->domain, TRUE);

  info->n_dns_lookups = MIN (ev.lookups, MS_SPF_MAX_DNS_LOOKUPS);
  info->n_void_lookups = ev.voids;
  if (info->result != MS_SPF_RESULT_FAIL || !info->explanation_from_record)
    {
      g_clear_pointer (&info->explanation, g_free);
      info->explanation_from_record = FALSE;
      info->explanation = default_reason (info);
    }
  if (info->result == MS_SPF_RESULT_NONE || info->result == MS_SPF_RESULT_TEMPERROR
      || info->result == MS_SPF_RESULT_PERMERROR)
    g_clear_pointer (&info->mechanism, g_free);
  g_clear_pointer (&ev.validated, g_ptr_array_unref);

  result = info->result;
  if (result_info != NULL)
    *result_info = info;
  else
    ms_spf_result_info_free (info);
  return result;
}

MsSpfResult
ms_spf_check_host (MsDnsZone         *zone,
                   GInetAddress      *ip,
                   const char        *domain,
                   const char        *sender,
                   const char        *helo,
                   MsSpfResultInfo  **result_info)
{
  return ms_spf_check_host_full (zone, ip, domain, sender, helo, NULL, result_info);
}
