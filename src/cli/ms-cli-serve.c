/* ms-cli-serve.c: `mailsim serve`, the live lab (to be written) */
#include "config.h"
#include <stdio.h>
#include "ms-cli-private.h"

int
ms_cli_serve (int argc, char **argv)
{
  fprintf (stderr, "serve: not built yet\n");
  return MS_CLI_EXIT_BAD_INPUT;
}
