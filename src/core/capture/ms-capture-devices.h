/* ms-capture-devices.h: the interfaces live capture can use (pcap_findalldevs)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char     *name;         /* "lo", "eth0" */
  char     *description;  /* libpcap's description, or NULL */
  gboolean  loopback;
  gboolean  up;
} MsCaptureDevice;

void       ms_capture_device_free        (MsCaptureDevice *device);
/* Of MsCaptureDevice*, in libpcap's order (up and running interfaces first); NULL with
 * MS_CAPTURE_ERROR_FAILED when libpcap cannot list them. */
GPtrArray *ms_capture_list_devices       (GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsCaptureDevice, ms_capture_device_free)

G_END_DECLS
