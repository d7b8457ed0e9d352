/* report.c: the report formats table, "FORMAT:PATH" specs, and writing a
 * rendered report to its file. */
#include "report.h"
#include "mem.h"
#include "report_html.h"
#include "report_json.h"
#include "report_junit.h"
#include "report_md.h"
#include "report_tap.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct report_format {
    const char *name;
    void (*render)(const cJSON *doc, struct strbuf *out);
} formats[] = {
    {"json", report_json_render},
    {"junit", report_junit_render},
    {"md", report_md_render},
    {"tap", report_tap_render},
    {"html", report_html_render},
};

static const struct report_format *format_find(const char *fmt)
{
    for (size_t i = 0; fmt && i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i].name, fmt) == 0)
            return &formats[i];
    return NULL;
}

int report_format_known(const char *fmt)
{
    return format_find(fmt) != NULL;
}

int report_parse_spec(const char *spec, char *buf, char **fmt, char **path,
                      char *err, size_t errlen)
{
    char *colon;

    strcpy(buf, spec);
    colon = strchr(buf, ':');
    if (!colon) {
        snprintf(err, errlen, "--report %s: expected FORMAT:PATH (formats: json, "
                 "junit, md, tap, html)", spec);
        return -1;
    }
    *colon = '\0';
    if (!report_format_known(buf)) {
        snprintf(err, errlen, "--report %s: unknown format \"%s\" (formats: json, "
                 "junit, md, tap, html)", spec, buf);
        return -1;
    }
    if (colon[1] == '\0') {
        snprintf(err, errlen, "--report %s: the path after the colon is empty", spec);
        return -1;
    }
    *fmt = buf;
    *path = colon + 1;
    return 0;
}

char *report_render(const cJSON *doc, const char *fmt, char *err, size_t errlen)
{
    const struct report_format *f = format_find(fmt);
    struct strbuf b;

    if (!f) {
        snprintf(err, errlen, "unknown report format \"%s\"", fmt ? fmt : "(null)");
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "cannot render a %s report: the report is not a JSON object", fmt);
        return NULL;
    }
    strbuf_init(&b);
    f->render(doc, &b);
    return strbuf_take(&b);
}

static int report_mkdir_parents(const char *path, char *err, size_t errlen)
{
    char *dir = mem_strdup(path);
    struct stat st;
    int rc = -1;

    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
            goto out;
        }
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "cannot create %s: %s is not a directory", path, dir);
            goto out;
        }
        *p = '/';
    }
    rc = 0;
out:
    free(dir);
    return rc;
}

/* Writes text to an existing non-regular file (a symlink, /dev/stdout, a
 * FIFO) in place: renaming over it would replace the link or the device. */
static int write_in_place(const char *path, const char *text, char *err, size_t errlen)
{
    size_t len = strlen(text);
    FILE *f = fopen(path, "wb");

    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    if (fwrite(text, 1, len, f) != len) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int report_write_file(const char *path, const char *text, char *err, size_t errlen)
{
    size_t len = strlen(text);
    struct stat st;
    char *tmp = NULL;
    FILE *f = NULL;
    int rc = -1;

    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return write_in_place(path, text, err, errlen);
    if (report_mkdir_parents(path, err, errlen) < 0)
        return -1;
    /* A reader never sees half a report: write aside, then rename. */
    tmp = mem_alloc(strlen(path) + 32);
    snprintf(tmp, strlen(path) + 32, "%s.tmp%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fwrite(text, 1, len, f) != len) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (f)
        fclose(f);
    if (rc < 0 && tmp)
        unlink(tmp);
    free(tmp);
    return rc;
}

int report_write(const cJSON *doc, const char *fmt, const char *path,
                 char *err, size_t errlen)
{
    char *text = report_render(doc, fmt, err, errlen);
    int rc;

    if (!text)
        return -1;
    rc = report_write_file(path, text, err, errlen);
    free(text);
    return rc;
}
