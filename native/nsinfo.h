#ifndef NSBOX_NSINFO_H
#define NSBOX_NSINFO_H

/* nsinfo mode: parent and owner namespaces of namespace files, for lsns (docs/PROTOCOL.md §6). */
#define NSINFO_VERSION_TAG "NSBOX1-NSINFO"

int nsinfo_main(int argc, char **argv);

#endif
