/* Shared libraries loaded on first use (see lazy.h). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "diag.h"
#include "lazy/lazy.h"

void *lazy_sym(struct lazy_lib *lib, const char *name)
{
	void *sym;

	if (lib->failed)
		return NULL;
	if (!lib->handle && lib->path[0])
		lib->handle = dlopen(lib->path, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle && !(lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL))) {
		lib->failed = 1;
		diag_error("cannot load %s: %s", lib->soname, dlerror());
		return NULL;
	}
	if (!(sym = dlsym(lib->handle, name))) {
		lib->failed = 1;
		diag_error("cannot find %s in %s", name, lib->soname);
	}
	return sym;
}
