/* ms-network.c: the virtual network: subnets, nodes, routes and the packet log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Routing: the destination subnet is the one with the longest prefix that holds the
 * destination address; the path to it is the shortest chain of routers (breadth-first
 * over subnets, in the order things were added, so it is deterministic). In the usual
 * tree of a scenario (home pool → ISP → internet ← DMZ ← LAN) that is exactly what
 * default routes toward "internet" give. Paths are cached until the topology changes.
 */
#define G_LOG_DOMAIN "ms-network"

#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "ms-net-private.h"

typedef struct
{
  MsNetwork      *network;
  MsPacket        packet;
  MsNode         *destination;
  MsDeliverFunc   deliver;
  gpointer        user_data;
  GDestroyNotify  destroy;
} Delivery;

struct _MsNetwork
{
  GObject      parent_instance;

  guint32      seed;
  GRand       *rand;
  MsScheduler *scheduler;
  MsTrace     *trace;
  GPtrArray   *subnets;       /* of MsSubnet*, owned */
  GPtrArray   *nodes;         /* of MsNode*, owned */
  GHashTable  *routes;        /* guint64 key -> MsRoute* */
  GArray      *packets;       /* of MsPacket */
  gboolean     record_packets;
  char        *pending_comment;
  guint        mss;
  guint64      connect_timeout_us;
  guint64      dns_timeout_us;
  guint64      tls_delay_us;
  GHashTable  *connections;   /* live connection -> its abandon function */
};

G_DEFINE_FINAL_TYPE (MsNetwork, ms_network, G_TYPE_OBJECT)
G_DEFINE_QUARK (ms-network-error-quark, ms_network_error)

/* Addresses */

gboolean
_ms_net_addr_parse (const char *text,
                    MsNetAddr  *addr)
{
  memset (addr, 0, sizeof *addr);
  if (text == NULL)
    return FALSE;
  if (inet_pton (AF_INET, text, addr->bytes) == 1)
    {
      addr->family = 4;
      return TRUE;
    }
  if (inet_pton (AF_INET6, text, addr->bytes) == 1)
    {
      addr->family = 6;
      return TRUE;
    }
  return FALSE;
}

void
_ms_net_addr_format (const MsNetAddr *addr,
                     char            *buf,
                     gsize            size)
{
  if (inet_ntop (addr->family == 6 ? AF_INET6 : AF_INET, addr->bytes, buf, size) == NULL)
    g_strlcpy (buf, "?", size);
}

char *
_ms_net_addr_to_string (const MsNetAddr *addr)
{
  char buf[INET6_ADDRSTRLEN];

  _ms_net_addr_format (addr, buf, sizeof buf);
  return g_strdup (buf);
}

gboolean
_ms_net_addr_equal (const MsNetAddr *a,
                    const MsNetAddr *b)
{
  return a->family == b->family
         && memcmp (a->bytes, b->bytes, a->family == 6 ? 16 : 4) == 0;
}

gboolean
_ms_net_cidr_parse (const char  *text,
                    MsNetCidr   *cidr,
                    GError     **error)
{
  g_autofree char *addr_text = NULL;
  const char *slash;
  guint max_len;

  if (text == NULL)
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS, "No CIDR given");
      return FALSE;
    }
  slash = strchr (text, '/');
  addr_text = slash != NULL ? g_strndup (text, slash - text) : g_strdup (text);
  if (!_ms_net_addr_parse (addr_text, &cidr->addr))
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS,
                   "“%s” is not an IPv4 or IPv6 address or prefix", text);
      return FALSE;
    }
  max_len = cidr->addr.family == 6 ? 128 : 32;
  cidr->prefix_len = max_len;
  if (slash != NULL)
    {
      guint64 len;
      char *end = NULL;

      len = g_ascii_strtoull (slash + 1, &end, 10);
      if (slash[1] == '\0' || *end != '\0' || len > max_len)
        {
          g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS,
                       "“%s”: the prefix length must be 0..%u", text, max_len);
          return FALSE;
        }
      cidr->prefix_len = (guint) len;
    }
  return TRUE;
}

