/* The strict JSON reader that `aibench import` uses (results/json_read.c):
 * what it accepts, and that everything RFC 8259 forbids is refused with
 * the position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../results/json_read.h"

static void parse_ok(const char *text, struct aib_jr_val *v)
{
    struct aib_err err = {0};
    if (aib_jr_parse(text, strlen(text), v, &err) != 0)
        fail_msg("'%s': %s", text, err.msg);
}

static void parse_bad(const char *text, const char *needle)
{
    struct aib_jr_val v;
    struct aib_err err = {0};
    int rc = aib_jr_parse(text, strlen(text), &v, &err);
    aib_jr_free(&v);
    if (rc != AIB_EUSAGE || !strstr(err.msg, needle))
        fail_msg("'%s': rc %d, message '%s', wanted '%s'", text, rc, err.msg, needle);
}

static void test_json_reader(void **state)
{
    (void)state;
    struct aib_jr_val v;
    parse_ok(" {\"a\": [1, -0.5e2, true, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}} ", &v);
    assert_int_equal(v.type, AIB_JR_OBJ);
    const struct aib_jr_val *a = aib_jr_get(&v, "a");
    assert_non_null(a);
    assert_int_equal(a->n, 5);
    assert_true(a->items[1].num == -50.0);
    assert_true(a->items[2].b);
    assert_int_equal(a->items[3].type, AIB_JR_NULL);
    assert_string_equal(a->items[4].str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_int_equal(aib_jr_get(&v, "b")->type, AIB_JR_OBJ);
    assert_null(aib_jr_get(&v, "c"));
    aib_jr_free(&v);

    parse_bad("[1, 2,]", "trailing comma");
    parse_bad("{\"a\": 1,}", "trailing comma");
    parse_bad("[01]", "leading zero");
    parse_bad("[1.]", "digit after the decimal point");
    parse_bad("[1e]", "digit in the exponent");
    parse_bad("[NaN]", "expected a value");
    parse_bad("[0x10]", "expected ',' or ']'");
    parse_bad("[1e400]", "out of range");
    parse_bad("[\"\\x\"]", "invalid escape");
    parse_bad("[\"\\ud800\"]", "surrogate");
    parse_bad("[\"\\u0000\"]", "\\u0000");
    parse_bad("[\"a\tb\"]", "control character");
    parse_bad("[\"\xc3\x28\"]", "invalid UTF-8");
    parse_bad("[\"\xed\xa0\x80\"]", "invalid UTF-8"); /* an encoded surrogate */
    parse_bad("{\"a\": 1, \"a\": 2}", "duplicate key");
    parse_bad("{\"a\" 1}", "expected ':'");
    parse_bad("{1: 2}", "expected a string key");
    parse_bad("[1] x", "unexpected text after");
    parse_bad("", "unexpected end of input");
    parse_bad("[1, 2", "unexpected end of input");
    parse_bad("{\"a\": \"abc", "unexpected end of input");
    parse_bad("[true, nu", "unexpected end of input");
    parse_bad("[\"\xe2\x82", "unexpected end of input");
    parse_bad("[nul]", "expected a value");
    parse_bad("// c\n[]", "expected a value");
    parse_bad("\xef\xbb\xbf[]", "byte order mark");
    parse_bad("[\n  1,\n  x]", "line 3, column 3");
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 99);
    deep[199] = '\0';
    parse_bad(deep, "nested too deeply");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_reader),
    };
    return cmocka_run_group_tests_name("json_read", tests, NULL, NULL);
}
