/* tapdns-ship: moves closed spool files from a sensor to the processing box.
 *   tapdns-ship send --dir SPOOLDIR --dest HOST:PORT [--done-dir DIR] [--interval 10s] [--once]
 *   tapdns-ship receive --listen ADDR:PORT --dir INCOMING
 * Protocol: ship/PROTOCOL.md. */
#include "ship.h"
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: tapdns-ship COMMAND [OPTIONS]\n\ncommands:\n"
                 "  send       ship closed spool files to a receiver (oldest first, resumable)\n"
                 "  receive    accept spool files into a directory (checksummed, durable, no duplicates)\n"
                 "\n'tapdns-ship COMMAND --help' describes each command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "send"))
        return ship_send_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "receive"))
        return ship_recv_main(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", SHIP_PROG, argv[1]);
    usage(stderr);
    return 2;
}
