#ifndef NSBOX_ENTER_H
#define NSBOX_ENTER_H

/* nsenter mode: join existing namespaces, then exec (docs/PROTOCOL.md §5). */
#define ENTER_VERSION_TAG "NSBOX1-ENTER"

int enter_main(int argc, char **argv);

#endif
