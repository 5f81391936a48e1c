/* Shared libraries loaded on first use: the program is not linked against libjansson and
 * libmnl, so a run that needs neither (the usual local run: lock, state file, syslog) loads
 * only libc. jansson.c and mnl.c define the functions of those libraries that cronguard
 * calls, each resolving the real one on its first call. They are linked into the program
 * only: the unit tests and fuzz targets link the libraries themselves. */
#ifndef CRONGUARD_LAZY_H
#define CRONGUARD_LAZY_H

struct lazy_lib {
	const char *path;         /* where configure found it, or "": tried first */
	const char *soname;
	void *handle;
	int failed;               /* said once; every later call fails quietly */
};

/* lazy_sym returns NAME in LIB, loading LIB on first use, or NULL (said once, on stderr)
 * when the library or the name cannot be had. */
void *lazy_sym(struct lazy_lib *lib, const char *name);

/* One forwarding definition: on its first call it resolves NAME, afterwards it jumps.
 * FAIL is what it returns when the library cannot be loaded (with errno ELIBACC). */
#define LAZY_FN(lib, ret, name, params, args, fail)                                         \
	ret name params                                                                     \
	{                                                                                   \
		static ret(*fn) params;                                                     \
		if (!fn && !(*(void **)&fn = lazy_sym(&(lib), #name))) {                    \
			errno = ELIBACC;                                                    \
			return fail;                                                        \
		}                                                                           \
		return fn args;                                                             \
	}

#endif
