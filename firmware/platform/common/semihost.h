/*
 * semihost.h - the one semihosting call the emulator platforms use: SYS_EXIT_EXTENDED.
 * Only for QEMU (-semihosting-config enable=on): on a board without a debugger the
 * BKPT instruction faults.
 */
#ifndef TE_SEMIHOST_H
#define TE_SEMIHOST_H

void te_semihost_exit(int code) __attribute__((noreturn));

#endif /* TE_SEMIHOST_H */
