/* Small file helpers shared by the modules that write files: whole writes, atomic replaces. */
#ifndef CRONGUARD_FILEIO_H
#define CRONGUARD_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* fileio_write_all writes all N bytes of BUF to FD, through short writes and EINTR.
 * Returns 0, or -1 with errno. */
int fileio_write_all(int fd, const void *buf, size_t n);

/* fileio_replace atomically replaces NAME (relative to DIRFD, or a path with AT_FDCWD) with
 * LEN bytes of TEXT: it writes ".NAME.PID" beside it with MODE (never following a symlink),
 * fdatasyncs it when DURABLE, and puts it in NAME's place, so readers see the old file or the
 * new one, never half of one. Returns 0, or -1 with errno (the temporary file removed). */
int fileio_replace(int dirfd, const char *name, const void *text, size_t len, mode_t mode,
		   int durable);

/* fileio_swap replaces NAME like fileio_replace, but through SPARE, a second file it keeps
 * beside NAME: TEXT is written over SPARE in place (created with MODE the first time), then
 * the two names are exchanged, so SPARE is left holding NAME's previous content. No inode is
 * created or freed and no file is cut to zero, the two things that make ext4 flush at once.
 * The caller must be the only writer of NAME and SPARE (hold a lock). Returns 0, or -1 with
 * errno, NAME untouched. */
int fileio_swap(int dirfd, const char *name, const char *spare, const void *text, size_t len,
		mode_t mode);

/* fileio_read returns the whole of the regular file PATH, NUL-terminated, in memory the
 * caller frees, with its length in *LEN; with NOFOLLOW a symlink is refused (ELOOP).
 * NULL with errno: ENOENT, EINVAL not a regular file, EFBIG past MAX bytes, ENOMEM... */
char *fileio_read(const char *path, size_t max, int nofollow, size_t *len);

/* fileio_read_secret returns the secret in PATH: its content without one trailing newline,
 * in memory the caller wipes (explicit_bzero) and frees. A secret goes into a header or a
 * JSON body, so an empty one, one over 4096 bytes or one with a control character (a CR, a
 * second line) is refused. NULL with ERR saying why, never quoting the secret. */
char *fileio_read_secret(const char *path, char *err, size_t errlen);

#endif