gboolean
_ms_net_cidr_contains (const MsNetCidr *cidr,
                       const MsNetAddr *addr)
{
  guint full = cidr->prefix_len / 8;
  guint rest = cidr->prefix_len % 8;

  if (cidr->addr.family != addr->family)
    return FALSE;
  if (memcmp (cidr->addr.bytes, addr->bytes, full) != 0)
    return FALSE;
  if (rest != 0)
    {
      guint8 mask = (guint8) (0xff << (8 - rest));

      if ((cidr->addr.bytes[full] & mask) != (addr->bytes[full] & mask))
        return FALSE;
    }
  return TRUE;
}

/* GObject */

static void
route_free (gpointer data)
{
  MsRoute *route = data;

  g_ptr_array_unref (route->routers);
  g_ptr_array_unref (route->subnets);
  g_free (route);
}

void
_ms_packet_clear (MsPacket *packet)
{
  g_clear_pointer (&packet->payload, g_bytes_unref);
  g_clear_pointer (&packet->comment, g_free);
  g_clear_pointer (&packet->dropped_by, g_free);
}

static gint64
frozen_clock (gpointer user_data)
{
  return *(const gint64 *) user_data;
}

/* The trace may outlive the network: it keeps the last virtual time, never a dangling
 * clock or the wall clock. */
static void
release_trace (MsNetwork *self)
{
  gint64 *final;

  if (self->trace == NULL)
    return;
  final = g_new (gint64, 1);
  *final = self->scheduler != NULL ? (gint64) ms_scheduler_get_now (self->scheduler) : 0;
  g_object_set_data_full (G_OBJECT (self->trace), "ms-network-final-time", final, g_free);
  ms_trace_set_clock (self->trace, frozen_clock, final);
  g_clear_object (&self->trace);
}

static void
ms_network_dispose (GObject *object)
{
  MsNetwork *self = MS_NETWORK (object);

  release_trace (self);

  /* Pending events hold pointers into the nodes: drop them first. */
  g_clear_object (&self->scheduler);
  if (self->connections != NULL)
    {
      GHashTableIter iter;
      gpointer conn, abandon;

      g_hash_table_iter_init (&iter, self->connections);
      while (g_hash_table_iter_next (&iter, &conn, &abandon))
        {
          g_hash_table_iter_remove (&iter);
          ((GDestroyNotify) abandon) (conn);
          g_hash_table_iter_init (&iter, self->connections);
        }
    }
  if (self->nodes != NULL)
    g_ptr_array_set_size (self->nodes, 0);

  G_OBJECT_CLASS (ms_network_parent_class)->dispose (object);
}

static void
ms_network_finalize (GObject *object)
{
  MsNetwork *self = MS_NETWORK (object);

  g_ptr_array_unref (self->nodes);
  g_ptr_array_unref (self->subnets);
  g_hash_table_unref (self->routes);
  g_hash_table_unref (self->connections);
  g_array_unref (self->packets);
  g_rand_free (self->rand);
  g_free (self->pending_comment);

  G_OBJECT_CLASS (ms_network_parent_class)->finalize (object);
}

static void
ms_network_class_init (MsNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_network_dispose;
  object_class->finalize = ms_network_finalize;
}

static void
ms_network_init (MsNetwork *self)
{
  self->scheduler = ms_scheduler_new ();
  self->subnets = g_ptr_array_new_with_free_func ((GDestroyNotify) _ms_subnet_free);
  self->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) _ms_node_free);
  self->routes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, route_free);
  self->packets = g_array_new (FALSE, FALSE, sizeof (MsPacket));
  g_array_set_clear_func (self->packets, (GDestroyNotify) _ms_packet_clear);
  self->record_packets = TRUE;
  self->connections = g_hash_table_new (NULL, NULL);
  self->mss = MS_SIM_TCP_DEFAULT_MSS;
  self->connect_timeout_us = MS_SIM_TCP_DEFAULT_CONNECT_TIMEOUT;
  self->dns_timeout_us = MS_DNS_DEFAULT_TIMEOUT;
  self->tls_delay_us = MS_NETWORK_DEFAULT_TLS_DELAY;
}

/**
 * ms_network_new:
 * @seed: drives TCP initial sequence numbers and DNS ids: same seed, same run
 *
 * Returns: (transfer full): an empty network at virtual time 0
 */
