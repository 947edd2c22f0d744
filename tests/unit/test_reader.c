/* The trace reader: both container forms, gzip, files, every malformed
 * input the commands must report, and reads that straddle buffer refills. */
#include "check.h"
#include "core/error.h"
#include "core/reader.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct result {
  int rc;          /* 0 when the whole input read cleanly */
  int events;
  int x_events;
  int64_t last_ts, last_dur, last_pid, last_tid;
  char last_ph;
  uint64_t err_at;
};

static struct result read_all(ct_reader *r) {
  struct result res = {0};
  ct_rd_event ev;
  int rc;
  while ((rc = ct_reader_next(r, &ev)) == 1) {
    res.events++;
    res.x_events += ev.ph == 'X';
    res.last_ph = ev.ph;
    res.last_ts = ev.ts_ns;
    res.last_dur = ev.dur_ns;
    res.last_pid = ev.pid;
    res.last_tid = ev.tid;
    /* the raw text is exactly one object */
    CHECK(ev.json[0] == '{' && ev.json[ev.len - 1] == '}');
  }
  res.rc = rc;
  if (rc < 0) res.err_at = ct_reader_error_at(r);
  return res;
}

static struct result read_mem(const char *s, size_t n) {
  ct_reader *r;
  int rc = ct_reader_open_mem(&r, s, n);
  if (rc) return (struct result){.rc = rc};
  struct result res = read_all(r);
  ct_reader_free(r);
  return res;
}

static struct result read_str(const char *s) { return read_mem(s, strlen(s)); }

