/* ms-demo.h: a small built-in trace, produced by running the real engines in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-trace.h"

G_BEGIN_DECLS

/* Alice submits a message (587, STARTTLS, AUTH) to bob with dave in Bcc; a stranger tries
 * to relay through port 25 and is refused; bob fetches his mail with POP3. */
MsTrace *ms_demo_trace_new (void);

G_END_DECLS
