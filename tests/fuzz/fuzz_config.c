/* libFuzzer target for src/core/config.c.
 *
 * Normally the input is a config file: it is written to a temporary file
 * and loaded with --config.  An input starting with "ARGV\n" is a command
 * line instead, one argument per line, where lines starting with "ENV:"
 * are environment variables.  Messages must never hold a control
 * character, and every successful load must free cleanly. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static void check_message(const char *err)
{
    for (const unsigned char *p = (const unsigned char *)err; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            abort();
}

static void use(struct config *cfg)
{
    (void)config_retention_for(cfg, "public", "analytics_events");
    (void)config_retention_for(cfg, "public", "x");
    /* every named retention line has its table parsed, and its place */
    for (int i = 0; i < cfg->retention_count; i++) {
        const struct config_retention *r = &cfg->retention[i];
        if (!r->interval || !r->table || (!r->schema) != (!r->name) || (r->schema && (!*r->schema || !*r->name)))
            abort();
        if (r->schema && !r->where)
            abort();
    }
    if (cfg->interval < 0.2 || cfg->interval > 60)
        abort();
    if (cfg->pool_min > cfg->pool_max || cfg->pool_max < 1)
        abort();
    for (char **t = cfg->run_targets; t && *t; t++)
        if (!**t)
            abort();
    config_free(cfg);
}

static int load_command_line(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    char *argv[64], *envp[32];
    int argc = 0, envc = 0;
    struct config cfg;
    char err[512];

    memcpy(copy, data, size);
    copy[size] = '\0';
    argv[argc++] = "pgdeck";
    envp[envc++] = "HOME=/nonexistent";
    char *line = copy + 5, *next;
    for (; line && argc < 63 && envc < 31; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "ENV:", 4) == 0)
            envp[envc++] = line + 4;
        else
            argv[argc++] = line;
    }
    argv[argc] = NULL;
    envp[envc] = NULL;
    err[0] = '\0';
    /* never read a file the input names (--config, or an abbreviation
     * such as --conf): only /dev/null */
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--c", 3) == 0)
            argv[i] = "--config=/dev/null";
    if (config_load(&cfg, argc, argv, envp, err, sizeof err) == 0)
        use(&cfg);
    else
        check_message(err);
    free(copy);
    return 0;
}

static char path[64];

/* The file the inputs are written to goes when the process does. */
static void remove_path(void)
{
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/pgdeck-fuzz-config.%d", (int)getpid());
        atexit(remove_path);
    }

    if (size >= 5 && memcmp(data, "ARGV\n", 5) == 0)
        return load_command_line(data, size);

    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);

    char *argv[] = { "pgdeck", "--config", path, NULL };
    char *envp[] = { "LANG=C.UTF-8", "HOME=/nonexistent", NULL };
    struct config cfg;
    char err[512];
    err[0] = '\0';
    if (config_load(&cfg, 3, argv, envp, err, sizeof err) == 0)
        use(&cfg);
    else
        check_message(err);
    return 0;
}