MsNetwork *
ms_network_new (guint32 seed)
{
  MsNetwork *self = g_object_new (MS_TYPE_NETWORK, NULL);

  self->seed = seed;
  self->rand = g_rand_new_with_seed (seed);
  return self;
}

guint32
ms_network_get_seed (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), 0);
  return self->seed;
}

MsScheduler *
ms_network_get_scheduler (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);
  return self->scheduler;
}

guint64
ms_network_get_now (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), 0);
  return ms_scheduler_get_now (self->scheduler);
}

gboolean
ms_network_run (MsNetwork  *self,
                GError    **error)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), FALSE);
  return ms_scheduler_run (self->scheduler, error);
}

static gint64
trace_clock (gpointer user_data)
{
  MsNetwork *self = user_data;

  return (gint64) ms_scheduler_get_now (self->scheduler);
}

void
ms_network_set_trace (MsNetwork *self,
                      MsTrace   *trace)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  g_return_if_fail (trace == NULL || MS_IS_TRACE (trace));

  if (trace == self->trace)
    return;
  release_trace (self);
  if (trace != NULL)
    {
      self->trace = g_object_ref (trace);
      ms_trace_set_clock (trace, trace_clock, self);
    }
}

MsTrace *
ms_network_get_trace (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);
  return self->trace;
}

gint64
ms_network_unix_clock (gpointer network)
{
  MsNetwork *self = network;

  g_return_val_if_fail (MS_IS_NETWORK (self), 0);
  return MS_NETWORK_EPOCH_UNIX_US + (gint64) ms_scheduler_get_now (self->scheduler);
}

/* Topology */

static void
invalidate_routes (MsNetwork *self)
{
  g_hash_table_remove_all (self->routes);
}

MsSubnet *
ms_network_add_subnet (MsNetwork   *self,
                       const char  *name,
                       const char  *cidr,
                       guint64      latency_us,
                       GError     **error)
{
  MsSubnet *subnet;

  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (ms_network_get_subnet (self, name) != NULL)
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_EXISTS,
                   "There is already a network named “%s”", name);
      return NULL;
    }
  subnet = _ms_subnet_new (self, self->subnets->len + 1, name, latency_us);
  if (cidr != NULL && !ms_subnet_add_cidr (subnet, cidr, error))
    {
      _ms_subnet_free (subnet);
      return NULL;
    }
  g_ptr_array_add (self->subnets, subnet);
  invalidate_routes (self);
  return subnet;
}

MsSubnet *
ms_network_get_subnet (MsNetwork  *self,
                       const char *name)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);

  for (guint i = 0; i < self->subnets->len; i++)
    {
      MsSubnet *subnet = g_ptr_array_index (self->subnets, i);

      if (g_strcmp0 (subnet->name, name) == 0)
        return subnet;
    }
  return NULL;
}

guint
ms_network_get_n_subnets (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), 0);
  return self->subnets->len;
}

MsNode *
ms_network_add_node (MsNetwork   *self,
                     const char  *name,
                     GError     **error)
{
  MsNode *node;

  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (ms_network_get_node (self, name) != NULL)
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_EXISTS,
                   "There is already a node named “%s”", name);
      return NULL;
    }
  node = _ms_node_new (self, self->nodes->len + 1, name);
  g_ptr_array_add (self->nodes, node);
  return node;
}

MsNode *
ms_network_get_node (MsNetwork  *self,
                     const char *name)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);

  for (guint i = 0; i < self->nodes->len; i++)
    {
      MsNode *node = g_ptr_array_index (self->nodes, i);

      if (g_strcmp0 (node->name, name) == 0)
        return node;
    }
  return NULL;
}

MsNode *
ms_network_find_node_by_address (MsNetwork  *self,
                                 const char *address)
{
  MsNetAddr addr;
  MsSubnet *subnet;

  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);

  if (!_ms_net_addr_parse (address, &addr))
    return NULL;
  subnet = _ms_network_subnet_for (self, &addr);
  return subnet != NULL ? _ms_subnet_find_node (subnet, &addr) : NULL;
}

guint
ms_network_get_n_nodes (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), 0);
  return self->nodes->len;
}

