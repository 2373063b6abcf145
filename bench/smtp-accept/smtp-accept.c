/* smtp-accept.c: how many messages a second an SMTP server accepts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens K connections at once; on each, EHLO, then N transactions one after another
 * (MAIL, RCPT, DATA with a message of about SIZE bytes; no RSET between them, as
 * RFC 5321 §4.1.4 allows), then QUIT. Lock-step like a real client (no PIPELINING), all
 * connections driven by one epoll loop so the generator is never the bottleneck.
 * Prints one line of key=value figures; exits 1 when any transaction failed.
 *
 *   smtp-accept [-h HOST] -p PORT [-c CONNECTIONS] [-n MESSAGES] [-s SIZE]
 *               [-f FROM] [-r RCPT] [-t TIMEOUT_S]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define INBUF_SIZE 8192
#define MAX_EVENTS 256

typedef enum
{
  ST_GREETING,  /* waiting for 220 */
  ST_EHLO,      /* 250 */
  ST_MAIL,      /* 250 */
  ST_RCPT,      /* 250 */
  ST_DATA,      /* 354 */
  ST_BODY,      /* 250 after the final dot */
  ST_QUIT,      /* 221 */
  ST_DONE,
} State;

typedef struct
{
  int     fd;
  State   state;
  int     sent;          /* transactions finished with 250 */
  char    in[INBUF_SIZE];
  size_t  in_len;
  char   *out;           /* pending output */
  size_t  out_len;
  size_t  out_off;
  int     failed;
} Conn;

static const char *opt_host = "127.0.0.1";
static int opt_port = 0;
static int opt_conns = 16;
static int opt_msgs = 100;
static int opt_size = 2048;
static const char *opt_from = "alice@example.test";
static const char *opt_rcpt = "bob@example.test";
static int opt_timeout = 120;

static char *message;       /* DATA payload with the terminating ".\r\n" */
static size_t message_len;
static int epfd;
static long total_ok;
static long total_failed;
static int open_conns;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
build_message (void)
{
  size_t cap = opt_size + 1024;
  size_t len = 0;
  static const char line[] =
    "The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopq\r\n";

  message = malloc (cap);
  len += snprintf (message + len, cap - len,
                   "From: <%s>\r\nTo: <%s>\r\nSubject: smtp-accept benchmark\r\n"
                   "Message-ID: <bench@smtp-accept.invalid>\r\n"
                   "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n", opt_from, opt_rcpt);
  while (len + sizeof line - 1 < (size_t) opt_size)
    {
      memcpy (message + len, line, sizeof line - 1);
      len += sizeof line - 1;
    }
  memcpy (message + len, ".\r\n", 3);
  message_len = len + 3;
}

static void
queue (Conn *c, const char *data, size_t len)
{
  c->out = realloc (c->out, c->out_len - c->out_off + len);
  if (c->out_off > 0)
    {
      memmove (c->out, c->out + c->out_off, c->out_len - c->out_off);
      c->out_len -= c->out_off;
      c->out_off = 0;
    }
  memcpy (c->out + c->out_len, data, len);
  c->out_len += len;
}

static void
queuef (Conn *c, const char *fmt, const char *arg)
{
  char buf[512];
  int n = snprintf (buf, sizeof buf, fmt, arg);
  queue (c, buf, (size_t) n);
}

static void
close_conn (Conn *c)
{
  if (c->fd >= 0)
    {
      epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
      close (c->fd);
      c->fd = -1;
      open_conns--;
    }
  c->state = ST_DONE;
}

static void
start_transaction (Conn *c)
{
  queuef (c, "MAIL FROM:<%s>\r\n", opt_from);
  c->state = ST_MAIL;
}

/* One complete reply (its last line) arrived. */
static void
on_reply (Conn *c, int code)
{
  int want = c->state == ST_GREETING ? 220 : c->state == ST_DATA ? 354
           : c->state == ST_QUIT ? 221 : 250;

  if (code != want)
    {
      fprintf (stderr, "connection %d: expected %d, got %d in state %d\n", c->fd, want, code,
               c->state);
      c->failed = 1;
      total_failed += opt_msgs - c->sent;
      close_conn (c);
      return;
    }
  switch (c->state)
    {
    case ST_GREETING:
      queuef (c, "EHLO %s\r\n", "bench.smtp-accept.invalid");
      c->state = ST_EHLO;
      break;
    case ST_EHLO:
      start_transaction (c);
      break;
    case ST_MAIL:
      queuef (c, "RCPT TO:<%s>\r\n", opt_rcpt);
      c->state = ST_RCPT;
      break;
    case ST_RCPT:
      queue (c, "DATA\r\n", 6);
      c->state = ST_DATA;
      break;
    case ST_DATA:
      queue (c, message, message_len);
      c->state = ST_BODY;
      break;
    case ST_BODY:
      c->sent++;
      total_ok++;
      if (c->sent < opt_msgs)
        start_transaction (c);
      else
        {
          queue (c, "QUIT\r\n", 6);
          c->state = ST_QUIT;
        }
      break;
    case ST_QUIT:
      close_conn (c);
      break;
    case ST_DONE:
      break;
    }
}

