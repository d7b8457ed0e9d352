/* Tests of the one whole-file reader. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "file.h"
#include "testutil.h"

TestSuite(file, .init = testutil_tmpdir_make, .fini = testutil_tmpdir_remove);

Test(file, reads_every_byte_of_a_large_file)
{
    char path[128];
    snprintf(path, sizeof path, "%s/big.bin", testutil_tmpdir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    for (int i = 0; i < 200000; i++)
        fputc(i % 251, f); /* NUL bytes included */
    fclose(f);
    char err[200];
    size_t len = 0;
    char *s = file_read(path, &len, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(len, 200000);
    for (int i = 0; i < 200000; i++)
        cr_assert_eq((unsigned char)s[i], i % 251, "byte %d", i);
    cr_assert_eq(s[len], '\0');
    free(s);
}

Test(file, an_empty_file_is_an_empty_string)
{
    char path[128], err[200];
    snprintf(path, sizeof path, "%s/empty", testutil_tmpdir);
    fclose(fopen(path, "wb"));
    size_t len = 99;
    char *s = file_read(path, &len, err, sizeof err);
    cr_assert_not_null(s);
    cr_assert_eq(len, 0);
    cr_assert_str_eq(s, "");
    free(s);
}

Test(file, a_missing_file_and_a_directory_say_why)
{
    char path[128], err[200];
    size_t len;
    snprintf(path, sizeof path, "%s/missing", testutil_tmpdir);
    cr_assert_null(file_read(path, &len, err, sizeof err));
    cr_assert_str_eq(err, "cannot open: No such file or directory");
    cr_assert_null(file_read(testutil_tmpdir, &len, err, sizeof err));
    cr_assert_str_eq(err, "cannot read: Is a directory");
}
