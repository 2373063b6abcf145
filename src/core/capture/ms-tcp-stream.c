/* ms-tcp-stream.c: TCP reassembly (per direction, ordered, first data wins)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Model (after Suricata's stream-tcp-reassemble, written anew): each direction keeps
 * `next_seq`, the sequence number of the next byte to hand on, and a sorted list of
 * out-of-order segments that never overlap each other (a new segment only fills the
 * holes between what is already held: the first data wins). In-order data goes out
 * at once without copying. A hole becomes a gap when the receiver ACKs past it, when
 * the out-of-order buffer passes its bound, on RST, at a timeout and at the end of
 * the capture. Sequence numbers compare modulo 2^32 (RFC 9293 §3.4).
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "ms-tcp-stream.h"

#define SEQ_LT(a, b)  ((gint32) ((guint32) (a) - (guint32) (b)) < 0)
#define SEQ_LEQ(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) <= 0)
#define SEQ_GT(a, b)  ((gint32) ((guint32) (a) - (guint32) (b)) > 0)
#define SEQ_GEQ(a, b) ((gint32) ((guint32) (a) - (guint32) (b)) >= 0)

typedef struct
{
  guint32  seq;
  guint32  len;
  gint64   t_us;
  guint64  frame;
  guint8  *data;
} OooSegment;

typedef struct
{
  gboolean started;
  gboolean fin_seen;
  gboolean done;          /* every byte up to the FIN handed on */
  guint32  next_seq;
  guint32  fin_seq;       /* sequence number the FIN occupies */
  GQueue   ooo;           /* of OooSegment*, sorted by seq */
  gsize    ooo_bytes;
} Half;

typedef struct
{
  guint8  family;
  guint8  a_addr[16];
  guint8  b_addr[16];
  guint16 a_port;
  guint16 b_port;
} ConnKey;

typedef enum { CONN_OPEN, CONN_CLOSED } ConnState;

typedef struct _Conn
{
  ConnKey        key;
  MsTcpConnInfo  info;
  guint8         client_addr[16];
  ConnState      state;
  Half           half[2];            /* 0: client → server, 1: server → client */
  guint32        client_isn;
  gboolean       client_isn_known;
  gint64         last_us;
  GList          lru_link;           /* in open_lru or closed_fifo */
} Conn;

struct _MsTcpReassembler
{
  MsTcpStreamCallbacks  cb;
  GHashTable           *conns;       /* ConnKey* → Conn* (open and recently closed) */
  GQueue                open_lru;    /* open conns, least recently active first */
  GQueue                closed_fifo; /* closed tombstones, oldest first */
  guint                 next_id;
  guint                 max_connections;
  gsize                 max_ooo_bytes;
  gint64                idle_timeout_us;
  MsTcpReassemblerStats stats;
};

const char *
ms_tcp_close_reason_to_string (MsTcpCloseReason reason)
{
  switch (reason)
    {
    case MS_TCP_CLOSE_FIN: return "fin";
    case MS_TCP_CLOSE_RST: return "rst";
    case MS_TCP_CLOSE_TIMEOUT: return "timeout";
    case MS_TCP_CLOSE_END_OF_CAPTURE: return "end-of-capture";
    default: return "unknown";
    }
}

static guint
conn_key_hash (gconstpointer p)
{
  const ConnKey *k = p;
  const guint8 *b = (const guint8 *) k;
  guint32 h = 2166136261u;
  gsize i;

  for (i = 0; i < sizeof *k; i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

static gboolean
conn_key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (ConnKey)) == 0;
}

static gsize
addr_len (guint8 family)
{
  return family == 6 ? 16 : 4;
}

