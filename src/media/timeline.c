#include "timeline.h"

#include <stdlib.h>

void mf_splice_init(struct mf_splice *sp, const AVFormatContext *fmt, int a, int b,
                    struct mf_timeline_report *report)
{
    *sp = (struct mf_splice){
        .fwd_limit_s = fmt->iformat->flags & AVFMT_TS_DISCONT ? MF_SPLICE_FWD_TS_S : MF_SPLICE_FWD_S,
        .report = report,
    };
    int idx[2] = { a, b };
    for (int i = 0; i < 2; i++)
        sp->s[i] = (struct mf_splice_stream){ .index = idx[i], .next = AV_NOPTS_VALUE };
    sp->n = 2;
}

void mf_splice_add(struct mf_splice *sp, int index)
{
    int max = (int)(sizeof(sp->s) / sizeof(sp->s[0]));
    for (int i = 0; i < sp->n; i++)
        if (sp->s[i].index == index)
            return;
    if (sp->n < max && index >= 0)
        sp->s[sp->n++] = (struct mf_splice_stream){ .index = index, .next = AV_NOPTS_VALUE };
}

void mf_splice_packet(struct mf_splice *sp, AVPacket *pkt, AVRational tb)
{
    struct mf_splice_stream *s = NULL;
    for (int i = 0; i < sp->n; i++)
        if (sp->s[i].index >= 0 && sp->s[i].index == pkt->stream_index)
            s = &sp->s[i];
    int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    if (!s || ts == AV_NOPTS_VALUE)
        return;
    int64_t t = av_rescale_q(ts, tb, AV_TIME_BASE_Q) + s->offset;
    if (s->next != AV_NOPTS_VALUE) {
        int64_t jump = t - s->next;
        /* Forward, it must also pass the other stream (the video's other is
         * the first audio track, every audio track's the video): audio that
         * resumes where the video is after a long dropout has a gap, not a splice. */
        const struct mf_splice_stream *o = s == &sp->s[0] ? &sp->s[1] : &sp->s[0];
        int64_t ahead = o->index >= 0 && o->next != AV_NOPTS_VALUE && o->next > s->next ? t - o->next : jump;
        if (jump < -MF_SPLICE_BACK_S * AV_TIME_BASE || ahead > sp->fwd_limit_s * AV_TIME_BASE) {
            /* Another stream started a new segment: its offset keeps this
             * one in sync when it lands near where this one was. */
            int64_t adopted = t - s->offset + sp->segment_offset - s->next;
            if (s->segment != sp->segment && llabs(adopted) <= MF_SPLICE_BACK_S * AV_TIME_BASE) {
                s->offset = sp->segment_offset;
            } else {
                s->offset -= jump;
                sp->segment_offset = s->offset;
                sp->segment++;
                sp->report->discontinuities++;
            }
            s->segment = sp->segment;
            t = av_rescale_q(ts, tb, AV_TIME_BASE_Q) + s->offset;
        }
    }
    int64_t d = pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q) : s->last_duration;
    s->last_duration = d;
    if (s->next == AV_NOPTS_VALUE || t + d > s->next)
        s->next = t + d;
    if (s->offset) {
        int64_t shift = av_rescale_q(s->offset, AV_TIME_BASE_Q, tb);
        if (pkt->pts != AV_NOPTS_VALUE)
            pkt->pts += shift;
        if (pkt->dts != AV_NOPTS_VALUE)
            pkt->dts += shift;
    }
}