static const struct {
  const char *text;
  int rc;
  int events;
  long long err_at; /* -1: don't check */
} cases[] = {
    /* good */
    {"{\"traceEvents\":[]}", 0, 0, -1},
    {"[]", 0, 0, -1},
    {"[{\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":1.5,\"dur\":2,\"name\":\"f\"}]", 0, 1, -1},
    {"[{\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":1.5,\"dur\":2,\"name\":\"f\"}", 0, 1, -1},
    {"[{\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":1.5,\"dur\":2,\"name\":\"f\"},\n", 0, 1, -1},
    {"\xEF\xBB\xBF{\"a\":{\"b\":[1,2.5e3,null,true,false,\"\\u00e9\"]},\"traceEvents\":"
     "[{\"ph\":\"M\",\"name\":\"process_name\",\"args\":{\"name\":\"x\"}},"
     "{\"ph\":\"i\",\"ts\":3,\"name\":\"m\",\"s\":\"g\"}],\"z\":0}  \n",
     0, 2, -1},
    {" [ { \"ph\" : \"B\" , \"ts\" : 0 , \"name\" : \"a\" } , {\"ph\":\"E\",\"ts\":1} ] ", 0, 2, -1},
    /* not JSON */
    {"hello", CT_EPARSE, 0, 0},
    {"{\"traceEvents\":[{\"ph\":\"X\" \"ts\":1}]}", CT_EPARSE, 0, 26},
    {"{\"traceEvents\":[{\"ph\":\"X\",\"ts\":01}]}", CT_EPARSE, 0, -1},
    {"{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1.}]}", CT_EPARSE, 0, -1},
    {"{\"traceEvents\":[{\"ph\":\"i\",\"ts\":1,\"name\":\"a\tb\"}]}", CT_EPARSE, 0, -1},
    {"{\"traceEvents\":[{\"ph\":\"i\",\"ts\":1,\"name\":\"a\\qb\"}]}", CT_EPARSE, 0, -1},
    {"{\"traceEvents\":[{\"ph\":\"i\",\"ts\":1,\"x\":tru}]}", CT_EPARSE, 0, -1},
    {"{\"traceEvents\":[]} x", CT_EPARSE, 0, 19},
    {"{\"traceEvents\":[]}}", CT_EPARSE, 0, 18},
    {"[{\"ph\":\"i\",\"ts\":1},,]", CT_EPARSE, 1, 19},
    /* truncated JSON */
    {"", CT_ETRUNC, 0, 0},
    {"   ", CT_ETRUNC, 0, -1},
    {"{\"traceEvents\":[", CT_ETRUNC, 0, -1},
    {"{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"dur\":2,\"name\":\"f\"}", CT_ETRUNC, 1, -1},
    {"{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"du", CT_ETRUNC, 0, -1},
    {"{\"traceEvents\":[],\"file_info\":{\"files\":", CT_ETRUNC, 0, -1},
    {"{\"traceEvents\":[]", CT_ETRUNC, 0, -1},
    {"[{\"ph\":\"X\",\"ts\":1,\"dur\":2,\"name\":\"f\"},{\"ph\":\"X\",\"ts\":1", CT_ETRUNC, 1, -1},
    {"[{\"ph\":\"i\",\"ts\":1,\"name\":\"f\",\"x\":nu", CT_ETRUNC, 0, -1},
    {"[{\"ph\":\"i\",\"ts\":-", CT_ETRUNC, 0, -1},
    /* JSON, but not a trace */
    {"{}", CT_ENOTTRACE, 0, 1},
    {"{\"a\":1}", CT_ENOTTRACE, 0, 6},
    {"{\"traceEvents\":{}}", CT_ENOTTRACE, 0, 15},
    {"[1,2,3]", CT_ENOTTRACE, 0, 1},
    {"\"trace\"", CT_ENOTTRACE, 0, 0},
    {"42", CT_ENOTTRACE, 0, 0},
    {"\n<!DOCTYPE html><html>", CT_ENOTTRACE, 0, 1},
    /* events without their required fields */
    {"[{}]", CT_EFIELD, 0, 1},
    {"[{\"ts\":1}]", CT_EFIELD, 0, 1},
    {"[{\"ph\":\"X\",\"ts\":1,\"name\":\"f\"}]", CT_EFIELD, 0, 1},
    {"[{\"ph\":\"X\",\"dur\":1,\"name\":\"f\"}]", CT_EFIELD, 0, 1},
    {"[{\"ph\":\"X\",\"ts\":1,\"dur\":1}]", CT_EFIELD, 0, 1},
    {"[{\"ph\":\"i\",\"ts\":1},{\"ph\":\"X\",\"ts\":\"1\",\"dur\":1,\"name\":\"f\"}]", CT_EFIELD, 1, 19},
    {"[{\"ph\":\"\"}]", CT_EFIELD, 0, 1},
    {"[{\"ph\":3}]", CT_EFIELD, 0, 1},
};

static void test_table(void) {
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct result res = read_str(cases[i].text);
    if (cases[i].rc == 0) {
      /* what reads cleanly also skips cleanly */
      ct_reader *r;
      CHECK_EQ(ct_reader_open_mem(&r, cases[i].text, strlen(cases[i].text)), 0);
      ct_reader_skip_events(r);
      struct result sk = read_all(r);
      ct_reader_free(r);
      if (sk.rc != 0 || sk.events != 0) {
        fprintf(stderr, "case %zu %s: skipping gives %d\n", i, cases[i].text, sk.rc);
        ct_check_failures++;
      }
    }
    if (res.rc != cases[i].rc || res.events != cases[i].events ||
        (cases[i].err_at >= 0 && (long long)res.err_at != cases[i].err_at)) {
      fprintf(stderr, "case %zu %s: rc %d (%s) events %d at %llu; want rc %d events %d at %lld\n", i,
              cases[i].text, res.rc, ct_strerror(res.rc), res.events,
              (unsigned long long)res.err_at, cases[i].rc, cases[i].events, cases[i].err_at);
      ct_check_failures++;
    }
  }
}

static void test_fields(void) {
  const char *s = "{\"otherData\":{\"v\":1},\"traceEvents\":[{\"name\":\"f\\\"x\",\"ph\":\"X\","
                  "\"pid\":-7,\"tid\":12,\"ts\":1234.5678,\"dur\":0.001}],"
                  "\"ctrace_metadata\":{\"origin_monotonic_ns\":5}}";
  ct_reader *r;
  CHECK_EQ(ct_reader_open_mem(&r, s, strlen(s)), 0);
  ct_rd_event ev;
  CHECK_EQ(ct_reader_next(r, &ev), 1);
  CHECK_EQ(ev.ph, 'X');
  CHECK_EQ(ev.pid, -7);
  CHECK_EQ(ev.tid, 12);
  CHECK_EQ(ev.ts_ns, 1234568);
  CHECK_EQ(ev.dur_ns, 1);
  CHECK_EQ(ev.name_len, 6);
  CHECK(memcmp(ev.name, "\"f\\\"x\"", 6) == 0);
  CHECK(memcmp(ev.json + ev.ts_at, "1234.5678", ev.ts_len) == 0 && ev.ts_len == 9);
  CHECK(memcmp(ev.json + ev.pid_at, "-7", ev.pid_len) == 0);
  CHECK_EQ(ev.offset, 36);
  CHECK_EQ(ct_reader_next(r, &ev), 0);
  CHECK_EQ(ct_reader_next(r, &ev), 0);
  CHECK_EQ(ct_reader_member_count(r), 2);
  size_t n;
  const char *m = ct_reader_find_member(r, "ctrace_metadata", &n);
  CHECK(m && n == strlen("{\"origin_monotonic_ns\":5}"));
  CHECK(ct_reader_find_member(r, "otherData", NULL) != NULL);
  CHECK(ct_reader_find_member(r, "nope", NULL) == NULL);
  CHECK(!ct_reader_is_array(r));
  ct_reader_free(r);
}