/* Canonical key: the lower endpoint first, so both directions find the same entry. */
static void
make_key (const MsTcpSegment *s, ConnKey *k)
{
  gsize n = addr_len (s->family);
  int c;

  memset (k, 0, sizeof *k);
  k->family = s->family;
  c = memcmp (s->src, s->dst, n);
  if (c < 0 || (c == 0 && s->src_port <= s->dst_port))
    {
      memcpy (k->a_addr, s->src, n);
      memcpy (k->b_addr, s->dst, n);
      k->a_port = s->src_port;
      k->b_port = s->dst_port;
    }
  else
    {
      memcpy (k->a_addr, s->dst, n);
      memcpy (k->b_addr, s->src, n);
      k->a_port = s->dst_port;
      k->b_port = s->src_port;
    }
}

static char *
addr_to_string (guint8 family, const guint8 *addr)
{
  char buf[INET6_ADDRSTRLEN];

  if (inet_ntop (family == 6 ? AF_INET6 : AF_INET, addr, buf, sizeof buf) == NULL)
    return g_strdup ("?");
  return g_strdup (buf);
}

static int
mail_port_rank (guint16 port)
{
  static const guint16 mail_ports[] = { 25, 465, 587, 2525, 110, 995, 143, 993 };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (mail_ports); i++)
    if (port == mail_ports[i])
      return 2;
  return port < 1024 ? 1 : 0;
}

/* Mid-stream: which endpoint of the segment is the server? */
static gboolean
src_is_server_guess (const MsTcpSegment *s)
{
  int rs = mail_port_rank (s->src_port), rd = mail_port_rank (s->dst_port);

  if (rs != rd)
    return rs > rd;
  return s->src_port < s->dst_port;
}

static gboolean src_is_client (const struct _Conn *c, const MsTcpSegment *s);

static void
half_clear (Half *h)
{
  OooSegment *o;

  while ((o = g_queue_pop_head (&h->ooo)) != NULL)
    {
      g_free (o->data);
      g_free (o);
    }
  h->ooo_bytes = 0;
}

static void
conn_free (Conn *c)
{
  half_clear (&c->half[0]);
  half_clear (&c->half[1]);
  g_free (c->info.client_address);
  g_free (c->info.server_address);
  g_free (c);
}

MsTcpReassembler *
ms_tcp_reassembler_new (const MsTcpStreamCallbacks *callbacks)
{
  MsTcpReassembler *self = g_new0 (MsTcpReassembler, 1);

  if (callbacks != NULL)
    self->cb = *callbacks;
  self->conns = g_hash_table_new (conn_key_hash, conn_key_equal);
  g_queue_init (&self->open_lru);
  g_queue_init (&self->closed_fifo);
  self->next_id = 1;
  self->max_connections = MS_TCP_MAX_CONNECTIONS;
  self->max_ooo_bytes = MS_TCP_MAX_OOO_BYTES;
  self->idle_timeout_us = MS_TCP_IDLE_TIMEOUT_US;
  return self;
}

void
ms_tcp_reassembler_set_callbacks (MsTcpReassembler           *self,
                                  const MsTcpStreamCallbacks *callbacks)
{
  if (callbacks != NULL)
    self->cb = *callbacks;
  else
    memset (&self->cb, 0, sizeof self->cb);
}

void
ms_tcp_reassembler_set_limits (MsTcpReassembler *self,
                               guint             max_connections,
                               gsize             max_ooo_bytes,
                               gint64            idle_timeout_us)
{
  if (max_connections > 0)
    self->max_connections = max_connections;
  if (max_ooo_bytes > 0)
    self->max_ooo_bytes = max_ooo_bytes;
  if (idle_timeout_us > 0)
    self->idle_timeout_us = idle_timeout_us;
}

const MsTcpReassemblerStats *
ms_tcp_reassembler_get_stats (MsTcpReassembler *self)
{
  self->stats.open_connections = self->open_lru.length;
  return &self->stats;
}

static MsDirection
half_dir (int i)
{
  return i == 0 ? MS_DIR_CLIENT : MS_DIR_SERVER;
}

