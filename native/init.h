/*
 * `init=1` (docs/PROTOCOL.md §1, §2 step 20a): with `fork` and a new pid namespace, the forked
 * child (pid 1 inside) stays as a minimal init, as bubblewrap's reaper: it forks the program
 * (pid 2), forwards catchable signals to it, reaps every process reparented to it, and ends
 * when the program ends, handing the program's wait status to the helper parent (pid 1 cannot
 * die of its own signal from inside its namespace, so the parent mirrors it).
 */
#ifndef NSBOX_INIT_H
#define NSBOX_INIT_H

#include "helper.h"
#include "util.h"

/* Before the fork: the status pipe, and SO_PASSCRED on the parent's end of `chan`. */
void init_prepare(struct helper *h, int parent_chan_end);

/* After the fork, in both processes: each keeps its end of the status pipe. */
void init_after_fork(struct helper *h, bool in_child);

/*
 * In pid 1, after every setup step: forks the program. Returns in the program's process
 * (pid 2) only, which then execs; pid 1 never returns.
 */
void init_become(struct helper *h);

/*
 * Forking parent: waits for the program's first message on `chan`. Returns the program's
 * host pid (0 if pid 1 failed before forking it); bytes read past the marker go to `rest`.
 */
pid_t init_program_pid(struct helper *h, int chan, struct buf *rest);

/* Forking parent, pid 1 reaped: the program's wait status if pid 1 sent it, else `status`. */
int init_program_status(struct helper *h, int status);

#endif
