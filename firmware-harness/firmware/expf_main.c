/* Firmware that writes pqk_expf over a strided sweep of float bit patterns, so a test can compare the Cortex-M
 * results with the host C library's expf:  fw OUT.bin STRIDE  (the sweep is the one pqk-micro-unit --sweep makes). */
#include <stdint.h>

#include "../src/exp_f32.h"
#include "semihost.h"

int main(void)
{
    static char cmdline[256];
    char *argv[3] = {0, 0, 0};
    int n = 0;
    if (sh_cmdline(cmdline, sizeof cmdline) != 0) return 4;
    for (char *s = cmdline; *s && n < 3;) {
        while (*s == ' ') *s++ = '\0';
        if (*s) argv[n++] = s;
        while (*s && *s != ' ') s++;
    }
    if (n < 3) return 4;
    uint32_t stride = 0;
    for (const char *s = argv[2]; *s >= '0' && *s <= '9'; s++) stride = stride * 10 + (uint32_t)(*s - '0');
    const int32_t fd = sh_open(argv[1], 5);
    if (fd < 0 || stride == 0) return 4;
    static float block[1024];
    uint32_t k = 0;
    float x;
    for (uint32_t i = 0; pqk_expf_sweep_at(i, stride, &x); i++) {
        block[k++] = pqk_expf(x);
        if (k == 1024) sh_write(fd, block, sizeof block), k = 0;
    }
    sh_write(fd, block, k * sizeof(float));
    sh_close(fd);
    return 0;
}