static void
emit_data (MsTcpReassembler *self, Conn *c, int hi, gint64 t_us,
           const guint8 *bytes, gsize len, guint64 frame)
{
  self->stats.bytes_delivered += len;
  if (self->cb.data != NULL && len > 0)
    self->cb.data (&c->info, half_dir (hi), t_us, bytes, len, frame, self->cb.user_data);
}

static void
emit_gap (MsTcpReassembler *self, Conn *c, int hi, gint64 t_us, gsize missing)
{
  self->stats.bytes_missing += missing;
  if (self->cb.gap != NULL && missing > 0)
    self->cb.gap (&c->info, half_dir (hi), t_us, missing, self->cb.user_data);
}

static void
check_done (Half *h)
{
  if (h->fin_seen && SEQ_GEQ (h->next_seq, h->fin_seq))
    h->done = TRUE;
}

/* Hands on the buffered segments that have become in order. */
static void
drain (MsTcpReassembler *self, Conn *c, int hi)
{
  Half *h = &c->half[hi];
  OooSegment *o;

  while ((o = g_queue_peek_head (&h->ooo)) != NULL && SEQ_LEQ (o->seq, h->next_seq))
    {
      guint32 end = o->seq + o->len;

      g_queue_pop_head (&h->ooo);
      h->ooo_bytes -= o->len;
      if (SEQ_GT (end, h->next_seq))
        {
          guint32 skip = h->next_seq - o->seq;

          self->stats.duplicate_bytes += skip;
          h->next_seq = end;
          emit_data (self, c, hi, o->t_us, o->data + skip, o->len - skip, o->frame);
        }
      else
        self->stats.duplicate_bytes += o->len;
      g_free (o->data);
      g_free (o);
    }
  check_done (h);
}

/* Declares everything before `target` that is not buffered as missing, handing on
 * the buffered data on the way. */
static void
advance_to (MsTcpReassembler *self, Conn *c, int hi, guint32 target, gint64 t_us)
{
  Half *h = &c->half[hi];

  if (!h->started)
    return;
  drain (self, c, hi);
  while (SEQ_LT (h->next_seq, target))
    {
      OooSegment *o = g_queue_peek_head (&h->ooo);
      guint32 upto = target;

      if (o != NULL && SEQ_LT (o->seq, target))
        upto = o->seq;
      emit_gap (self, c, hi, t_us, upto - h->next_seq);
      h->next_seq = upto;
      drain (self, c, hi);
    }
}

/* Flushes all buffered data of a direction (declaring the holes as gaps). */
static void
flush_half (MsTcpReassembler *self, Conn *c, int hi, gint64 t_us)
{
  Half *h = &c->half[hi];
  OooSegment *o;

  while ((o = g_queue_peek_tail (&h->ooo)) != NULL)
    advance_to (self, c, hi, o->seq + o->len, t_us);
  if (h->fin_seen && h->started)
    advance_to (self, c, hi, h->fin_seq, t_us);
}

/* Buffers an out-of-order segment, keeping only the bytes no held segment has. */
static void
buffer_segment (MsTcpReassembler *self, Conn *c, int hi, guint32 seq,
                const guint8 *data, guint32 len, gint64 t_us, guint64 frame)
{
  Half *h = &c->half[hi];
  guint32 end = seq + len;
  GList *l = h->ooo.head;

  while (SEQ_LT (seq, end))
    {
      OooSegment *o = l != NULL ? l->data : NULL;
      guint32 piece_end = end;

      /* Skip held segments that end at or before the new data. */
      if (o != NULL && SEQ_LEQ (o->seq + o->len, seq))
        {
          l = l->next;
          continue;
        }
      if (o != NULL && SEQ_LEQ (o->seq, seq))
        {
          /* The held segment covers the start: first data wins. */
          guint32 covered = MIN ((guint32) (o->seq + o->len - seq), (guint32) (end - seq));

          self->stats.duplicate_bytes += covered;
          data += covered;
          seq += covered;
          l = l->next;
          continue;
        }
      if (o != NULL && SEQ_LT (o->seq, end))
        piece_end = o->seq;
      {
        OooSegment *n = g_new (OooSegment, 1);

        n->seq = seq;
        n->len = piece_end - seq;
        n->t_us = t_us;
        n->frame = frame;
        n->data = g_memdup2 (data, n->len);
        if (l != NULL)
          g_queue_insert_before (&h->ooo, l, n);
        else
          g_queue_push_tail (&h->ooo, n);
        h->ooo_bytes += n->len;
        data += n->len;
        seq = piece_end;
      }
    }

  /* Bounded buffer: past the cap, the oldest hole is declared missing. */
  while (h->ooo_bytes > self->max_ooo_bytes || h->ooo.length > MS_TCP_MAX_OOO_SEGMENTS)
    {
      OooSegment *first = g_queue_peek_head (&h->ooo);

      advance_to (self, c, hi, first->seq + first->len, t_us);
    }
}