static void test_numbers(void) {
  static const struct {
    const char *s;
    int64_t ns;
  } t[] = {{"0", 0}, {"1", 1000}, {"1.5", 1500}, {"-0.005", -5}, {"12.345", 12345},
           {"1e3", 1000000}, {"1.0005", 1001}, {"1700000000000000.125", 1700000000000000125LL},
           {"1e300", (int64_t)1 << 61}, {"-99999999999999999999", -((int64_t)1 << 61)},
           {"2305843009213693.952", (int64_t)1 << 61}};
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    int64_t ns = -1;
    CHECK(ct_json_usec_to_ns(t[i].s, strlen(t[i].s), &ns));
    CHECK_EQ(ns, t[i].ns);
  }
  char out[64];
  const char *s = "\"a\\n\\u00e9\\ud83d\\ude00\\\"\\u0000\"";
  size_t n = ct_json_unescape(out, s, strlen(s));
  out[n] = 0;
  CHECK_STREQ(out, "a\n\xc3\xa9\xf0\x9f\x98\x80\"\xef\xbf\xbd");
  s = "\"\\u\\u\\u\\ud800x\\u12\"";
  n = ct_json_unescape(out, s, strlen(s));
  CHECK(n <= strlen(s));
  out[n] = 0;
  CHECK_STREQ(out, "???\xef\xbf\xbdx?12");
}

/* Builds a trace of N events as text (caller frees). */
static char *big_trace(int n, size_t *len, bool array_form) {
  size_t cap = (size_t)n * 200 + 4096;
  char *s = malloc(cap);
  size_t k = 0;
  k += (size_t)sprintf(s + k, array_form ? "[" : "{\"traceEvents\":[");
  for (int i = 0; i < n; i++) {
    k += (size_t)sprintf(s + k,
                         "%s{\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%d.125,\"dur\":1.5,"
                         "\"name\":\"function_%d (/some/file.py:%d)\",\"cat\":\"FEE\"}",
                         i ? ",\n" : "", i % 4, i, i % 1000, i);
  }
  k += (size_t)sprintf(s + k, array_form ? "]" : "],\"file_info\":{\"files\":{},\"functions\":{}}}");
  *len = k;
  return s;
}

