/* ms-capture-devices.c: the interfaces live capture can use (pcap_findalldevs)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <pcap/pcap.h>

#include "ms-capture-devices.h"
#include "ms-capture-reader.h"

void
ms_capture_device_free (MsCaptureDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->name);
  g_free (device->description);
  g_free (device);
}

GPtrArray *
ms_capture_list_devices (GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t *all = NULL;
  GPtrArray *devices;

  if (pcap_findalldevs (&all, errbuf) != 0)
    {
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_FAILED,
                   "cannot list the interfaces: %s", errbuf);
      return NULL;
    }
  devices = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_capture_device_free);
  for (pcap_if_t *d = all; d != NULL; d = d->next)
    {
      MsCaptureDevice *device = g_new0 (MsCaptureDevice, 1);

      device->name = g_strdup (d->name);
      device->description = g_strdup (d->description);
      device->loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
      device->up = (d->flags & PCAP_IF_UP) != 0;
      g_ptr_array_add (devices, device);
    }
  pcap_freealldevs (all);
  return devices;
}
