#include "hls_iframes.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hls_master.h"

int mf_hls_write_iframes(const char *path, const struct mf_segment_index *x, struct mf_hls_iframe_stats *st)
{
    *st = (struct mf_hls_iframe_stats){ 0 };
    double ts = x->track.timescale, total = 0, target = 0;
    for (int i = 0; i < x->n; i++) {
        if (!x->segs[i].first_is_sync || x->segs[i].first_sample_end <= x->segs[i].moof_offset
            || x->segs[i].first_sample_end > x->segs[i].bytes)
            return -EINVAL;
        target = fmax(target, x->spans[i].duration / ts);
    }
    double *durs = calloc(x->n ? x->n : 1, sizeof(*durs));
    int64_t *bytes = calloc(x->n ? x->n : 1, sizeof(*bytes));
    FILE *f = durs && bytes ? fopen(path, "w") : NULL;
    if (!f) {
        int e = durs && bytes ? errno : ENOMEM;
        free(durs);
        free(bytes);
        return -e;
    }
    long tgt = lround(target);
    fprintf(f, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%ld\n#EXT-X-MEDIA-SEQUENCE:0\n"
               "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-I-FRAMES-ONLY\n"
               "#EXT-X-MAP:URI=\"%s\"\n", tgt < 1 ? 1 : tgt, x->init);
    for (int i = 0; i < x->n; i++) {
        const struct mf_fmp4_segment *s = &x->segs[i];
        int64_t len = s->first_sample_end - s->moof_offset;
        durs[i] = x->spans[i].duration / ts;
        bytes[i] = len;
        total += durs[i];
        st->bytes += len;
        fprintf(f, "#EXTINF:%f,\n#EXT-X-BYTERANGE:%lld@%lld\n%s\n", durs[i], (long long)len,
                (long long)s->moof_offset, x->uris[i]);
    }
    fputs("#EXT-X-ENDLIST\n", f);
    st->entries = x->n;
    st->avg_bps = total > 0 ? (int64_t)(st->bytes * 8 / total) : 0;
    st->peak_bps = mf_hls_peak_bps(durs, bytes, x->n, tgt < 1 ? 1 : tgt);
    free(durs);
    free(bytes);
    return fclose(f) ? -errno : 0;
}