static void test_large_and_gzip(void) {
  size_t len;
  char *s = big_trace(50000, &len, false);
  struct result res = read_mem(s, len);
  CHECK_EQ(res.rc, 0);
  CHECK_EQ(res.events, 50000);
  CHECK_EQ(res.last_ts, 49999125);
  CHECK_EQ(res.last_dur, 1500);
  CHECK_EQ(res.last_tid, 49999 % 4);

  /* gzip: two concatenated members, as `cat a.gz b.gz` makes. */
  uLong zcap = compressBound(len) + 64;
  unsigned char *z = malloc(2 * zcap);
  size_t zlen = 0;
  size_t half = len / 2;
  for (int part = 0; part < 2; part++) {
    z_stream zs = {0};
    CHECK_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)s + (part ? half : 0);
    zs.avail_in = (uInt)(part ? len - half : half);
    zs.next_out = z + zlen;
    zs.avail_out = (uInt)(2 * zcap - zlen);
    CHECK_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    zlen += zs.total_out;
    deflateEnd(&zs);
  }
  ct_reader *r;
  CHECK_EQ(ct_reader_open_mem(&r, z, zlen), 0);
  CHECK(ct_reader_is_gzip(r));
  res = read_all(r);
  ct_reader_free(r);
  CHECK_EQ(res.rc, 0);
  CHECK_EQ(res.events, 50000);

  /* truncated gzip */
  res = read_mem((char *)z, zlen / 3);
  CHECK_EQ(res.rc, CT_EGZIP);
  CHECK(res.events > 0 && res.events < 50000);
  /* corrupt gzip */
  z[zlen / 4] ^= 0x55;
  z[zlen / 4 + 1] ^= 0x55;
  res = read_mem((char *)z, zlen);
  CHECK(res.rc == CT_EGZIP || res.rc == CT_EPARSE || res.rc == CT_EFIELD);
  free(z);
  free(s);

  s = big_trace(30000, &len, true);
  res = read_mem(s, len - 1); /* no closing bracket */
  CHECK_EQ(res.rc, 0);
  CHECK_EQ(res.events, 30000);
  free(s);

  /* One event bigger than the buffer: it grows. */
  size_t blen = (5u << 20) + 100;
  char *b = malloc(blen + 100);
  size_t k = (size_t)sprintf(b, "[{\"ph\":\"i\",\"ts\":1,\"name\":\"");
  memset(b + k, 'x', 5u << 20);
  k += 5u << 20;
  k += (size_t)sprintf(b + k, "\"}]");
  res = read_mem(b, k);
  CHECK_EQ(res.rc, 0);
  CHECK_EQ(res.events, 1);
  free(b);
}

static const char *tmpdir(void) {
  const char *d = getenv("CT_TEST_TMP");
  if (!d) d = "/tmp/ct_test_reader";
  mkdir(d, 0777);
  return d;
}

static void test_files(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/t.json.gz", tmpdir());
  /* The name says gzip, the content is plain: the magic decides. */
  FILE *f = fopen(path, "w");
  fputs("{\"traceEvents\":[{\"ph\":\"i\",\"ts\":1,\"name\":\"a\"}]}", f);
  fclose(f);
  ct_reader *r;
  CHECK_EQ(ct_reader_open(&r, path), 0);
  CHECK(!ct_reader_is_gzip(r));
  struct result res = read_all(r);
  ct_reader_free(r);
  CHECK_EQ(res.rc, 0);
  CHECK_EQ(res.events, 1);

  snprintf(path, sizeof path, "%s/t.json", tmpdir());
  gzFile g = gzopen(path, "wb");
  gzputs(g, "[{\"ph\":\"i\",\"ts\":1,\"name\":\"a\"},{\"ph\":\"i\",\"ts\":2,\"name\":\"b\"}]");
  gzclose(g);
  CHECK_EQ(ct_reader_open(&r, path), 0);
  CHECK(ct_reader_is_gzip(r));
  res = read_all(r);
  ct_reader_free(r);
  CHECK_EQ(res.rc, 0);
  CHECK_EQ(res.events, 2);

  /* a truncated gzip file */
  FILE *in = fopen(path, "rb");
  unsigned char buf[256];
  size_t n = fread(buf, 1, sizeof buf, in);
  fclose(in);
  f = fopen(path, "wb");
  fwrite(buf, 1, n - 10, f);
  fclose(f);
  CHECK_EQ(ct_reader_open(&r, path), 0);
  res = read_all(r);
  ct_reader_free(r);
  CHECK_EQ(res.rc, CT_EGZIP);

  snprintf(path, sizeof path, "%s/missing.json", tmpdir());
  unlink(path);
  CHECK_EQ(ct_reader_open(&r, path), -ENOENT);
  CHECK_EQ(ct_reader_open(&r, tmpdir()), -EISDIR);
}

static void test_skip(void) {
  size_t len;
  char *s = big_trace(20000, &len, false);
  ct_reader *r;
  CHECK_EQ(ct_reader_open_mem(&r, s, len), 0);
  ct_reader_skip_events(r);
  struct result res = read_all(r);
  CHECK_EQ(res.rc, 0);
  CHECK_EQ(res.events, 0);
  CHECK(ct_reader_find_member(r, "file_info", NULL) != NULL);
  ct_reader_free(r);
  /* strings with escaped quotes and brackets inside are skipped whole */
  const char *t = "{\"traceEvents\":[{\"name\":\"a\\\"}]{[\",\"args\":{\"x\":[1,{}]}}],\"m\":{\"k\":1}}";
  CHECK_EQ(ct_reader_open_mem(&r, t, strlen(t)), 0);
  ct_reader_skip_events(r);
  res = read_all(r);
  CHECK_EQ(res.rc, 0);
  CHECK(ct_reader_find_member(r, "m", NULL) != NULL);
  ct_reader_free(r);
  /* truncated inside the events */
  CHECK_EQ(ct_reader_open_mem(&r, s, len / 2), 0);
  ct_reader_skip_events(r);
  res = read_all(r);
  CHECK_EQ(res.rc, CT_ETRUNC);
  ct_reader_free(r);
  free(s);
}

