/* Arm semihosting calls (BKPT 0xAB): files on the host, the command line, and the exit status. */
#ifndef PQK_SEMIHOST_H
#define PQK_SEMIHOST_H

#include <stdint.h>

int32_t sh_open(const char *path, int32_t mode);             /* mode 1 = "rb", 5 = "wb"; -1 on failure */
int32_t sh_read(int32_t fd, void *buf, uint32_t len);        /* bytes read */
int32_t sh_write(int32_t fd, const void *buf, uint32_t len); /* bytes written */
void sh_close(int32_t fd);
void sh_print(const char *s); /* to QEMU's semihosting console */
int32_t sh_cmdline(char *buf, uint32_t len);
void sh_exit(int32_t code) __attribute__((noreturn));

#endif
