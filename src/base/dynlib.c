#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "base/dynlib.h"
#include "base/errbuf.h"

int dynlib_load(struct dynlib *lib, const struct dynlib_symbol *syms, size_t n, char *err, size_t errlen)
{
    if (!lib->tried) {
        lib->tried = true;
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            snprintf(lib->error, sizeof lib->error, "cannot load %s (%s): %s", lib->what, lib->soname,
                     why ? why : "dlopen failed");
        } else {
            lib->loaded = true;
            for (size_t i = 0; i < n && lib->loaded; i++) {
                void *p = dlsym(h, syms[i].name);
                if (!p) {
                    snprintf(lib->error, sizeof lib->error, "cannot load %s: %s has no %s", lib->what,
                             lib->soname, syms[i].name);
                    lib->loaded = false;
                } else {
                    /* dlsym's void * to a function pointer: POSIX
                     * guarantees the conversion works, ISO C does not
                     * name it, hence the copy. */
                    memcpy(syms[i].fn, &p, syms[i].size);
                }
            }
            /* Kept loaded on a missing symbol too: nothing is called. */
        }
    }
    if (lib->loaded)
        return 0;
    errbuf_set(err, errlen, "%s", lib->error);
    return -1;
}
