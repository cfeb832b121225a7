/*
 * TLS for rediss:// over hiredis_ssl with our own OpenSSL context, so that the
 * host name is verified (hiredis sets SNI only) and a refusal says why
 * (expired, wrong name, unknown CA). Built without TLS (hiredis < 1.0), every
 * call fails with a message saying so.
 */
#ifndef MF_QUEUE_TLS_H
#define MF_QUEUE_TLS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "mpegflow/queue.h"

struct mf_tls;

/** 1 when this build can do rediss://. */
int mf_tls_available(void);

/**
 * Load the CA (file or directory; NULL = the system store), the client
 * certificate and key (both or neither). 0, or -1 with err naming the
 * variable and what is wrong with it.
 */
int mf_tls_open(struct mf_tls **t, const struct mf_queue_tls *cfg, char *err, size_t err_len);
void mf_tls_close(struct mf_tls **t);

/**
 * TLS handshake on the connected c, verifying the certificate for host (or
 * the SNI name when one is set). 0, or -1 with err saying what failed.
 */
int mf_tls_connect(struct mf_tls *t, redisContext *c, const char *host, char *err, size_t err_len);

#endif
