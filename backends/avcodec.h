/*
 * The shared libavcodec encoder path: one AVCodecContext per mf_encoder,
 * opened for a named libavcodec encoder ("libx265", "h264_nvenc", ...).
 * A backend supplies only the option mapping; send/receive, extradata and
 * error reporting are common, so the path NVENC uses is exercised on every
 * machine through the x265 backend.
 */
#ifndef MF_BACKENDS_AVCODEC_H
#define MF_BACKENDS_AVCODEC_H

#include <stddef.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>

#include "mpegflow/encoder.h"

/**
 * Maps cfg onto the context and the encoder's private options.
 * ctx comes with codec_type, codec_id, size, pix_fmt, time_base, framerate,
 * SAR 1:1, colour tags (codes no encoder may write, such as 0 and 3, made
 * "unspecified") and the global-header flag already set from cfg; arg is
 * the spec's.
 * @return 0, or a negative AVERROR with err naming the bad setting.
 */
typedef int (*mf_avcodec_configure_fn)(AVCodecContext *ctx, AVDictionary **opts,
                                       const struct mf_encoder_config *cfg, const void *arg,
                                       char *err, size_t err_len);

struct mf_avcodec_spec {
    const struct mf_encoder_backend *backend;   /* stored in enc->backend */
    const char *encoder;                        /* libavcodec encoder name */
    mf_avcodec_configure_fn configure;
    const void *arg;                            /* passed to configure */
};

/**
 * Open the encoder. On failure err gets one line "ENCODER: reason
 * (av_err2str)", in the encoder's own words where it logged any (through
 * cfg->ffmpeg_error).
 * @return 0 with *enc set, AVERROR_ENCODER_NOT_FOUND when libavcodec lacks
 *         the encoder, AVERROR(EINVAL) for a bad setting, AVERROR(ENOMEM),
 *         or what avcodec_open2 returned. *enc is NULL on failure.
 */
int mf_avcodec_open(struct mf_encoder **enc, const struct mf_avcodec_spec *spec,
                    const struct mf_encoder_config *cfg, char *err, size_t err_len);

/** The vtable's send_frame/receive_packet/close for encoders opened above. */
int mf_avcodec_send_frame(struct mf_encoder *enc, const AVFrame *frame);
int mf_avcodec_receive_packet(struct mf_encoder *enc, AVPacket *pkt);
void mf_avcodec_close(struct mf_encoder **enc);

/** The context behind enc (for tests and backends that inspect it). */
const AVCodecContext *mf_avcodec_context(const struct mf_encoder *enc);

/** Fill the fields every mapper starts from (see mf_avcodec_configure_fn). */
void mf_avcodec_set_common(AVCodecContext *ctx, const struct mf_encoder_config *cfg);

/**
 * Append "key=value" to a ':'-separated parameter list such as
 * x265-params. 0, or AVERROR(ENOMEM).
 */
int mf_avcodec_append_param(char **list, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