MsNode *
ms_network_get_nth_node (MsNetwork *self,
                         guint      index)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);
  g_return_val_if_fail (index < self->nodes->len, NULL);
  return g_ptr_array_index (self->nodes, index);
}

/* Called by nodes when their addresses or forwarding change. */
void
_ms_network_topology_changed (MsNetwork *self)
{
  invalidate_routes (self);
}

/* Routing */

MsSubnet *
_ms_network_subnet_for (MsNetwork       *self,
                        const MsNetAddr *addr)
{
  MsSubnet *best = NULL;
  guint best_len = 0;

  for (guint i = 0; i < self->subnets->len; i++)
    {
      MsSubnet *subnet = g_ptr_array_index (self->subnets, i);

      for (guint j = 0; j < subnet->prefixes->len; j++)
        {
          const MsNetCidr *cidr = &g_array_index (subnet->prefixes, MsNetCidr, j);

          if (_ms_net_cidr_contains (cidr, addr)
              && (best == NULL || cidr->prefix_len > best_len))
            {
              best = subnet;
              best_len = cidr->prefix_len;
            }
        }
    }
  return best;
}

static MsRoute *
compute_route (MsNetwork *self,
               MsNode    *from,
               MsSubnet  *target,
               guint      family)
{
  guint n = self->subnets->len + 1;
  g_autofree MsSubnet **parent_subnet = g_new0 (MsSubnet *, n);
  g_autofree MsNode **parent_router = g_new0 (MsNode *, n);
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  g_autoptr(GPtrArray) queue = g_ptr_array_new ();
  MsSubnet *found = NULL;
  MsRoute *route;

  /* Breadth-first from every subnet the sender has an address of this family on. */
  for (guint i = 0; i < from->addresses->len; i++)
    {
      MsNodeAddress *a = &g_array_index (from->addresses, MsNodeAddress, i);

      if (a->addr.family == family && !seen[a->subnet->id])
        {
          seen[a->subnet->id] = TRUE;
          g_ptr_array_add (queue, a->subnet);
        }
    }
  for (guint q = 0; q < queue->len && found == NULL; q++)
    {
      MsSubnet *s = g_ptr_array_index (queue, q);

      if (s == target)
        {
          found = s;
          break;
        }
      for (guint i = 0; i < s->nodes->len; i++)
        {
          MsNode *router = g_ptr_array_index (s->nodes, i);

          if (!router->forwarding || router == from)
            continue;
          for (guint j = 0; j < router->addresses->len; j++)
            {
              MsSubnet *next = g_array_index (router->addresses, MsNodeAddress, j).subnet;

              if (seen[next->id])
                continue;
              seen[next->id] = TRUE;
              parent_subnet[next->id] = s;
              parent_router[next->id] = router;
              g_ptr_array_add (queue, next);
            }
        }
    }
  if (found == NULL)
    return NULL;

  route = g_new0 (MsRoute, 1);
  route->routers = g_ptr_array_new ();
  route->subnets = g_ptr_array_new ();
  for (MsSubnet *s = found; s != NULL; s = parent_subnet[s->id])
    {
      g_ptr_array_insert (route->subnets, 0, s);
      route->latency_us += s->latency_us;
      if (parent_router[s->id] != NULL)
        g_ptr_array_insert (route->routers, 0, parent_router[s->id]);
    }
  route->first = g_ptr_array_index (route->subnets, 0);
  route->src_addr = _ms_node_find_address (from, route->first, family)->addr;
  return route;
}

const MsRoute *
_ms_network_route (MsNetwork        *self,
                   MsNode           *from,
                   const MsNetAddr  *dst,
                   MsNode          **destination,
                   GError          **error)
{
  MsSubnet *target = _ms_network_subnet_for (self, dst);
  MsRoute *route;
  guint64 key;

  if (destination != NULL)
    *destination = NULL;
  if (target == NULL)
    {
      char buf[INET6_ADDRSTRLEN];

      _ms_net_addr_format (dst, buf, sizeof buf);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                   "No network holds %s", buf);
      return NULL;
    }
  key = ((guint64) from->id << 33) | ((guint64) target->id << 1) | (dst->family == 6);
  route = g_hash_table_lookup (self->routes, &key);
  if (route == NULL)
    {
      route = compute_route (self, from, target, dst->family);
      if (route == NULL)
        {
          char buf[INET6_ADDRSTRLEN];

          _ms_net_addr_format (dst, buf, sizeof buf);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                       "No route from %s to %s (network “%s”)", from->name, buf,
                       target->name);
          return NULL;
        }
      g_hash_table_insert (self->routes, g_memdup2 (&key, sizeof key), route);
    }
  if (destination != NULL)
    *destination = _ms_subnet_find_node (target, dst);
  return route;
}

