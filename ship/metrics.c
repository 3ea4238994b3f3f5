/* metrics.c: tapdns-ship's counters as a Prometheus file (ship.h). */
#include "metrics.h"
#include "ship.h"
#include <stdio.h>

int ship_metrics_write(const char *dir, const char *name, const struct ship_counter *c, size_t n, char *err,
                       size_t errlen)
{
    struct td_metrics *m = td_metrics_new(err, errlen);
    if (!m)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char full[TD_METRIC_NAME_MAX + 1];
        snprintf(full, sizeof full, "tapdns_ship_%s_total", c[i].name);
        struct td_metric *x = td_metrics_counter(m, full, c[i].help, NULL, err, errlen);
        if (!x)
            rc = -1;
        td_metric_set_counter(x, c[i].value);
    }
    if (rc == 0)
        rc = td_metrics_write_file(m, dir, name, err, errlen);
    td_metrics_free(&m);
    return rc;
}
