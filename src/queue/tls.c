/* rediss://: see tls.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "tls.h"

#if HAVE_REDIS_TLS
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <hiredis/hiredis_ssl.h>

struct mf_tls {
    SSL_CTX *ctx;
    char sni[256];
    char ca[64];                   /* which store: for "unknown CA" messages */
    int insecure;
    int has_cert;                  /* a client certificate is configured */
};

/*
 * Keeps the refused certificate's date for the message: after a failed
 * handshake OpenSSL no longer has the peer's certificate. The buffer is the
 * SSL's app data (char[64]).
 */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
    int e = X509_STORE_CTX_get_error(x);
    if (ok || (e != X509_V_ERR_CERT_HAS_EXPIRED && e != X509_V_ERR_CERT_NOT_YET_VALID))
        return ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    char *when = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *cert = X509_STORE_CTX_get_current_cert(x);
    BIO *b = when && cert ? BIO_new(BIO_s_mem()) : NULL;
    if (b && ASN1_TIME_print(b, e == X509_V_ERR_CERT_HAS_EXPIRED ? X509_get0_notAfter(cert)
                                                                 : X509_get0_notBefore(cert)) == 1) {
        int n = BIO_read(b, when, 63);
        when[n > 0 ? n : 0] = 0;
    }
    BIO_free(b);
    return ok;
}

int mf_tls_available(void)
{
    return 1;
}

/* The newest OpenSSL error's reason, or fallback. */
static const char *ssl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

static int load_ca(struct mf_tls *t, const char *ca, char *err, size_t err_len)
{
    if (!ca || !*ca) {
        snprintf(t->ca, sizeof(t->ca), "the system CA store");
        if (SSL_CTX_set_default_verify_paths(t->ctx) == 1)
            return 0;
        snprintf(err, err_len, "Redis TLS: cannot load the system CA store: %s", ssl_reason("?"));
        return -1;
    }
    struct stat st;
    if (stat(ca, &st)) {
        snprintf(err, err_len, "MPEGFLOW_REDIS_CA: %s: no such file or directory", ca);
        return -1;
    }
    int dir = S_ISDIR(st.st_mode);
    snprintf(t->ca, sizeof(t->ca), "MPEGFLOW_REDIS_CA");
    if (SSL_CTX_load_verify_locations(t->ctx, dir ? NULL : ca, dir ? ca : NULL) == 1)
        return 0;
    snprintf(err, err_len, "MPEGFLOW_REDIS_CA: %s: not a PEM CA bundle: %s", ca, ssl_reason("?"));
    return -1;
}

static int load_client_cert(struct mf_tls *t, const char *cert, const char *key, char *err, size_t err_len)
{
    int has_cert = cert && *cert, has_key = key && *key;
    if (!has_cert && !has_key)
        return 0;
    if (has_cert != has_key) {
        snprintf(err, err_len, "%s: set without %s (a client certificate needs both)",
                 has_cert ? "MPEGFLOW_REDIS_CERT" : "MPEGFLOW_REDIS_KEY",
                 has_cert ? "MPEGFLOW_REDIS_KEY" : "MPEGFLOW_REDIS_CERT");
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
        snprintf(err, err_len, "MPEGFLOW_REDIS_CERT: %s: %s", cert, ssl_reason("not a PEM certificate"));
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, err_len, "MPEGFLOW_REDIS_KEY: %s does not match MPEGFLOW_REDIS_CERT %s", key, cert);
        else
            snprintf(err, err_len, "MPEGFLOW_REDIS_KEY: %s: %s", key, ssl_reason("not a PEM private key"));
        return -1;
    }
    if (SSL_CTX_check_private_key(t->ctx) != 1) {
        snprintf(err, err_len, "MPEGFLOW_REDIS_KEY: %s does not match MPEGFLOW_REDIS_CERT %s", key, cert);
        return -1;
    }
    return 0;
}

