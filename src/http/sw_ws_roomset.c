/* sw_ws_roomset: one client's sorted room set, following membership events, and the member
 * log (see sw_ws_roomset.h). */
#include "http/sw_ws_roomset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOMS_FIRST 64

static int cmp_room(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int sw_ws_roomset_load(sw_ws_roomset *s, sw_ws_rooms_fn fn, void *arg, const char *tenant_id,
                       const char *participant_id)
{
    s->ids = NULL;
    s->n = 0;
    if (!fn) return 0;
    int max = ROOMS_FIRST;
    for (;;) {
        sw_ws_room_id *buf = malloc((size_t)max * sizeof *buf);
        if (!buf) return -1;
        int r = fn(arg, tenant_id, participant_id, buf, max);
        if (r < 0 || r > max) {
            free(buf);
            return -1;
        }
        if (r == max && max < SW_WS_ROOMS_MAX) { /* maybe more: ask again with room to spare */
            free(buf);
            max *= 4;
            continue;
        }
        if (r == 0) {
            free(buf);
            return 0;
        }
        for (int i = 0; i < r; i++) buf[i][sizeof buf[i] - 1] = 0;
        qsort(buf, (size_t)r, sizeof *buf, cmp_room);
        int n = 0; /* the store gives each room once; a duplicate would break bsearch's insert point */
        for (int i = 0; i < r; i++)
            if (n == 0 || strcmp(buf[n - 1], buf[i]) != 0) memmove(buf[n++], buf[i], sizeof buf[i]);
        sw_ws_room_id *fit = realloc(buf, (size_t)n * sizeof *buf);
        s->ids = fit ? fit : buf;
        s->n = n;
        return 0;
    }
}

int sw_ws_roomset_has(const sw_ws_roomset *s, const char *room_id)
{
    return s->n && bsearch(room_id, s->ids, (size_t)s->n, sizeof *s->ids, cmp_room) != NULL;
}

/* Index of the first id >= room_id. */
static int lower_bound(const sw_ws_roomset *s, const char *room_id)
{
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp(s->ids[mid], room_id) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int sw_ws_roomset_set(sw_ws_roomset *s, const char *room_id, int member)
{
    if (strlen(room_id) >= sizeof(sw_ws_room_id)) return member ? -1 : 0; /* never a room id */
    int i = lower_bound(s, room_id);
    int present = i < s->n && strcmp(s->ids[i], room_id) == 0;
    if (member == present) return 0;
    if (!member) {
        memmove(s->ids[i], s->ids[i + 1], (size_t)(s->n - i - 1) * sizeof *s->ids);
        if (--s->n == 0) {
            free(s->ids);
            s->ids = NULL;
        }
        return 0; /* the array keeps its size: it shrinks at the next insert's realloc */
    }
    if (s->n >= SW_WS_ROOMS_MAX) return -1;
    sw_ws_room_id *ids = realloc(s->ids, (size_t)(s->n + 1) * sizeof *ids);
    if (!ids) return -1;
    s->ids = ids;
    memmove(ids[i + 1], ids[i], (size_t)(s->n - i) * sizeof *ids);
    snprintf(ids[i], sizeof ids[i], "%s", room_id);
    s->n++;
    return 0;
}

void sw_ws_roomset_clear(sw_ws_roomset *s)
{
    free(s->ids);
    s->ids = NULL;
    s->n = 0;
}

static int copy_id(char dst[40], const char *src)
{
    if (!src || !src[0] || strlen(src) >= 40) return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int sw_ws_member_change_of(const sw_event *ev, sw_ws_member_change *out)
{
    if (strcmp(ev->type, "swp.room.member") != 0 || ev->stream_position <= 0) return 0;
    const char *who = json_string_value(json_object_get(ev->content, "participant_id"));
    const char *m = json_string_value(json_object_get(ev->content, "membership"));
    if (!m || copy_id(out->participant_id, who) != 0 || copy_id(out->room_id, ev->room_id) != 0 ||
        copy_id(out->tenant_id, ev->tenant_id) != 0)
        return 0;
    out->joined = strcmp(m, "join") == 0;
    return 1;
}

void sw_ws_member_log_add(sw_ws_member_log *l, const sw_ws_member_change *m)
{
    if (!l->ring) l->ring = calloc(SW_WS_MEMBER_LOG, sizeof *l->ring); /* NULL: replays fail */
    l->seq++;
    if (!l->ring) return;
    sw_ws_member_change *slot = &l->ring[l->seq % SW_WS_MEMBER_LOG];
    if (m) *slot = *m;
    else memset(slot, 0, sizeof *slot); /* names nobody */
}

int sw_ws_member_log_replay(const sw_ws_member_log *l, uint64_t since, const char *tenant_id,
                            const char *participant_id, sw_ws_roomset *s)
{
    if (since >= l->seq) return 0;
    if (!l->ring || l->seq - since > SW_WS_MEMBER_LOG) return -1;
    for (uint64_t q = since + 1; q <= l->seq; q++) {
        const sw_ws_member_change *m = &l->ring[q % SW_WS_MEMBER_LOG];
        if (strcmp(m->participant_id, participant_id) != 0 || strcmp(m->tenant_id, tenant_id) != 0) continue;
        if (sw_ws_roomset_set(s, m->room_id, m->joined) != 0) return -1;
    }
    return 0;
}

void sw_ws_member_log_free(sw_ws_member_log *l)
{
    free(l->ring);
    l->ring = NULL;
}
