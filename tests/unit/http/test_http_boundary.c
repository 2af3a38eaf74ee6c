/* test_http_boundary: HTTP handlers do not hold the store. Every .c file of src/http is read and must not
 * name the application's database handle (`app->db`): handlers call the rooms service and the
 * application's services (sw_app_people, sw_app_notes, ...), which call the repositories. The
 * scanner itself is shown to find a use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines of text that name the store handle of the application; each one is printed. */
static int store_uses(const char *name, const char *text)
{
    int n = 0, line = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') line++;
        if (strncmp(p, "app->db", 7) == 0 && !(p[7] == '_' || (p[7] >= 'a' && p[7] <= 'z'))) {
            printf("%s:%d: a handler reaches into the store (app->db)\n", name, line);
            n++;
        }
    }
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    if (b) b[len] = 0;
    fclose(f);
    return b;
}

static void test_the_scanner_finds_a_use(void **state)
{
    (void)state;
    assert_int_equal(store_uses("x.c", "int a;\n  sw_room_get(req->app->db, t, id, &r);\n"), 1);
    assert_int_equal(store_uses("x.c", "sw_x(app->db);\nsw_y(req->app->db)"), 2);
    assert_int_equal(store_uses("x.c", "sw_rooms_view(&req->app->rooms, t, r); app->dbx; app->db_path"), 0);
}

static void test_no_handler_holds_the_store(void **state)
{
    (void)state;
    const char *dir = SW_SOURCE_DIR "/src/http";
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0, uses = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 3 || strcmp(e->d_name + l - 2, ".c") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = slurp(path);
        assert_non_null(text);
        uses += store_uses(e->d_name, text);
        free(text);
        files++;
    }
    closedir(d);
    assert_true(files >= 10); /* the handlers were read */
    assert_int_equal(uses, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_scanner_finds_a_use),
        cmocka_unit_test(test_no_handler_holds_the_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