static void
handle_input (Conn *c)
{
  for (;;)
    {
      ssize_t n = read (c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
      size_t start = 0;

      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n <= 0)
        {
          if (c->state != ST_DONE)
            {
              if (c->state != ST_QUIT)
                {
                  fprintf (stderr, "connection closed by the server in state %d\n", c->state);
                  c->failed = 1;
                  total_failed += opt_msgs - c->sent;
                }
              close_conn (c);
            }
          return;
        }
      c->in_len += (size_t) n;
      for (size_t i = 0; i < c->in_len && c->state != ST_DONE; i++)
        if (c->in[i] == '\n')
          {
            const char *l = c->in + start;
            size_t len = i - start;

            /* "250-..." continues a reply, "250 ..." (or a bare "250") ends it */
            if (len >= 3 && (len == 3 || l[3] == ' ' || l[3] == '\r'))
              on_reply (c, atoi (l));
            start = i + 1;
          }
      if (c->state == ST_DONE)
        return;
      memmove (c->in, c->in + start, c->in_len - start);
      c->in_len -= start;
      if (c->in_len == sizeof c->in)
        c->in_len = 0;  /* an absurd line: drop it */
    }
}

static void
flush_output (Conn *c)
{
  while (c->fd >= 0 && c->out_off < c->out_len)
    {
      ssize_t n = write (c->fd, c->out + c->out_off, c->out_len - c->out_off);

      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0)
        {
          c->failed = 1;
          total_failed += opt_msgs - c->sent;
          close_conn (c);
          return;
        }
      c->out_off += (size_t) n;
    }
  if (c->fd >= 0)
    {
      struct epoll_event ev = { .events = EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0),
                                .data.ptr = c };
      epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

static int
connect_one (const struct sockaddr_storage *addr, socklen_t addr_len)
{
  int fd = socket (addr->ss_family, SOCK_STREAM, 0);
  int one = 1;

  if (fd < 0)
    return -1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (const struct sockaddr *) addr, addr_len) != 0)
    {
      close (fd);
      return -1;
    }
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void
usage (void)
{
  fprintf (stderr, "usage: smtp-accept [-h HOST] -p PORT [-c CONNECTIONS] [-n MESSAGES] "
                   "[-s SIZE] [-f FROM] [-r RCPT] [-t TIMEOUT_S]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
  struct sockaddr_storage addr;
  socklen_t addr_len;
  char port_text[16];
  Conn *conns;
  double t0, t1, deadline;
  int opt;

  while ((opt = getopt (argc, argv, "h:p:c:n:s:f:r:t:")) != -1)
    switch (opt)
      {
      case 'h': opt_host = optarg; break;
      case 'p': opt_port = atoi (optarg); break;
      case 'c': opt_conns = atoi (optarg); break;
      case 'n': opt_msgs = atoi (optarg); break;
      case 's': opt_size = atoi (optarg); break;
      case 'f': opt_from = optarg; break;
      case 'r': opt_rcpt = optarg; break;
      case 't': opt_timeout = atoi (optarg); break;
      default: usage ();
      }
  if (opt_port <= 0 || opt_conns <= 0 || opt_msgs <= 0 || opt_size < 256)
    usage ();

  snprintf (port_text, sizeof port_text, "%d", opt_port);
  if (getaddrinfo (opt_host, port_text, &hints, &res) != 0 || res == NULL)
    {
      fprintf (stderr, "smtp-accept: cannot resolve %s\n", opt_host);
      return 2;
    }
  memcpy (&addr, res->ai_addr, res->ai_addrlen);
  addr_len = res->ai_addrlen;
  freeaddrinfo (res);

  build_message ();
  epfd = epoll_create1 (0);
  conns = calloc ((size_t) opt_conns, sizeof *conns);

  t0 = now_s ();
  for (int i = 0; i < opt_conns; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &conns[i] };

      conns[i].fd = connect_one (&addr, addr_len);
      if (conns[i].fd < 0)
        {
          fprintf (stderr, "smtp-accept: connect to %s:%d: %s\n", opt_host, opt_port,
                   strerror (errno));
          conns[i].state = ST_DONE;
          conns[i].failed = 1;
          total_failed += opt_msgs;
          continue;
        }
      open_conns++;
      conns[i].state = ST_GREETING;
      epoll_ctl (epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }

  deadline = t0 + opt_timeout;
  while (open_conns > 0)
    {
      struct epoll_event events[MAX_EVENTS];
      int n = epoll_wait (epfd, events, MAX_EVENTS, 1000);

      if (now_s () > deadline)
        {
          fprintf (stderr, "smtp-accept: timed out after %d s\n", opt_timeout);
          for (int i = 0; i < opt_conns; i++)
            if (conns[i].state != ST_DONE)
              {
                total_failed += opt_msgs - conns[i].sent;
                close_conn (&conns[i]);
              }
          break;
        }
      for (int i = 0; i < n; i++)
        {
          Conn *c = events[i].data.ptr;

          if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            handle_input (c);
          if (c->fd >= 0)
            flush_output (c);
        }
    }
  t1 = now_s ();

  printf ("connections=%d messages_per_connection=%d size=%zu ok=%ld failed=%ld "
          "seconds=%.3f msgs_per_s=%.1f\n",
          opt_conns, opt_msgs, message_len - 3, total_ok, total_failed, t1 - t0,
          total_ok / (t1 - t0));
  for (int i = 0; i < opt_conns; i++)
    free (conns[i].out);
  free (conns);
  free (message);
  return total_failed > 0 ? 1 : 0;
}