int mf_tls_open(struct mf_tls **tp, const struct mf_queue_tls *cfg, char *err, size_t err_len)
{
    *tp = NULL;
    struct mf_tls *t = calloc(1, sizeof(*t));
    if (!t || !(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        snprintf(err, err_len, "Redis TLS: out of memory");
        free(t);
        return -1;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    t->insecure = cfg->insecure;
    if (cfg->sni && strlen(cfg->sni) >= sizeof(t->sni)) {
        snprintf(err, err_len, "MPEGFLOW_REDIS_SNI: too long");
        mf_tls_close(&t);
        return -1;
    }
    snprintf(t->sni, sizeof(t->sni), "%s", cfg->sni ? cfg->sni : "");
    ERR_clear_error();
    if (load_ca(t, cfg->ca, err, err_len) || load_client_cert(t, cfg->cert, cfg->key, err, err_len)) {
        mf_tls_close(&t);
        return -1;
    }
    t->has_cert = cfg->cert && *cfg->cert;
    SSL_CTX_set_verify(t->ctx, t->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, verify_cb);
    *tp = t;
    return 0;
}

void mf_tls_close(struct mf_tls **tp)
{
    if (!*tp)
        return;
    SSL_CTX_free((*tp)->ctx);
    free(*tp);
    *tp = NULL;
}

static int is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Why verification refused the server's certificate, in an operator's words. */
static void verify_error(const struct mf_tls *t, long v, const char *when, const char *name,
                         char *err, size_t err_len)
{
    switch (v) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        snprintf(err, err_len, "the server's certificate has expired (not after %s)", when);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        snprintf(err, err_len, "the server's certificate is not valid yet (not before %s)", when);
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        snprintf(err, err_len, "wrong host name: the server's certificate is not for '%s' "
                 "(MPEGFLOW_REDIS_SNI names the host to expect)", name);
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        snprintf(err, err_len, "unknown CA: the server's certificate is not signed by a CA in %s (%s)",
                 t->ca, X509_verify_cert_error_string(v));
        break;
    default:
        snprintf(err, err_len, "the server's certificate was refused: %s", X509_verify_cert_error_string(v));
    }
}

/*
 * With TLS 1.3 a server that requires a client certificate refuses it after
 * the handshake, so the first command just finds the connection reset. One
 * PING here turns that into a message that says why (an error reply such as
 * NOAUTH is fine: the connection works).
 */
static int check_no_client_cert(redisContext *c, char *err, size_t err_len)
{
    redisReply *r = redisCommand(c, "PING");
    if (r) {
        freeReplyObject(r);
        return 0;
    }
    snprintf(err, err_len, "the server closed the connection after the TLS handshake (%s): it "
             "probably requires a client certificate (mutual TLS: MPEGFLOW_REDIS_CERT and "
             "MPEGFLOW_REDIS_KEY)", c->errstr);
    return -1;
}

int mf_tls_connect(struct mf_tls *t, redisContext *c, const char *host, char *err, size_t err_len)
{
    const char *name = t->sni[0] ? t->sni : host;
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl) {
        snprintf(err, err_len, "TLS: out of memory");
        return -1;
    }
    if (!is_ip(name))
        SSL_set_tlsext_host_name(ssl, name);   /* SNI is for names only */
    if (!t->insecure) {
        X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
        int ok = is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(p, name) : SSL_set1_host(ssl, name);
        if (ok != 1) {
            snprintf(err, err_len, "TLS: bad host name '%s'", name);
            SSL_free(ssl);
            return -1;
        }
    }
    char when[64] = "?";
    SSL_set_app_data(ssl, when);
    ERR_clear_error();
    if (redisInitiateSSL(c, ssl) == REDIS_OK) {
        SSL_set_app_data(ssl, NULL);           /* c owns ssl now */
        return t->has_cert ? 0 : check_no_client_cert(c, err, err_len);
    }
    long v = SSL_get_verify_result(ssl);
    if (v != X509_V_OK && !t->insecure)
        verify_error(t, v, when, name, err, err_len);
    else
        snprintf(err, err_len, "TLS handshake: %s", c->errstr);
    SSL_free(ssl);
    return -1;
}

#else /* !HAVE_REDIS_TLS */

int mf_tls_available(void)
{
    return 0;
}

int mf_tls_open(struct mf_tls **t, const struct mf_queue_tls *cfg, char *err, size_t err_len)
{
    (void)cfg;
    *t = NULL;
    snprintf(err, err_len, "rediss:// (TLS) is not supported by this build (hiredis < 1.0, "
             "built without the hiredis wrap); use redis://");
    return -1;
}

void mf_tls_close(struct mf_tls **t)
{
    *t = NULL;
}

int mf_tls_connect(struct mf_tls *t, redisContext *c, const char *host, char *err, size_t err_len)
{
    (void)t, (void)c, (void)host;
    snprintf(err, err_len, "rediss:// is not supported by this build");
    return -1;
}

#endif
