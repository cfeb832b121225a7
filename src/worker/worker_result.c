#include "worker_result.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

static void copy(char *dst, size_t len, json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    snprintf(dst, len, "%s", s ? s : "");
}

int mf_result_read(const char *json, struct mf_result *r)
{
    memset(r, 0, sizeof(*r));
    json_t *root = json ? json_loads(json, 0, NULL) : NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        return -1;
    }
    r->frames_in = json_integer_value(json_object_get(root, MF_RK_INPUT_FRAMES));
    r->wall_seconds = json_number_value(json_object_get(root, MF_RK_WALL_SECONDS));
    copy(r->backend, sizeof(r->backend), root, MF_RK_BACKEND);
    json_t *fb = json_object_get(root, MF_RK_FALLBACK);
    if (fb) {
        copy(r->fallback_from, sizeof(r->fallback_from), fb, MF_RK_FALLBACK_FROM);
        copy(r->backend, sizeof(r->backend), fb, MF_RK_FALLBACK_TO);
        copy(r->fallback_reason, sizeof(r->fallback_reason), fb, MF_RK_FALLBACK_REASON);
    }
    json_t *nv = json_object_get(root, MF_RK_NVENC);
    if (nv) {
        r->nvenc_sessions = (int)json_integer_value(json_object_get(nv, MF_RK_NVENC_SESSIONS));
        copy(r->decode, sizeof(r->decode), nv, MF_RK_NVENC_DECODE);
        copy(r->decode_note, sizeof(r->decode_note), nv, MF_RK_NVENC_DECODE_NOTE);
        if (!r->decode[0])
            snprintf(r->decode, sizeof(r->decode), "unknown");
    }
    json_decref(root);
    return 0;
}
