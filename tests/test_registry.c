/* The backend table: every entry complete, names unique, lookup exact. */
#include <string.h>

#include "mpegflow/encoder.h"
#include "unit.h"

int main(void)
{
    const struct mf_encoder_backend *const *all = mf_encoder_backends();
    int n = 0;
    for (const struct mf_encoder_backend *const *b = all; *b; b++, n++) {
        CHECK((*b)->name && (*b)->name[0]);
        CHECK((*b)->probe && (*b)->open && (*b)->send_frame && (*b)->receive_packet && (*b)->close);
        CHECK(mf_encoder_backend_find((*b)->name) == *b);
        for (const struct mf_encoder_backend *const *c = all; c != b; c++)
            CHECK(strcmp((*c)->name, (*b)->name) != 0);
    }
    CHECK(n >= 1);
    CHECK(mf_encoder_backend_find("no-such-backend") == NULL);
    CHECK(mf_encoder_backend_find("X264") == NULL);   /* names are exact */
    UNIT_DONE();
}
