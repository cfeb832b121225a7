#include "split_plan.h"

#include <math.h>

#include <libavformat/avformat.h>

#include "common/util.h"

/* The open end of the last chunk: later than any real timestamp. */
#define OPEN_END 1e9

int mf_split_plan(double duration, double gop, double seconds, struct mf_split_chunk *out, int max,
                  char *err, size_t err_len)
{
    if (!(gop > 0) || !(seconds > 0) || !(duration > 0)) {
        mf_errf(err, err_len, "split: needs a positive duration, gop and chunk length");
        return -1;
    }
    double gops = fmax(1, round(seconds / gop));
    double len = gops * gop;
    int n = (int)ceil(duration / len - 1e-6);
    /* A tail shorter than a GOP (60.02 s at 30.006 fps) goes to the chunk
     * before, whose end is open: a chunk of its own could hold no frame. */
    if (n > 1 && duration - (n - 1) * len < gop)
        n--;
    if (n < 1)
        n = 1;
    if (n > max) {
        mf_errf(err, err_len, "split: %d chunks of %g s; at most %d", n, len, max);
        return -1;
    }
    for (int i = 0; i < n; i++)
        out[i] = (struct mf_split_chunk){
            .start = i * len, .end = i == n - 1 ? OPEN_END : (i + 1) * len,
            .first_segment = (int)(i * gops),
        };
    return n;
}

int mf_split_source_duration(const char *input, double *duration, char *err, size_t err_len)
{
    AVFormatContext *fmt = NULL;
    int ret = avformat_open_input(&fmt, input, NULL, NULL);
    if (ret >= 0)
        ret = avformat_find_stream_info(fmt, NULL);
    if (ret < 0) {
        mf_errf(err, err_len, "%s: cannot read: %s", input, av_err2str(ret));
        avformat_close_input(&fmt);
        return -1;
    }
    /* The video's own duration where known: audio may run longer. */
    int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    *duration = v >= 0 && fmt->streams[v]->duration > 0 && fmt->streams[v]->duration != AV_NOPTS_VALUE
                ? fmt->streams[v]->duration * av_q2d(fmt->streams[v]->time_base)
                : fmt->duration > 0 ? fmt->duration / (double)AV_TIME_BASE : 0;
    avformat_close_input(&fmt);
    if (!(*duration > 0)) {
        mf_errf(err, err_len, "%s: no duration to split", input);
        return -1;
    }
    return 0;
}
