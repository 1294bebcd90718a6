#ifndef NSBOX_PRIVILEGED_H
#define NSBOX_PRIVILEGED_H

/*
 * The helper is not designed to run with more privilege than its caller (SECURITY.md): if it
 * was started setuid, setgid or with file capabilities, it says so in one line and exits 1,
 * before it does anything else. Called first thing in main().
 */
void refuse_elevated(int argc, char **argv);

#endif
