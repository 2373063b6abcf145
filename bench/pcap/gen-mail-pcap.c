/* gen-mail-pcap.c: writes a large pcap of many interleaved SMTP, POP3 and IMAP
 * sessions, with some loss, reordering and duplication, for bench/pcap/run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   gen-mail-pcap [-s MEGABYTES] [-c CONCURRENT] [-r SEED] OUT.pcap
 *
 * Ethernet/IPv4/TCP with full handshakes and FIN closes. Per data segment: 0.3 %
 * held back and sent again up to 30 packets later (a retransmission that arrives
 * out of order), 0.2 % sent twice, 0.5 % swapped with the next packet, 0.02 %
 * never in the capture (the receiver's ACK passes it: a gap). The receivers' ACKs
 * never pass a held-back segment, as real TCP would not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSS 1460
#define MAX_PENDING 256

enum { SMTP, POP3, IMAP };

typedef struct
{
  int    from_client;
  char  *data;
  size_t len;
} Turn;

typedef struct
{
  int      proto;
  uint32_t caddr, saddr;
  uint16_t cport, sport;
  uint32_t seq[2];        /* next seq to send: 0 client, 1 server */
  Turn    *turns;
  int      n_turns, turn;
  size_t   off;
  int      phase;         /* 0 handshake, 1 data, 2 closing, 3 done */
} Session;

typedef struct
{
  Session *s;
  int      dir;
  uint32_t seq;
  size_t   len;
  const char *data;
  int      flags;
  long     due;           /* packet count at which to emit */
  int      in_capture;
} Pending;

static FILE *out;
static unsigned long long written, target;
static long packets;
static uint64_t t_us = 1700000000ull * 1000000ull;
static uint64_t rng = 88172645463325252ull;
static Pending pending[MAX_PENDING];
static int n_pending;
static unsigned char frame[16 + 14 + 20 + 20 + MSS];
static Pending swap_slot;
static int have_swap;
static unsigned long long payload_bytes, dropped_bytes;

static uint32_t
rnd (void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t) (rng >> 11);
}

static int
chance (int per_100000)
{
  return (int) (rnd () % 100000) < per_100000;
}

static void
put16 (unsigned char *p, uint16_t v) { p[0] = (unsigned char) (v >> 8); p[1] = (unsigned char) v; }
static void
put32 (unsigned char *p, uint32_t v) { put16 (p, (uint16_t) (v >> 16)); put16 (p + 2, (uint16_t) v); }
static void
le32 (unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char) v; p[1] = (unsigned char) (v >> 8);
  p[2] = (unsigned char) (v >> 16); p[3] = (unsigned char) (v >> 24);
}

