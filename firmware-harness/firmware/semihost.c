/* Semihosting without newlib's stdio: no heap, no FILE buffers, one trap per call. */
#include "semihost.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_GET_CMDLINE = 0x15,
    SYS_EXIT_EXTENDED = 0x20
};

static int32_t call(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int32_t sh_open(const char *path, int32_t mode)
{
    const uint32_t args[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
    return call(SYS_OPEN, args);
}

int32_t sh_read(int32_t fd, void *buf, uint32_t len)
{
    const uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, len};
    return (int32_t)len - call(SYS_READ, args);
}

int32_t sh_write(int32_t fd, const void *buf, uint32_t len)
{
    const uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, len};
    return (int32_t)len - call(SYS_WRITE, args);
}

void sh_close(int32_t fd)
{
    const uint32_t args[1] = {(uint32_t)fd};
    call(SYS_CLOSE, args);
}

void sh_print(const char *s)
{
    call(SYS_WRITE0, s);
}

int32_t sh_cmdline(char *buf, uint32_t len)
{
    uint32_t args[2] = {(uint32_t)(uintptr_t)buf, len};
    return call(SYS_GET_CMDLINE, args);
}

void sh_exit(int32_t code)
{
    const uint32_t args[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)code};
    call(SYS_EXIT_EXTENDED, args);
    for (;;) {}
}