static void
add_payload (MsTcpReassembler *self, Conn *c, int hi, guint32 seq,
             const guint8 *data, gsize len, gint64 t_us, guint64 frame)
{
  Half *h = &c->half[hi];
  guint32 end;

  if (len == 0)
    return;
  if (len > G_MAXINT32)
    len = G_MAXINT32;
  if (!h->started)
    {
      /* Picked up mid-stream: the stream starts at the first byte seen. */
      h->started = TRUE;
      h->next_seq = seq;
    }
  end = seq + (guint32) len;
  if (SEQ_LEQ (end, h->next_seq))
    {
      self->stats.duplicate_bytes += len;
      return;
    }
  if (SEQ_LT (seq, h->next_seq))
    {
      guint32 skip = h->next_seq - seq;

      self->stats.duplicate_bytes += skip;
      data += skip;
      len -= skip;
      seq = h->next_seq;
    }
  if (seq == h->next_seq)
    {
      /* In order; held segments it overlaps keep their bytes (first data wins). */
      for (;;)
        {
          OooSegment *o = g_queue_peek_head (&h->ooo);
          guint32 oseq;

          if (o == NULL || !SEQ_LT (o->seq, end))
            {
              h->next_seq = end;
              emit_data (self, c, hi, t_us, data, len, frame);
              drain (self, c, hi);
              break;
            }
          oseq = o->seq;   /* drain frees o */
          h->next_seq = oseq;
          emit_data (self, c, hi, t_us, data, oseq - seq, frame);
          drain (self, c, hi);
          if (SEQ_LEQ (end, h->next_seq))
            {
              self->stats.duplicate_bytes += end - oseq;
              break;
            }
          self->stats.duplicate_bytes += h->next_seq - oseq;
          data += h->next_seq - seq;
          len -= h->next_seq - seq;
          seq = h->next_seq;
        }
    }
  else
    buffer_segment (self, c, hi, seq, data, (guint32) len, t_us, frame);
}

static void
close_conn (MsTcpReassembler *self, Conn *c, gint64 t_us, MsTcpCloseReason reason)
{
  if (c->state != CONN_OPEN)
    return;
  flush_half (self, c, 0, t_us);
  flush_half (self, c, 1, t_us);
  half_clear (&c->half[0]);
  half_clear (&c->half[1]);
  c->state = CONN_CLOSED;
  g_queue_unlink (&self->open_lru, &c->lru_link);
  if (self->cb.closed != NULL)
    self->cb.closed (&c->info, t_us, reason, self->cb.user_data);
  c->info.conn_data = NULL;
  /* A tombstone stays for MS_TCP_CLOSED_LINGER_US so that late ACKs and
   * retransmissions are not taken for a new connection picked up mid-stream. */
  c->last_us = t_us;
  g_queue_push_tail_link (&self->closed_fifo, &c->lru_link);
}

static void
drop_tombstone (MsTcpReassembler *self, Conn *c)
{
  g_queue_unlink (&self->closed_fifo, &c->lru_link);
  g_hash_table_remove (self->conns, &c->key);
  conn_free (c);
}

