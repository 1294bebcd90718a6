/*
 * User namespace steps: the namespace owner, the id maps (written by ourselves, by a child that
 * stayed outside, or by newuidmap/newgidmap), setgroups, the final setgid/setuid and
 * --keep-caps.
 */
#ifndef NSBOX_USERNS_H
#define NSBOX_USERNS_H

#include "helper.h"

/* Step 2: fork the map child when a map is written from outside (`write` or `tool`). */
void idmap_prepare(struct helper *h);
/* Step 3: `owner`, before unshare(2), so that the new user namespace belongs to that uid. */
void owner_apply(struct helper *h);
/* Step 5: let the map child write the maps now that the namespace exists; its failure is ours. */
void idmap_release(struct helper *h);
/* Step 11: `self` maps (with `deny` to setgroups before a gid map). */
void self_maps_apply(struct helper *h);
/* Step 12: an explicit `setgroups` value. */
void setgroups_apply(struct helper *h);
/* Step 18: `setgid` (after dropping supplementary groups), then `setuid`. */
/* setgroups(0)+setgid, then setuid, as the spec says; a failing setgroups is fatal only if `groups_must_drop`. */
void ids_apply(struct helper *h, bool groups_must_drop);
void setids_apply(struct helper *h);
/* Step 19: `keepcaps`: permitted capabilities become inheritable and ambient. */
void keepcaps_apply(struct helper *h);

#endif
