/* The JSON writer: escaping of every awkward byte, number formatting, and
 * the streaming buffer. Every escaped output is parsed back with cJSON. */
#include "check.h"
#include "core/jsonw.h"

#include <cjson/cJSON.h>

struct mem {
  char buf[1 << 16];
  size_t len;
  int fail_after; /* fail once this many bytes were taken (0 = never) */
};

static int mem_sink(void *ctx, const char *data, size_t len) {
  struct mem *m = ctx;
  if (m->fail_after && m->len + len > (size_t)m->fail_after) return -28; /* -ENOSPC */
  memcpy(m->buf + m->len, data, len);
  m->len += len;
  return 0;
}

/* Writes S as a JSON string, parses it back, and checks the round trip
 * gives EXPECT (NULL: the same bytes). */
static void roundtrip(const char *s, size_t n, const char *expect_text, const char *expect) {
  struct mem m = {.len = 0};
  ct_jw w;
  CHECK_EQ(ct_jw_init(&w, 4096, mem_sink, &m), 0);
  ct_jw_str(&w, s, n);
  CHECK_EQ(ct_jw_finish(&w), 0);
  m.buf[m.len] = 0;
  if (expect_text) CHECK_STREQ(m.buf, expect_text);
  cJSON *j = cJSON_Parse(m.buf);
  CHECK(j && cJSON_IsString(j));
  if (j && cJSON_IsString(j)) {
    if (expect) CHECK_STREQ(j->valuestring, expect);
    else CHECK(strlen(j->valuestring) == n && memcmp(j->valuestring, s, n) == 0);
  }
  cJSON_Delete(j);
}

static void test_escape_table(void) {
  static const struct {
    const char *in;
    const char *out;
    const char *back; /* what a JSON parser reads back; NULL = the input */
  } table[] = {
      {"plain", "\"plain\""},
      {"q\"uote", "\"q\\\"uote\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"nl\n", "\"nl\\n\""},
      {"tab\t", "\"tab\\t\""},
      {"cr\r", "\"cr\\r\""},
      {"bs\b", "\"bs\\b\""},
      {"ff\f", "\"ff\\f\""},
      {"\x01", "\"\\u0001\""},
      {"\x1f", "\"\\u001f\""},
      {"\x7f", "\"\x7f\""},
      {"<module>", "\"<module>\""},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},           /* valid 2-byte UTF-8 */
      {"\xe2\x82\xac", "\"\xe2\x82\xac\""},          /* euro sign */
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},  /* 4-byte */
      {"bad\xff", "\"bad\\ufffd\"", "bad\xef\xbf\xbd"},                 /* invalid byte */
      {"\xc3", "\"\\ufffd\"", "\xef\xbf\xbd"},                       /* truncated sequence */
      {"\xc0\xaf", "\"\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd"},            /* overlong */
      {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
  };
  for (size_t i = 0; i < sizeof table / sizeof *table; i++)
    roundtrip(table[i].in, strlen(table[i].in), table[i].out, table[i].back);
  /* Every control byte but NUL, one at a time, then all of them together
   * (cJSON hands back C strings, so NUL is checked on the text). */
  char all[31];
  for (int c = 1; c < 32; c++) {
    char s[3] = {'x', (char)c, 'y'};
    roundtrip(s, 3, NULL, NULL);
    all[c - 1] = (char)c;
  }
  roundtrip(all, 31, NULL, NULL);
  roundtrip("a\0b", 3, "\"a\\u0000b\"", "a");

  /* HTML-safe mode hides '<', '>' and '&' from an HTML parser. */
  char out[64];
  size_t k = ct_json_escape(out, "</script>&", 10, true);
  out[k] = 0;
  CHECK_STREQ(out, "\\u003c/script\\u003e\\u0026");
}

static void test_numbers(void) {
  static const struct {
    int64_t ns;
    const char *out;
  } usec[] = {
      {0, "0.000"}, {1, "0.001"}, {999, "0.999"}, {1000, "1.000"},
      {1234567, "1234.567"}, {-5, "-0.005"}, {-1234567, "-1234.567"},
      {INT64_MAX, "9223372036854775.807"},
  };
  char buf[64];
  for (size_t i = 0; i < sizeof usec / sizeof *usec; i++) {
    size_t n = ct_json_fmt_usec(buf, usec[i].ns);
    buf[n] = 0;
    CHECK_STREQ(buf, usec[i].out);
  }
  static const struct {
    uint64_t v;
    const char *out;
  } u64[] = {{0, "0"}, {7, "7"}, {10, "10"}, {99, "99"}, {100, "100"},
             {4242, "4242"}, {UINT64_MAX, "18446744073709551615"}};
  for (size_t i = 0; i < sizeof u64 / sizeof *u64; i++) {
    size_t n = ct_json_fmt_u64(buf, u64[i].v);
    buf[n] = 0;
    CHECK_STREQ(buf, u64[i].out);
  }
  struct mem m = {.len = 0};
  ct_jw w;
  ct_jw_init(&w, 4096, mem_sink, &m);
  ct_jw_raw(&w, "[", 1);
  ct_jw_i64(&w, -42);
  ct_jw_char(&w, ',');
  ct_jw_double(&w, 0.5);
  ct_jw_char(&w, ',');
  ct_jw_double(&w, 1.0 / 0.0);
  ct_jw_char(&w, ',');
  ct_jw_double(&w, 3.0);
  ct_jw_raw(&w, "]", 1);
  CHECK_EQ(ct_jw_finish(&w), 0);
  m.buf[m.len] = 0;
  CHECK_STREQ(m.buf, "[-42,0.5,null,3]");
}

static void test_streaming(void) {
  /* Strings far larger than the buffer, with multi-byte characters on the
   * piece boundaries, come out whole. */
  static char big[20000];
  for (size_t i = 0; i + 2 < sizeof big; i += 3) memcpy(big + i, "\xc3\xa9x", 3);
  size_t n = sizeof big - sizeof big % 3;
  roundtrip(big, n, NULL, NULL);

  /* A failing sink makes the error sticky and reported by finish. */
  struct mem m = {.len = 0, .fail_after = 5000};
  ct_jw w;
  ct_jw_init(&w, 4096, mem_sink, &m);
  for (int i = 0; i < 1000; i++) ct_jw_raw(&w, "0123456789", 10);
  CHECK_EQ(ct_jw_finish(&w), -28);
}

int main(void) {
  test_escape_table();
  test_numbers();
  test_streaming();
  CHECK_DONE();
}