static Conn *
new_conn (MsTcpReassembler *self, const ConnKey *key, const MsTcpSegment *s,
          gboolean src_is_client, gboolean saw_handshake)
{
  Conn *c;
  const guint8 *caddr = src_is_client ? s->src : s->dst;
  const guint8 *saddr = src_is_client ? s->dst : s->src;

  /* Bounded table: the least recently active connection makes room. */
  while (self->open_lru.length >= self->max_connections)
    {
      Conn *old = self->open_lru.head->data;

      self->stats.evictions++;
      close_conn (self, old, s->t_us, MS_TCP_CLOSE_TIMEOUT);
    }
  while (self->closed_fifo.length > self->max_connections)
    drop_tombstone (self, self->closed_fifo.head->data);

  c = g_new0 (Conn, 1);
  c->key = *key;
  memcpy (c->client_addr, caddr, addr_len (s->family));
  c->info.id = self->next_id++;
  c->info.client_address = addr_to_string (s->family, caddr);
  c->info.server_address = addr_to_string (s->family, saddr);
  c->info.client_port = src_is_client ? s->src_port : s->dst_port;
  c->info.server_port = src_is_client ? s->dst_port : s->src_port;
  c->info.saw_handshake = saw_handshake;
  c->info.first_us = s->t_us;
  c->state = CONN_OPEN;
  c->last_us = s->t_us;
  g_queue_init (&c->half[0].ooo);
  g_queue_init (&c->half[1].ooo);
  c->lru_link.data = c;
  g_queue_push_tail_link (&self->open_lru, &c->lru_link);
  g_hash_table_insert (self->conns, &c->key, c);
  self->stats.connections++;
  if (self->cb.opened != NULL)
    self->cb.opened (&c->info, self->cb.user_data);
  return c;
}

static gboolean
src_is_client (const struct _Conn *c, const MsTcpSegment *s)
{
  return s->src_port == c->info.client_port
         && memcmp (s->src, c->client_addr, addr_len (s->family)) == 0
         && !(s->src_port == s->dst_port
              && memcmp (s->src, s->dst, addr_len (s->family)) == 0);
}

