/* ms-test-serve.h: one engine per connection on a real localhost socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The interop tests (poplib, imaplib) start a small program that prints the port it
 * listens on, then serves until its stdin closes; this is that program's loop.
 */
#pragma once

#include "ms-engine.h"

typedef MsEngine *(*MsTestEngineFactory) (gpointer user_data);

/* Listens on an ephemeral loopback port, prints it on stdout, and for each connection
 * creates an engine with @factory and bridges socket and engine until stdin closes. */
int ms_test_serve (MsTestEngineFactory factory,
                   gpointer            user_data);