/* Skipping agrees with a full read on awkward text: brackets and escaped
 * quotes inside strings, nested args, every prefix of the file, and
 * lengths around the 64-byte blocks the fast skip works in. */
static void test_skip_agrees(void) {
  static const char *evs[] = {
      "{\"ph\":\"X\",\"ts\":1,\"dur\":2,\"name\":\"a]}[{\\\"\\\\\",\"args\":{\"v\":[1,[2,{\"x\":\"]\"}]]}}",
      "{\"ph\":\"i\",\"ts\":3,\"name\":\"\\\\\",\"s\":\"g\"}",
      "{\"ph\":\"C\",\"ts\":4,\"name\":\"q\\\"]\\\"\",\"args\":{\"d\":[]}}",
      "{\"ph\":\"M\",\"name\":\"process_name\",\"args\":{\"name\":\"}}}]]]\"}}",
  };
  char buf[8192];
  for (int pad = 0; pad < 70; pad++) {
    for (int form = 0; form < 2; form++) {
      size_t k = (size_t)sprintf(buf, form ? "[%*s" : "{\"a\":[\"]\"],\"traceEvents\":[%*s", pad, "");
      for (int i = 0; i < 12; i++) k += (size_t)sprintf(buf + k, "%s%s", i ? "," : "", evs[(i + pad) % 4]);
      k += (size_t)sprintf(buf + k, form ? "]" : "],\"m\":{\"x\":\"]\"}}");
      for (size_t n = form ? k - 30 : k; n <= k; n++) {
        struct result full = read_mem(buf, n);
        ct_reader *r;
        CHECK_EQ(ct_reader_open_mem(&r, buf, n), 0);
        ct_reader_skip_events(r);
        struct result sk = read_all(r);
        ct_reader_free(r);
        if (n == k) CHECK_EQ(full.rc, 0);
        if (full.rc == 0 && sk.rc != 0) {
          fprintf(stderr, "pad %d form %d len %zu/%zu: skip %d\n", pad, form, n, k, sk.rc);
          ct_check_failures++;
        }
        if (full.rc != 0 && full.rc != CT_ETRUNC) CHECK_EQ(full.rc, 0);
      }
    }
  }
}

struct collected {
  char text[512];
  size_t n;
};

static int collect(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
  struct collected *c = ctx;
  c->n += (size_t)snprintf(c->text + c->n, sizeof c->text - c->n, "<%.*s=%.*s>", (int)kl, k, (int)vl, v);
  return 0;
}

static void test_object_members(void) {
  struct collected c = {{0}, 0};
  const char *s = " { \"a\" : [1,{\"x\":\"]}\"}] , \"b\\\"\":\"v\\\"}\",\"c\":-1.5e3,\"d\":{},\"e\":null } ";
  CHECK_EQ(ct_json_object_members(s, strlen(s), collect, &c), 0);
  CHECK_STREQ(c.text, "<\"a\"=[1,{\"x\":\"]}\"}]><\"b\\\"\"=\"v\\\"}\"><\"c\"=-1.5e3><\"d\"={}><\"e\"=null>");
  c.n = 0;
  c.text[0] = 0;
  CHECK_EQ(ct_json_object_members("{}", 2, collect, &c), 0);
  CHECK_EQ(c.n, 0);
  CHECK_EQ(ct_json_object_members("[1]", 3, collect, &c), CT_EPARSE);
  CHECK_EQ(ct_json_object_members("{\"a\":", 5, collect, &c), CT_EPARSE);
  CHECK_EQ(ct_json_object_members("{\"a\" 1}", 7, collect, &c), CT_EPARSE);
}

int main(void) {
  test_object_members();
  test_skip_agrees();
  test_skip();
  test_table();
  test_fields();
  test_numbers();
  test_large_and_gzip();
  test_files();
  CHECK_DONE();
}
