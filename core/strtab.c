#include "core/strtab.h"

#include "core/jsonw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct entry {
  char *s;
  char *json;
  uint32_t len;
  uint32_t json_len;
  uint64_t hash;
};

struct ct_strtab {
  struct entry *ents;
  uint32_t count, ents_cap;
  uint32_t *slots; /* id + 1, 0 = empty */
  uint32_t nslots; /* a power of two */
};

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h;
}

ct_strtab *ct_strtab_new(void) {
  ct_strtab *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->nslots = 1024;
  t->slots = calloc(t->nslots, sizeof *t->slots);
  if (!t->slots) {
    free(t);
    return NULL;
  }
  return t;
}

void ct_strtab_free(ct_strtab *t) {
  if (!t) return;
  for (uint32_t i = 0; i < t->count; i++) {
    free(t->ents[i].s);
    free(t->ents[i].json);
  }
  free(t->ents);
  free(t->slots);
  free(t);
}

static int grow_slots(ct_strtab *t) {
  uint32_t n = t->nslots * 2;
  uint32_t *slots = calloc(n, sizeof *slots);
  if (!slots) return -ENOMEM;
  for (uint32_t i = 0; i < t->count; i++) {
    uint32_t j = (uint32_t)t->ents[i].hash & (n - 1);
    while (slots[j]) j = (j + 1) & (n - 1);
    slots[j] = i + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->nslots = n;
  return 0;
}

int64_t ct_strtab_intern(ct_strtab *t, const char *s, size_t n) {
  if (n > UINT32_MAX / 8) return -E2BIG;
  uint64_t h = hash_bytes(s, n);
  uint32_t j = (uint32_t)h & (t->nslots - 1);
  while (t->slots[j]) {
    struct entry *e = &t->ents[t->slots[j] - 1];
    if (e->hash == h && e->len == n && memcmp(e->s, s, n) == 0) return t->slots[j] - 1;
    j = (j + 1) & (t->nslots - 1);
  }
  if (t->count == t->ents_cap) {
    uint32_t cap = t->ents_cap ? t->ents_cap * 2 : 256;
    struct entry *ents = realloc(t->ents, cap * sizeof *ents);
    if (!ents) return -ENOMEM;
    t->ents = ents;
    t->ents_cap = cap;
  }
  struct entry *e = &t->ents[t->count];
  e->s = malloc(n + 1);
  e->json = malloc(6 * n + 3);
  if (!e->s || !e->json) {
    free(e->s);
    free(e->json);
    return -ENOMEM;
  }
  memcpy(e->s, s, n);
  e->s[n] = 0;
  e->len = (uint32_t)n;
  e->json[0] = '"';
  size_t k = ct_json_escape(e->json + 1, s, n, false);
  e->json[k + 1] = '"';
  e->json[k + 2] = 0;
  e->json_len = (uint32_t)(k + 2);
  char *shrunk = realloc(e->json, k + 3);
  if (shrunk) e->json = shrunk;
  e->hash = h;
  t->slots[j] = ++t->count;
  if (t->count * 2 > t->nslots && grow_slots(t) < 0) {
    /* The table still works at a higher load; only lookups slow down. */
  }
  return t->count - 1;
}

uint32_t ct_strtab_count(const ct_strtab *t) { return t->count; }

const char *ct_strtab_str(const ct_strtab *t, uint32_t id, size_t *len) {
  if (len) *len = t->ents[id].len;
  return t->ents[id].s;
}

const char *ct_strtab_json(const ct_strtab *t, uint32_t id, size_t *len) {
  if (len) *len = t->ents[id].json_len;
  return t->ents[id].json;
}