/* Transmission */

static void
run_delivery (MsScheduler *scheduler,
              gpointer     user_data)
{
  Delivery *d = user_data;

  d->deliver (d->network, &d->packet, d->destination, d->user_data);
}

static void
delivery_free (gpointer data)
{
  Delivery *d = data;

  _ms_packet_clear (&d->packet);
  if (d->destroy != NULL)
    d->destroy (d->user_data);
  g_free (d);
}

static void
log_packet (MsNetwork      *self,
            const MsPacket *packet)
{
  MsPacket copy;

  if (!self->record_packets)
    {
      g_clear_pointer (&self->pending_comment, g_free);
      return;
    }
  copy = *packet;
  copy.payload = packet->payload != NULL ? g_bytes_ref (packet->payload) : NULL;
  copy.comment = g_strdup (packet->comment);
  copy.dropped_by = g_strdup (packet->dropped_by);
  if (self->pending_comment != NULL)
    {
      if (copy.comment != NULL)
        {
          char *joined = g_strconcat (self->pending_comment, "\n", copy.comment, NULL);

          g_free (copy.comment);
          copy.comment = joined;
        }
      else
        copy.comment = g_steal_pointer (&self->pending_comment);
      g_clear_pointer (&self->pending_comment, g_free);
    }
  g_array_append_val (self->packets, copy);
}

static void
record_blocked (MsNetwork      *self,
                MsNode         *router,
                MsFilterRule   *rule,
                const MsPacket *packet)
{
  g_autofree char *src = ms_packet_dup_src_address (packet);
  g_autofree char *dst = ms_packet_dup_dst_address (packet);
  g_autofree char *src_ep = ms_format_endpoint (src, packet->src_port);
  g_autofree char *dst_ep = ms_format_endpoint (dst, packet->dst_port);
  g_autofree char *flags = ms_packet_dup_flags_string (packet);

  if (self->trace == NULL)
    return;
  ms_trace_add_event (self->trace, "blocked", router->name, packet->session,
                      "reason", rule->reason,
                      "rule", rule->name,
                      "protocol", packet->protocol == MS_IP_PROTO_TCP ? "tcp" : "udp",
                      "src", src_ep,
                      "dst", dst_ep,
                      "flags", packet->protocol == MS_IP_PROTO_TCP ? flags : NULL,
                      NULL);
}