static void
write_packet (Session *s, int dir, uint32_t seq, uint32_t ack, int flags,
              const char *data, size_t len)
{
  unsigned char *e = frame + 16, *ip = e + 14, *tcp = ip + 20;
  size_t caplen = 14 + 20 + 20 + len;
  uint32_t sum = 0;
  int i;

  t_us += 7 + rnd () % 20;
  le32 (frame, (uint32_t) (t_us / 1000000));
  le32 (frame + 4, (uint32_t) (t_us % 1000000));
  le32 (frame + 8, (uint32_t) caplen);
  le32 (frame + 12, (uint32_t) caplen);
  memset (e, 0, 12);
  e[5] = dir ? 2 : 1;
  e[11] = dir ? 1 : 2;
  put16 (e + 12, 0x0800);
  ip[0] = 0x45; ip[1] = 0;
  put16 (ip + 2, (uint16_t) (40 + len));
  put16 (ip + 4, (uint16_t) packets);
  put16 (ip + 6, 0x4000);
  ip[8] = 64; ip[9] = 6;
  put16 (ip + 10, 0);
  put32 (ip + 12, dir ? s->saddr : s->caddr);
  put32 (ip + 16, dir ? s->caddr : s->saddr);
  for (i = 0; i < 20; i += 2)
    sum += (uint32_t) (ip[i] << 8 | ip[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  put16 (ip + 10, (uint16_t) ~sum);
  put16 (tcp, dir ? s->sport : s->cport);
  put16 (tcp + 2, dir ? s->cport : s->sport);
  put32 (tcp + 4, seq);
  put32 (tcp + 8, ack);
  tcp[12] = 0x50;
  tcp[13] = (unsigned char) flags;
  put16 (tcp + 14, 65535);
  put32 (tcp + 16, 0);
  if (len > 0)
    memcpy (tcp + 20, data, len);
  fwrite (frame, 1, 16 + caplen, out);
  written += 16 + caplen;
  packets++;
}

/* What the receiver of direction `dir` may acknowledge: not past a held segment. */
static uint32_t
ack_for (Session *s, int dir)
{
  uint32_t a = s->seq[dir];
  int i;

  for (i = 0; i < n_pending; i++)
    if (pending[i].s == s && pending[i].dir == dir && pending[i].in_capture
        && (int32_t) (pending[i].seq - a) < 0)
      a = pending[i].seq;
  if (have_swap && swap_slot.s == s && swap_slot.dir == dir && (int32_t) (swap_slot.seq - a) < 0)
    a = swap_slot.seq;
  return a;
}

static void
flush_due (int all)
{
  int i = 0;

  while (i < n_pending)
    if (all || pending[i].due <= packets)
      {
        Pending p = pending[i];

        pending[i] = pending[--n_pending];
        write_packet (p.s, p.dir, p.seq, ack_for (p.s, !p.dir), p.flags, p.data, p.len);
      }
    else
      i++;
}

static void
send_seg (Session *s, int dir, int flags, const char *data, size_t len)
{
  uint32_t seq = s->seq[dir];

  s->seq[dir] += (uint32_t) len + ((flags & 0x03) ? 1 : 0);
  payload_bytes += len;
  if (len > 0 && chance (20))
    {
      dropped_bytes += len;
      return;   /* never captured: a gap */
    }
  if (len > 0 && n_pending < MAX_PENDING && chance (300))
    {
      Pending *p = &pending[n_pending++];

      p->s = s; p->dir = dir; p->seq = seq; p->len = len; p->data = data;
      p->flags = flags; p->due = packets + 3 + rnd () % 28; p->in_capture = 1;
      return;
    }
  if (have_swap)
    {
      /* The previous packet was held for one: now it goes after this one. */
      write_packet (s, dir, seq, ack_for (s, !dir), flags, data, len);
      write_packet (swap_slot.s, swap_slot.dir, swap_slot.seq, ack_for (swap_slot.s, !swap_slot.dir),
                    swap_slot.flags, swap_slot.data, swap_slot.len);
      have_swap = 0;
      return;
    }
  if (len > 0 && chance (500))
    {
      swap_slot = (Pending) { s, dir, seq, len, data, flags, 0, 1 };
      have_swap = 1;
      return;
    }
  write_packet (s, dir, seq, ack_for (s, !dir), flags, data, len);
  if (len > 0 && chance (200))
    write_packet (s, dir, seq, ack_for (s, !dir), flags, data, len);
}

static char *
message (size_t *len, int n)
{
  static const char *words[] = { "mail", "relay", "queue", "header", "body", "exam",
                                 "protocol", "server", "client", "envelope", "octet" };
  size_t size = 1000 + rnd () % 48000;
  char *m = malloc (size + 2048);
  size_t p = 0;

  p += (size_t) sprintf (m + p,
    "Received: from client.example.test (client.example.test [10.1.0.1])\r\n"
    "\tby mx.example.test with ESMTP id %08X; Sat, 28 Nov 2026 06:00:%02d +0000\r\n"
    "From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n"
    "Subject: Benchmark message %d\r\nDate: Sat, 28 Nov 2026 06:00:00 +0000\r\n"
    "Message-ID: <%08X.%d@example.test>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n\r\n", rnd (), n % 60, n, rnd (), n);
  while (p < size)
    {
      int w = 0;

      while (w < 12)
        {
          p += (size_t) sprintf (m + p, "%s%s", w ? " " : "", words[rnd () % 11]);
          w++;
        }
      m[p++] = '\r';
      m[p++] = '\n';
    }
  m[p] = '\0';
  *len = p;
  return m;
}

static void
add (Session *s, int from_client, char *data, size_t len)
{
  s->turns = realloc (s->turns, sizeof (Turn) * (size_t) (s->n_turns + 1));
  s->turns[s->n_turns++] = (Turn) { from_client, data, len };
}

static void
addf (Session *s, int from_client, const char *text)
{
  add (s, from_client, strdup (text), strlen (text));
}

static void
new_session (Session *s, int n)
{
  size_t mlen;
  char *m;
  char buf[256];
  int k, msgs = 1 + (int) (rnd () % 3);

  memset (s, 0, sizeof *s);
  s->proto = (int) (rnd () % 3);
  s->caddr = 0x0a010000u | (uint32_t) (n % 60000 + 1);
  s->saddr = 0xc0000200u | (uint32_t) (n % 3 + 10);
  s->cport = (uint16_t) (1024 + (n / 60000) % 60000);
  s->sport = s->proto == SMTP ? 25 : s->proto == POP3 ? 110 : 143;
  s->seq[0] = rnd ();
  s->seq[1] = rnd ();
  switch (s->proto)
    {
    case SMTP:
      addf (s, 0, "220 mx.example.test ESMTP ready\r\n");
      addf (s, 1, "EHLO client.example.test\r\n");
      addf (s, 0, "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250 8BITMIME\r\n");
      for (k = 0; k < msgs; k++)
        {
          addf (s, 1, "MAIL FROM:<alice@example.test>\r\n");
          addf (s, 0, "250 2.1.0 Ok\r\n");
          addf (s, 1, "RCPT TO:<bob@example.test>\r\n");
          addf (s, 0, "250 2.1.5 Ok\r\n");
          addf (s, 1, "DATA\r\n");
          addf (s, 0, "354 End data with <CR><LF>.<CR><LF>\r\n");
          m = message (&mlen, n);
          memcpy (m + mlen, ".\r\n", 4);
          add (s, 1, m, mlen + 3);
          snprintf (buf, sizeof buf, "250 2.0.0 Ok: queued as %08X\r\n", rnd ());
          addf (s, 0, buf);
        }
      addf (s, 1, "QUIT\r\n");
      addf (s, 0, "221 2.0.0 Bye\r\n");
      break;
    case POP3:
      addf (s, 0, "+OK POP3 server ready\r\n");
      addf (s, 1, "USER bob\r\n");
      addf (s, 0, "+OK\r\n");
      addf (s, 1, "PASS secret\r\n");
      addf (s, 0, "+OK maildrop locked and ready\r\n");
      addf (s, 1, "STAT\r\n");
      snprintf (buf, sizeof buf, "+OK %d 120000\r\n", msgs);
      addf (s, 0, buf);
      for (k = 0; k < msgs; k++)
        {
          snprintf (buf, sizeof buf, "RETR %d\r\n", k + 1);
          addf (s, 1, buf);
          m = message (&mlen, n);
          {
            char *r = malloc (mlen + 64);
            int h = sprintf (r, "+OK %zu octets\r\n", mlen);

            memcpy (r + h, m, mlen);
            memcpy (r + h + mlen, ".\r\n", 3);
            add (s, 0, r, (size_t) h + mlen + 3);
            free (m);
          }
        }
      addf (s, 1, "QUIT\r\n");
      addf (s, 0, "+OK bye\r\n");
      break;
    default:
      addf (s, 0, "* OK [CAPABILITY IMAP4rev1] ready\r\n");
      addf (s, 1, "a1 LOGIN bob secret\r\n");
      addf (s, 0, "a1 OK LOGIN completed\r\n");
      addf (s, 1, "a2 SELECT INBOX\r\n");
      snprintf (buf, sizeof buf, "* %d EXISTS\r\n* 0 RECENT\r\na2 OK [READ-WRITE] SELECT completed\r\n", msgs);
      addf (s, 0, buf);
      for (k = 0; k < msgs; k++)
        {
          snprintf (buf, sizeof buf, "a%d FETCH %d BODY[]\r\n", k + 3, k + 1);
          addf (s, 1, buf);
          m = message (&mlen, n);
          {
            char *r = malloc (mlen + 128);
            int h = sprintf (r, "* %d FETCH (BODY[] {%zu}\r\n", k + 1, mlen);
            int t;

            memcpy (r + h, m, mlen);
            t = sprintf (r + h + mlen, ")\r\na%d OK FETCH completed\r\n", k + 3);
            add (s, 0, r, (size_t) h + mlen + (size_t) t);
            free (m);
          }
        }
      addf (s, 1, "a9 LOGOUT\r\n");
      addf (s, 0, "* BYE logging out\r\na9 OK LOGOUT completed\r\n");
    }
}

static void
free_session (Session *s)
{
  int i;

  for (i = 0; i < s->n_turns; i++)
    free (s->turns[i].data);
  free (s->turns);
}

/* One step of a session: a handshake packet, a data segment (plus an ACK now and
 * then), or a closing packet. Returns 0 once the session is over. */
static int
step (Session *s)
{
  Turn *t;
  size_t n;
  int dir;

  if (s->phase == 0)
    {
      write_packet (s, 0, s->seq[0]++, 0, 0x02, NULL, 0);
      write_packet (s, 1, s->seq[1]++, s->seq[0], 0x12, NULL, 0);
      write_packet (s, 0, s->seq[0], s->seq[1], 0x10, NULL, 0);
      s->phase = 1;
      return 1;
    }
  if (s->phase == 1)
    {
      t = &s->turns[s->turn];
      dir = t->from_client ? 0 : 1;
      n = t->len - s->off < MSS ? t->len - s->off : MSS;
      send_seg (s, dir, 0x18, t->data + s->off, n);
      s->off += n;
      if (s->off % (2 * MSS) == 0 || s->off == t->len)
        write_packet (s, !dir, s->seq[!dir], ack_for (s, dir), 0x10, NULL, 0);
      if (s->off == t->len)
        {
          s->turn++;
          s->off = 0;
          if (s->turn == s->n_turns)
            s->phase = 2;
        }
      return 1;
    }
  /* Close: the server's FIN, the client's FIN, the last ACK. Anything held back
   * goes out first (the retransmission before the close). */
  flush_due (1);
  if (have_swap)
    {
      write_packet (swap_slot.s, swap_slot.dir, swap_slot.seq,
                    ack_for (swap_slot.s, !swap_slot.dir), swap_slot.flags, swap_slot.data,
                    swap_slot.len);
      have_swap = 0;
    }
  write_packet (s, 1, s->seq[1], s->seq[0], 0x11, NULL, 0);
  s->seq[1]++;
  write_packet (s, 0, s->seq[0], s->seq[1], 0x11, NULL, 0);
  s->seq[0]++;
  write_packet (s, 1, s->seq[1], s->seq[0], 0x10, NULL, 0);
  return 0;
}

int
main (int argc, char **argv)
{
  long megabytes = 300;
  int concurrent = 200, opt, i, next = 0;
  Session *active;
  static const unsigned char header[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                            0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0 };
  static char buf[1 << 20];
  long sessions = 0;

  while ((opt = getopt (argc, argv, "s:c:r:")) != -1)
    switch (opt)
      {
      case 's': megabytes = atol (optarg); break;
      case 'c': concurrent = atoi (optarg); break;
      case 'r': rng = strtoull (optarg, NULL, 10) | 1; break;
      default:
        fprintf (stderr, "usage: gen-mail-pcap [-s MEGABYTES] [-c CONCURRENT] [-r SEED] OUT.pcap\n");
        return 2;
      }
  if (optind + 1 != argc || concurrent < 1)
    {
      fprintf (stderr, "usage: gen-mail-pcap [-s MEGABYTES] [-c CONCURRENT] [-r SEED] OUT.pcap\n");
      return 2;
    }
  out = fopen (argv[optind], "wb");
  if (out == NULL)
    {
      perror (argv[optind]);
      return 1;
    }
  setvbuf (out, buf, _IOFBF, sizeof buf);
  fwrite (header, 1, sizeof header, out);
  target = (unsigned long long) megabytes * 1000000ull;
  active = calloc ((size_t) concurrent, sizeof (Session));
  for (i = 0; i < concurrent; i++)
    new_session (&active[i], next++);

  while (written < target)
    {
      i = (int) (rnd () % (uint32_t) concurrent);
      flush_due (0);
      if (!step (&active[i]))
        {
          free_session (&active[i]);
          sessions++;
          new_session (&active[i], next++);
        }
    }
  /* Let every open session finish, so the file ends cleanly. */
  for (i = 0; i < concurrent; i++)
    {
      while (step (&active[i]))
        flush_due (0);
      free_session (&active[i]);
      sessions++;
    }
  flush_due (1);
  if (have_swap)
    write_packet (swap_slot.s, swap_slot.dir, swap_slot.seq, ack_for (swap_slot.s, !swap_slot.dir),
                  swap_slot.flags, swap_slot.data, swap_slot.len);
  fclose (out);
  fprintf (stderr, "gen-mail-pcap: %s: %llu bytes, %ld packets, %ld sessions, "
           "%llu payload bytes of which %llu never captured\n", argv[optind],
           written + 24, packets, sessions, payload_bytes, dropped_bytes);
  free (active);
  return 0;
}
