/* file.c: reads a file whole (see file.h). */
#include "file.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

char *file_read(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct strbuf b = {0};
    size_t got;
    if (!f) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    do {
        got = fread(strbuf_room(&b, 65536), 1, 65536, f);
        strbuf_grew(&b, got);
    } while (got > 0);
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read: %s", strerror(errno));
        fclose(f);
        strbuf_free(&b);
        return NULL;
    }
    fclose(f);
    *len = b.len;
    return b.data;
}
