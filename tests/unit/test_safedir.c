/* Unit tests of directory trust: owners, modes, sticky bits, symlinks, and the walk from "/". */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safedir.h"
#include "suites.h"

static char dir[64];
static char err[1024];

static void setup(void)
{
	strcpy(dir, "/tmp/cg-safedir-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	chmod(dir, 0700);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* safedir_check on DIR itself, opened here. */
static int check_dir(const char *path, enum safedir_use use)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, e;

	ck_assert_int_ge(fd, 0);
	err[0] = '\0';
	rc = safedir_check(fd, "test dir", path, use, err, sizeof err);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

START_TEST(own_private_directory_is_safe)
{
	ck_assert_int_eq(check_dir(dir, SAFEDIR_PRIVATE), 0);
	ck_assert_int_eq(check_dir(dir, SAFEDIR_DATA), 0);
	ck_assert_int_eq(check_dir(dir, SAFEDIR_PARENT), 0);
}
END_TEST

START_TEST(private_directory_others_can_enter_is_made_0700)
{
	chmod(dir, 0755);
	ck_assert_int_eq(check_dir(dir, SAFEDIR_PRIVATE), 0);
	ck_assert_uint_eq(mode_of(dir), 0700);
}
END_TEST

/* A loop over the modes others can write with: refused for every use but the sticky ones. */
static const struct {
	mode_t mode;
	int data, priv, parent;
} writable[] = {
	{ 0770, -1, -1, -1 }, { 0777, -1, -1, -1 }, { 0722, -1, -1, -1 },
	{ 01777, -1, -1, 0 }, { 01770, -1, -1, 0 },
};

START_TEST(writable_by_others)
{
	chmod(dir, writable[_i].mode);
	ck_assert_int_eq(check_dir(dir, SAFEDIR_DATA), writable[_i].data);
	if (writable[_i].data)
		ck_assert_ptr_nonnull(strstr(err, "writable by other users"));
	chmod(dir, writable[_i].mode);
	ck_assert_int_eq(check_dir(dir, SAFEDIR_PRIVATE), writable[_i].priv);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_nonnull(strstr(err, "rm -r"));
	ck_assert_int_eq(check_dir(dir, SAFEDIR_PARENT), writable[_i].parent);
}
END_TEST

START_TEST(another_users_directory)
{
	char sub[128];

	if (geteuid() != 0) {
		/* Without root no directory can be given away; "/" is root's, which is allowed. */
		ck_assert_int_eq(check_dir("/", SAFEDIR_DATA), 0);
		ck_assert_int_eq(check_dir("/", SAFEDIR_PRIVATE), -1);
		return;
	}
	snprintf(sub, sizeof sub, "%s/theirs", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(chown(sub, 65534, 65534), 0);
	ck_assert_int_eq(check_dir(sub, SAFEDIR_DATA), -1);
	ck_assert_ptr_nonnull(strstr(err, "owned by uid 65534"));
	ck_assert_int_eq(check_dir(sub, SAFEDIR_PRIVATE), -1);
	ck_assert_int_eq(check_dir(sub, SAFEDIR_PARENT), -1);
	/* Sticky and world-writable like /tmp, but someone else's: no place for our data. */
	ck_assert_int_eq(chown(sub, 0, 0), 0);
	ck_assert_int_eq(chmod(sub, 01777), 0);
	/* Even root's own (as /tmp): others could plant the files we would read and write. */
	ck_assert_int_eq(check_dir(sub, SAFEDIR_DATA), -1);
	ck_assert_ptr_nonnull(strstr(err, "sticky"));
}
END_TEST

START_TEST(not_a_directory_or_a_symlink)
{
	char file[128], link[128];
	int fd;

	snprintf(file, sizeof file, "%s/file", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(safedir_check(fd, "state dir", file, SAFEDIR_DATA, err, sizeof err), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	close(fd);
	ck_assert_int_eq(symlink(dir, link), 0);
	ck_assert_int_eq(safedir_open(link, "state dir", SAFEDIR_DATA, err, sizeof err), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_ptr_nonnull(strstr(err, "symlink"));
	fd = safedir_open(dir, "state dir", SAFEDIR_DATA, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	snprintf(file, sizeof file, "%s/missing", dir);
	ck_assert_int_eq(safedir_open(file, "state dir", SAFEDIR_DATA, err, sizeof err), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(walk_creates_what_is_missing)
{
	char path[160];
	int fd;

	snprintf(path, sizeof path, "%s/a/b//c/", dir);
	ck_assert_int_eq(safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0, err, sizeof err), -1);
	ck_assert_int_eq(errno, ENOENT);
	fd = safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err);
	ck_assert_msg(fd >= 0, "%s", err);
	close(fd);
	snprintf(path, sizeof path, "%s/a/b/c", dir);
	ck_assert_uint_eq(mode_of(path), 0700);
	/* Again, with everything there. */
	fd = safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(walk_refuses_what_others_could_change)
{
	char path[160], link[160];
	int fd;

	/* A component writable by others and not sticky: they could swap what follows. */
	snprintf(path, sizeof path, "%s/open", dir);
	ck_assert_int_eq(mkdir(path, 0777), 0);
	ck_assert_int_eq(chmod(path, 0777), 0);
	snprintf(path, sizeof path, "%s/open/x", dir);
	ck_assert_int_eq(safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_ptr_nonnull(strstr(err, "writable by other users"));
	/* A symlink on the way is followed only when nobody else can have made or changed it:
	 * ours (or root's) in a directory only we can write, as /var/lib might be. */
	snprintf(path, sizeof path, "%s/real", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(link, sizeof link, "%s/link", dir);
	ck_assert_int_eq(symlink(path, link), 0);
	snprintf(path, sizeof path, "%s/link/x", dir);
	fd = safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* The same symlink in a directory others can write, sticky or not: refused. */
	chmod(dir, 01777);
	ck_assert_int_eq(safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_msg(strstr(err, "is a symlink in a directory other users can write"), "%s", err);
	chmod(dir, 0700);
	/* Another user's: refused. */
	if (geteuid() == 0) {
		ck_assert_int_eq(lchown(link, 65534, 65534), 0);
		ck_assert_int_eq(safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err), -1);
		ck_assert_msg(strstr(err, "is a symlink of another user"), "%s", err);
	}
	/* The last component is never followed. */
	ck_assert_int_eq(safedir_walk(link, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "symlink"));
	/* ".." above the last component is resolved on the symlink-free path; as the last, refused. */
	snprintf(path, sizeof path, "%s/real/../real", dir);
	fd = safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof path, "%s/real/..", dir);
	ck_assert_int_eq(safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(safedir_walk("relative/x", "lock directory", SAFEDIR_PRIVATE, 0, err, sizeof err), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* Above a textfile dir, another user's directory that only it can write (the collector's
 * /var/lib/prometheus) is accepted; above a state dir it is not (it could rename it away). */
START_TEST(walk_below_a_collectors_directory)
{
	char path[160];
	int fd;

	if (geteuid() != 0)
		return;
	snprintf(path, sizeof path, "%s/prom", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/prom/ne", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/prom", dir);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	snprintf(path, sizeof path, "%s/prom/ne", dir);
	ck_assert_int_eq(safedir_walk(path, "state dir", SAFEDIR_DATA, 0, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "owned by uid 65534"));
	fd = safedir_walk(path, "textfile dir", SAFEDIR_COLLECTED, 0, err, sizeof err);
	ck_assert_msg(fd >= 0, "%s", err);
	close(fd);
	/* ... but not when others can write it too, nor for the directory itself. */
	snprintf(path, sizeof path, "%s/prom", dir);
	ck_assert_int_eq(chmod(path, 0777), 0);
	snprintf(path, sizeof path, "%s/prom/ne", dir);
	ck_assert_int_eq(safedir_walk(path, "textfile dir", SAFEDIR_COLLECTED, 0, err, sizeof err), -1);
	snprintf(path, sizeof path, "%s/prom", dir);
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(safedir_walk(path, "textfile dir", SAFEDIR_COLLECTED, 0, err, sizeof err), -1);
}
END_TEST

START_TEST(walk_through_a_sticky_directory)
{
	char shared[128], path[160];
	int fd;

	snprintf(shared, sizeof shared, "%s/shared", dir);
	ck_assert_int_eq(mkdir(shared, 0700), 0);
	ck_assert_int_eq(chmod(shared, 01777), 0);
	/* Ours, made by the walk: fine, as /tmp/cronguard-UID is. */
	snprintf(path, sizeof path, "%s/mine", shared);
	fd = safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err);
	ck_assert_msg(fd >= 0, "%s", err);
	close(fd);
	if (geteuid() != 0)
		return;
	/* Someone else made the name first. */
	snprintf(path, sizeof path, "%s/theirs", shared);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	snprintf(path, sizeof path, "%s/theirs/x", shared);
	ck_assert_int_eq(safedir_walk(path, "lock directory", SAFEDIR_PRIVATE, 0700, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "owned by uid 65534"));
	ck_assert_ptr_nonnull(strstr(err, "rm -r"));
}
END_TEST

/* The directory of a file's path (a --lock-file's): its symlinks are resolved where they
 * are trusted, the last one too (/var/lock -> /run/lock), and it is checked as a parent. */
START_TEST(walk_to_the_directory_of_a_file)
{
	char path[160], real[160], link[160];
	struct stat a, b;
	int fd;

	snprintf(real, sizeof real, "%s/real", dir);
	ck_assert_int_eq(mkdir(real, 0755), 0);
	snprintf(link, sizeof link, "%s/link", dir);
	ck_assert_int_eq(symlink(real, link), 0);
	snprintf(path, sizeof path, "%s/link/job.lock", dir);
	fd = safedir_walk_dir_of(path, "directory", err, sizeof err);
	ck_assert_msg(fd >= 0, "%s", err);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(stat(real, &b), 0);
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fd);
	/* A file in "/" itself. */
	fd = safedir_walk_dir_of("/job.lock", "directory", err, sizeof err);
	ck_assert_msg(fd >= 0, "%s", err);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(stat("/", &b), 0);
	ck_assert(a.st_ino == b.st_ino);
	close(fd);
	/* Writable by others and not sticky: refused, naming the directory as it was written. */
	ck_assert_int_eq(chmod(real, 0777), 0);
	ck_assert_int_eq(safedir_walk_dir_of(path, "directory", err, sizeof err), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_msg(strstr(err, "writable by other users"), "%s", err);
	ck_assert_int_eq(chmod(real, 0755), 0);
	/* A component on the way that others can change, and a missing one. */
	snprintf(path, sizeof path, "%s/open", dir);
	ck_assert_int_eq(mkdir(path, 0777), 0);
	ck_assert_int_eq(chmod(path, 0777), 0);
	snprintf(path, sizeof path, "%s/open/sub/job.lock", dir);
	ck_assert_int_eq(safedir_walk_dir_of(path, "directory", err, sizeof err), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_msg(strstr(err, "/open is writable by other users"), "%s", err);
	snprintf(path, sizeof path, "%s/none/job.lock", dir);
	ck_assert_int_eq(safedir_walk_dir_of(path, "directory", err, sizeof err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(safedir_walk_dir_of("job.lock", "directory", err, sizeof err), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

Suite *safedir_suite(void)
{
	Suite *s = suite_create("safedir");
	TCase *tc = tcase_create("check");
	TCase *walk = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, own_private_directory_is_safe);
	tcase_add_test(tc, private_directory_others_can_enter_is_made_0700);
	tcase_add_loop_test(tc, writable_by_others, 0, sizeof writable / sizeof *writable);
	tcase_add_test(tc, another_users_directory);
	tcase_add_test(tc, not_a_directory_or_a_symlink);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(walk, setup, teardown);
	tcase_add_test(walk, walk_creates_what_is_missing);
	tcase_add_test(walk, walk_refuses_what_others_could_change);
	tcase_add_test(walk, walk_through_a_sticky_directory);
	tcase_add_test(walk, walk_below_a_collectors_directory);
	tcase_add_test(walk, walk_to_the_directory_of_a_file);
	suite_add_tcase(s, walk);
	return s;
}