void
ms_tcp_reassembler_add (MsTcpReassembler   *self,
                        const MsTcpSegment *s)
{
  ConnKey key;
  Conn *c;
  int hi;
  guint8 fl = s->flags;
  guint32 data_seq;

  if (s->family != 4 && s->family != 6)
    return;
  self->stats.segments++;
  make_key (s, &key);
  c = g_hash_table_lookup (self->conns, &key);

  if (c != NULL && c->state == CONN_CLOSED)
    {
      /* RFC 9293 §3.6.1: a new SYN may reuse the 4-tuple; anything else, and a
       * retransmission of the old SYN (same ISN), is late. */
      if ((fl & MS_TCP_SYN) && !(fl & MS_TCP_ACK)
          && !(c->client_isn_known && s->seq == c->client_isn && src_is_client (c, s)))
        {
          drop_tombstone (self, c);
          c = NULL;
        }
      else
        return;
    }
  else if (c != NULL && (fl & MS_TCP_SYN) && !(fl & MS_TCP_ACK) && !(fl & MS_TCP_RST)
           && src_is_client (c, s) && c->client_isn_known && s->seq != c->client_isn)
    {
      /* A SYN with another ISN on a live 4-tuple: the old connection is gone. */
      MsTcpCloseReason reason = (c->half[0].fin_seen || c->half[1].fin_seen)
                                ? MS_TCP_CLOSE_FIN : MS_TCP_CLOSE_TIMEOUT;

      close_conn (self, c, s->t_us, reason);
      drop_tombstone (self, c);
      c = NULL;
    }

  if (c == NULL)
    {
      if ((fl & MS_TCP_SYN) && !(fl & MS_TCP_ACK))
        c = new_conn (self, &key, s, TRUE, TRUE);
      else if ((fl & MS_TCP_SYN) && (fl & MS_TCP_ACK))
        c = new_conn (self, &key, s, FALSE, FALSE);
      else
        c = new_conn (self, &key, s, !src_is_server_guess (s), FALSE);
    }

  hi = src_is_client (c, s) ? 0 : 1;
  c->last_us = s->t_us;
  g_queue_unlink (&self->open_lru, &c->lru_link);
  g_queue_push_tail_link (&self->open_lru, &c->lru_link);

  data_seq = s->seq;
  if (fl & MS_TCP_SYN)
    {
      Half *h = &c->half[hi];

      if (hi == 0 && !c->client_isn_known)
        {
          c->client_isn = s->seq;
          c->client_isn_known = TRUE;
        }
      if (!h->started)
        {
          h->started = TRUE;
          h->next_seq = s->seq + 1;
        }
      data_seq = s->seq + 1;
    }

  /* The peer's ACK says which of our bytes it has: anything before it that we
   * never saw is missing from the capture. */
  if ((fl & MS_TCP_ACK) && !(fl & MS_TCP_RST))
    {
      Half *o = &c->half[1 - hi];

      if (o->started && SEQ_GT (s->ack, o->next_seq))
        {
          guint32 target = s->ack;

          if (o->fin_seen && SEQ_GT (target, o->fin_seq))
            target = o->fin_seq;
          advance_to (self, c, 1 - hi, target, s->t_us);
        }
    }

  add_payload (self, c, hi, data_seq, s->payload, s->payload_len, s->t_us, s->frame_number);

  if (fl & MS_TCP_FIN)
    {
      Half *h = &c->half[hi];

      if (!h->started)
        {
          h->started = TRUE;
          h->next_seq = data_seq;
        }
      if (!h->fin_seen)
        {
          h->fin_seen = TRUE;
          h->fin_seq = data_seq + (guint32) s->payload_len;
        }
      check_done (h);
    }

  if (fl & MS_TCP_RST)
    {
      close_conn (self, c, s->t_us, MS_TCP_CLOSE_RST);
      return;
    }
  if (c->half[0].done && c->half[1].done)
    close_conn (self, c, s->t_us, MS_TCP_CLOSE_FIN);
}

void
ms_tcp_reassembler_expire (MsTcpReassembler *self,
                           gint64            now_us)
{
  Conn *c;

  while ((c = g_queue_peek_head (&self->open_lru)) != NULL
         && now_us - c->last_us > self->idle_timeout_us)
    close_conn (self, c, now_us, MS_TCP_CLOSE_TIMEOUT);
  while ((c = g_queue_peek_head (&self->closed_fifo)) != NULL
         && now_us - c->last_us > MS_TCP_CLOSED_LINGER_US)
    drop_tombstone (self, c);
}

void
ms_tcp_reassembler_finish (MsTcpReassembler *self,
                           gint64            t_us)
{
  Conn *c;

  while ((c = g_queue_peek_head (&self->open_lru)) != NULL)
    close_conn (self, c, t_us, MS_TCP_CLOSE_END_OF_CAPTURE);
  while ((c = g_queue_peek_head (&self->closed_fifo)) != NULL)
    drop_tombstone (self, c);
}

void
ms_tcp_reassembler_free (MsTcpReassembler *self)
{
  Conn *c;

  if (self == NULL)
    return;
  /* Freed without finish: no callbacks, just the memory. */
  while ((c = g_queue_peek_head (&self->open_lru)) != NULL)
    {
      g_queue_unlink (&self->open_lru, &c->lru_link);
      g_hash_table_remove (self->conns, &c->key);
      conn_free (c);
    }
  while ((c = g_queue_peek_head (&self->closed_fifo)) != NULL)
    drop_tombstone (self, c);
  g_hash_table_destroy (self->conns);
  g_free (self);
}
