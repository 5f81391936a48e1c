/* Files: the one whole-file reader (every open of an existing file goes through its rules),
 * whole writes, atomic replaces, and the directories they live in. */
#ifndef CRONGUARD_FILEIO_H
#define CRONGUARD_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* fileio_read_at returns the whole of NAME (relative to DIRFD, or a path with AT_FDCWD),
 * NUL-terminated, in memory the caller frees, with its length in *LEN and, when ST is not
 * NULL, its fstat in *ST. The open is O_RDONLY|O_NONBLOCK|O_NOFOLLOW|O_CLOEXEC, then the
 * descriptor must be a regular file: another user's FIFO, device or symlink planted where
 * cronguard reads never blocks it or redirects it. NULL with errno: ENOENT; ELOOP a symlink;
 * EINVAL not a regular file; EFBIG more than MAX bytes; ENOMEM; or open's and read's own. */
char *fileio_read_at(int dirfd, const char *name, size_t max, size_t *len, struct stat *st);

/* fileio_open_at is that open and those checks alone: the descriptor (close-on-exec), with
 * its fstat in *ST, or -1 with errno as fileio_read_at. For a reader that streams the file
 * (fileio_read_lines) or must look at its owner before reading it. */
int fileio_open_at(int dirfd, const char *name, size_t max, struct stat *st);

/* fileio_read_lines reads FD to its end and hands it to FN in pieces of whole lines (the last
 * piece may end without a newline), through one 16 KiB buffer that grows only
 * for a longer line: a large file costs its copy, not fresh memory. More than MAX bytes in
 * all is EFBIG. Returns 0, FN's non-zero value (which stops the read), or -1 with errno. */
int fileio_read_lines(int fd, size_t max, int (*fn)(void *ctx, const char *piece, size_t n),
		      void *ctx);

/* fileio_read_fd is the same reader over FD, already open (and, say, locked) by the caller:
 * a regular file of at most MAX bytes, read from its current offset to its end. */
char *fileio_read_fd(int fd, size_t max, size_t *len);

/* fileio_read_small reads at most SIZE - 1 bytes of DIRFD/NAME into BUF, NUL-terminated, with
 * one read(2): for /proc's small files, which have no size to trust and must be read without
 * a malloc (the keeper is a forked child). Returns the length, or -1 with errno (0 bytes is
 * EIO: /proc's file was emptied by an exiting process). */
ssize_t fileio_read_small(int dirfd, const char *name, char *buf, size_t size);

/* fileio_read_path is fileio_read_at(AT_FDCWD, PATH, ...). fileio_read_input is the same,
 * except that "-" and /dev/stdin are standard input and /dev/fd/N is descriptor N, read to
 * its end as it comes, a pipe included (at most MAX bytes; ST untouched; EBADF when it is
 * not open). Only for data the user hands us (lint's crontab): never config or secrets. */
char *fileio_read_path(const char *path, size_t max, size_t *len, struct stat *st);
char *fileio_read_input(const char *path, size_t max, size_t *len, struct stat *st);

/* fileio_strerror words an errno from the reader for a message: "a symbolic link",
 * "not a regular file", "too large", else strerror. */
const char *fileio_strerror(int e);

/* fileio_read_secret returns the secret in PATH (read as fileio_read_path does): its content
 * without one trailing newline, in memory the caller wipes (explicit_bzero) and frees. A
 * secret goes into a header or a JSON body, so an empty one, one over 4096 bytes or one with
 * a control character (a CR, a second line) is refused. NULL with ERR saying why, never
 * quoting the secret. */
char *fileio_read_secret(const char *path, char *err, size_t errlen);

/* fileio_check_target tells whether NAME (relative to DIRFD) may be overwritten in place:
 * 0 when it is absent or a regular file with one link; -1 with errno EINVAL (not a regular
 * file: a FIFO, a symlink, a directory...) or EMLINK (hard-linked: writing it would change
 * the other name's file too). Writers that overwrite or truncate an existing file call it. */
int fileio_check_target(int dirfd, const char *name);

/* fileio_write_all writes all N bytes of BUF to FD, through short writes and EINTR.
 * Returns 0, or -1 with errno. */
int fileio_write_all(int fd, const void *buf, size_t n);

/* fileio_replace atomically replaces NAME (relative to DIRFD, or a path with AT_FDCWD) with
 * LEN bytes of TEXT: it creates ".NAME.PID" beside it afresh with MODE (O_EXCL, so a file
 * planted under that name is never written through), fdatasyncs it when DURABLE, and puts
 * it in NAME's place, so readers see the old file or the new one, never half of one.
 * Returns 0, or -1 with errno (the temporary file removed). */
int fileio_replace(int dirfd, const char *name, const void *text, size_t len, mode_t mode,
		   int durable);

/* fileio_swap replaces NAME like fileio_replace, but through SPARE, a second file it keeps
 * beside NAME: TEXT is written over SPARE in place (created with MODE the first time), then
 * the two names are exchanged, so SPARE is left holding NAME's previous content. No inode is
 * created or freed and no file is cut to zero, the two things that make ext4 flush at once.
 * A SPARE that is not a regular file with one link is refused (EINVAL, EMLINK), checked on
 * the open descriptor. The caller must be the only writer of NAME and SPARE (hold a lock).
 * Returns 0, or -1 with errno, NAME untouched. */
int fileio_swap(int dirfd, const char *name, const char *spare, const void *text, size_t len,
		mode_t mode);

/* fileio_mkdirs creates DIR and its missing parents with MODE. Returns 0 or -1 with errno. */
int fileio_mkdirs(const char *dir, mode_t mode);

#endif