gboolean
_ms_network_transmit (MsNetwork      *self,
                      MsPacket       *packet,
                      MsNode         *sender,
                      const MsRoute  *route,
                      MsNode         *destination,
                      MsDeliverFunc   deliver,
                      gpointer        user_data,
                      GDestroyNotify  destroy)
{
  Delivery *d;

  packet->t_us = ms_scheduler_get_now (self->scheduler);
  packet->src_node = sender->id;
  if (route->routers->len > 0)
    packet->next_hop_node = ((MsNode *) g_ptr_array_index (route->routers, 0))->id;
  else
    packet->next_hop_node = destination != NULL ? destination->id : 0;

  for (guint i = 0; i < route->routers->len; i++)
    {
      MsNode *router = g_ptr_array_index (route->routers, i);
      MsNetAddr src = { .family = packet->family }, dst = { .family = packet->family };
      MsFilterRule *rule;

      MsNetAddr public_addr;
      guint16 public_port;

      memcpy (src.bytes, packet->src_addr, 16);
      memcpy (dst.bytes, packet->dst_addr, 16);
      rule = _ms_router_check (router, packet, &src, &dst);
      if (rule == NULL
          && _ms_router_nat_lookup (router, packet->protocol, &src, packet->src_port,
                                    &public_addr, &public_port))
        {
          /* Source NAT: from here on the packet carries the router's address and port.
           * The log keeps it as seen on the outside link, the router as its sender. */
          memcpy (packet->src_addr, public_addr.bytes, 16);
          packet->src_port = public_port;
          packet->src_node = router->id;
          packet->next_hop_node = i + 1 < route->routers->len
                                  ? ((MsNode *) g_ptr_array_index (route->routers, i + 1))->id
                                  : destination != NULL ? destination->id : 0;
        }
      if (rule != NULL)
        {
          packet->dropped_by = g_strdup_printf ("%s: %s", router->name, rule->reason);
          log_packet (self, packet);
          record_blocked (self, router, rule, packet);
          _ms_packet_clear (packet);
          if (destroy != NULL)
            destroy (user_data);
          return FALSE;
        }
    }
  log_packet (self, packet);
  if (destination == NULL)
    {
      /* Nobody has that address: the packet goes nowhere. */
      _ms_packet_clear (packet);
      if (destroy != NULL)
        destroy (user_data);
      return TRUE;
    }
  d = g_new (Delivery, 1);
  d->network = self;
  d->packet = *packet;
  d->destination = destination;
  d->deliver = deliver;
  d->user_data = user_data;
  d->destroy = destroy;
  memset (packet, 0, sizeof *packet);
  ms_scheduler_schedule (self->scheduler, route->latency_us, "deliver", run_delivery, d,
                         delivery_free);
  return TRUE;
}

/* Packet log and settings */

void
ms_network_set_record_packets (MsNetwork *self,
                               gboolean   record)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  self->record_packets = record;
}

const MsPacket *
ms_network_get_packets (MsNetwork *self,
                        guint     *n_packets)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), NULL);

  if (n_packets != NULL)
    *n_packets = self->packets->len;
  return (const MsPacket *) (gconstpointer) self->packets->data;
}

void
ms_network_clear_packets (MsNetwork *self)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  g_array_set_size (self->packets, 0);
}

void
ms_network_add_packet_comment (MsNetwork  *self,
                               const char *comment)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  g_return_if_fail (comment != NULL);

  if (self->pending_comment != NULL)
    {
      char *joined = g_strconcat (self->pending_comment, "\n", comment, NULL);

      g_free (self->pending_comment);
      self->pending_comment = joined;
    }
  else
    self->pending_comment = g_strdup (comment);
}

void
ms_network_set_mss (MsNetwork *self,
                    guint      mss)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  g_return_if_fail (mss >= 64 && mss <= 65495);
  self->mss = mss;
}

guint
ms_network_get_mss (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), MS_SIM_TCP_DEFAULT_MSS);
  return self->mss;
}

void
ms_network_set_connect_timeout (MsNetwork *self,
                                guint64    timeout_us)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  self->connect_timeout_us = timeout_us;
}

void
ms_network_set_dns_timeout (MsNetwork *self,
                            guint64    timeout_us)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  self->dns_timeout_us = timeout_us;
}

void
ms_network_set_tls_delay (MsNetwork *self,
                          guint64    delay_us)
{
  g_return_if_fail (MS_IS_NETWORK (self));
  self->tls_delay_us = delay_us;
}

guint
ms_network_get_n_open_connections (MsNetwork *self)
{
  g_return_val_if_fail (MS_IS_NETWORK (self), 0);
  return g_hash_table_size (self->connections);
}

GRand *
_ms_network_get_rand (MsNetwork *self)
{
  return self->rand;
}

guint64
_ms_network_get_connect_timeout (MsNetwork *self)
{
  return self->connect_timeout_us;
}

guint64
_ms_network_get_dns_timeout (MsNetwork *self)
{
  return self->dns_timeout_us;
}

guint64
_ms_network_get_tls_delay (MsNetwork *self)
{
  return self->tls_delay_us;
}

void
_ms_network_connection_opened (MsNetwork      *self,
                               gpointer        connection,
                               GDestroyNotify  abandon)
{
  g_hash_table_insert (self->connections, connection, abandon);
}

void
_ms_network_connection_closed (MsNetwork *self,
                               gpointer   connection)
{
  g_hash_table_remove (self->connections, connection);
}
