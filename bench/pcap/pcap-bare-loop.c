/* pcap-bare-loop.c: the floor for bench/pcap/run: libpcap reads every packet and
 * the loop only sums the captured lengths and one byte per packet.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <pcap/pcap.h>

int
main (int argc, char **argv)
{
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p;
  struct pcap_pkthdr *h;
  const u_char *bytes;
  unsigned long long packets = 0, total = 0, mix = 0;
  int rc;

  if (argc != 2)
    {
      fprintf (stderr, "usage: pcap-bare-loop FILE\n");
      return 2;
    }
  p = pcap_open_offline_with_tstamp_precision (argv[1], PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (p == NULL)
    {
      fprintf (stderr, "pcap-bare-loop: %s\n", errbuf);
      return 1;
    }
  while ((rc = pcap_next_ex (p, &h, &bytes)) == 1)
    {
      packets++;
      total += h->caplen;
      if (h->caplen > 0)
        mix += bytes[h->caplen - 1];
    }
  if (rc != PCAP_ERROR_BREAK)
    fprintf (stderr, "pcap-bare-loop: %s\n", pcap_geterr (p));
  printf ("packets=%llu bytes=%llu mix=%llu\n", packets, total, mix);
  pcap_close (p);
  return rc == PCAP_ERROR_BREAK ? 0 : 1;
}
