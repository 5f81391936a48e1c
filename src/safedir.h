/* Directory trust: whether no other local user can have made, swapped or filled a directory. */
#ifndef CRONGUARD_SAFEDIR_H
#define CRONGUARD_SAFEDIR_H

#include <stddef.h>
#include <sys/types.h>

/* What a directory is trusted with, which decides the rules it must meet. */
enum safedir_use {
	/* State, spool, textfile: owned by us or root, writable by no one else, sticky or not
	 * (in a sticky one others could still plant the files we read and write). */
	SAFEDIR_DATA,
	/* A lock directory: ours alone. Read or search bits for others are removed (0700), so
	 * no other user can open a lock file in it; writable by others is refused. */
	SAFEDIR_PRIVATE,
	/* Holds one entry whose owner the caller checks itself (an explicit --lock-file's
	 * directory, a component of a path walked): owned by us or root; writable by group
	 * or others only when sticky. */
	SAFEDIR_PARENT,
	/* A textfile dir: as SAFEDIR_DATA itself, but a safedir_walk lets the directories above
	 * it belong to another user who alone can write them (Debian's /var/lib/prometheus is
	 * the collector's): cronguard never makes this directory and writes through the
	 * descriptor it checked, so that owner can only make the sink fail. */
	SAFEDIR_COLLECTED,
	/* State read by --status and lint: any owner (a monitoring user reads root's), but
	 * writable by nobody but its owner, sticky or not, so its files are the owner's. */
	SAFEDIR_READ,
};

/* safedir_check decides on the open directory FD, so the answer holds for the directory
 * then used through FD, whatever happens to its path. WHAT and PATH name it in the message
 * ("state dir", "/var/lib/cronguard"). Returns 0, or -1 with errno (ENOTDIR, EPERM) and one
 * line in ERR that says what is wrong and what to remove or change. */
int safedir_check(int fd, const char *what, const char *path, enum safedir_use use, char *err,
		  size_t errlen);

/* safedir_open opens the directory PATH (O_CLOEXEC), never following a symlink as its last
 * component, and checks it for USE. Returns the descriptor, or -1 with errno (ENOENT when
 * it does not exist) and ERR. */
int safedir_open(const char *path, const char *what, enum safedir_use use, char *err,
		 size_t errlen);

/* safedir_walk opens the absolute PATH one component at a time from "/", so every
 * directory on the way is one we checked: each must be owned by us or root and, when group
 * or others can write it, be sticky and hold a next component that is ours. Symlinks above
 * the last component are resolved first, where safedir_resolve trusts them (a /var/lib of
 * root's pointing elsewhere); then the walk follows none, and the last is never followed.
 * Missing components are created with MODE (0: none are, ENOENT). The last one is checked
 * for USE. Returns the descriptor, or -1 with errno and ERR. */
int safedir_walk(const char *path, const char *what, enum safedir_use use, mode_t mode,
		 char *err, size_t errlen);

/* safedir_walk_dir_of is safedir_walk of the directory that holds PATH's last component,
 * with the symlinks of that whole directory resolved (as safedir_resolve), checked as
 * SAFEDIR_PARENT: where the file PATH is to be opened, without a copy of the path on the
 * caller's stack. WHAT names the directory in the messages. */
int safedir_walk_dir_of(const char *path, const char *what, char *err, size_t errlen);

/* safedir_resolve writes to OUT the absolute PATH with its symlinks resolved, following one
 * only when it is owned by root or us and sits in a directory no other user can write (as
 * /var/lock in /var), so whoever may change where it points is us or root. Missing parts are
 * kept as they are, for safedir_walk to judge. OUT must not overlap PATH; on an error it
 * holds nothing of use. Returns 0, or -1 with errno (EPERM for a symlink not followed) and
 * one line in ERR. */
int safedir_resolve(const char *path, char *out, size_t outlen, char *err, size_t errlen);

/* safedir_resolve_n is safedir_resolve of PATH[0..PLEN), a prefix of a longer string (the
 * directory of a file's path), without a copy of it. */
int safedir_resolve_n(const char *path, size_t plen, char *out, size_t outlen, char *err,
		      size_t errlen);

#endif
