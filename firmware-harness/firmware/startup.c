/* Reset and fault vectors for every Cortex-M board: copy .data, clear .bss, turn the FPU on, run main. */
#include <stdint.h>
#include <string.h>

#include "semihost.h"

extern uint32_t __stack_top, __data_start, __data_end, __data_load, __bss_start, __bss_end;
int main(void);

void Reset_Handler(void) __attribute__((noreturn));
static void Fault_Handler(void)
{
    sh_print("pqk-error: hard fault\n"), sh_exit(3);
}

__attribute__((section(".vectors"), used)) static const uintptr_t vectors[16] = {
    (uintptr_t)&__stack_top,
    (uintptr_t)Reset_Handler,
    (uintptr_t)Fault_Handler,
    (uintptr_t)Fault_Handler,
    (uintptr_t)Fault_Handler,
    (uintptr_t)Fault_Handler,
    (uintptr_t)Fault_Handler,
    0,
    0,
    0,
    0,
    (uintptr_t)Fault_Handler,
    (uintptr_t)Fault_Handler,
    0,
    (uintptr_t)Fault_Handler,
    (uintptr_t)Fault_Handler,
};

void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CPACR: full access to CP10/CP11 (FPU and MVE). */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    memcpy(&__data_start, &__data_load, (size_t)((uintptr_t)&__data_end - (uintptr_t)&__data_start));
    memset(&__bss_start, 0, (size_t)((uintptr_t)&__bss_end - (uintptr_t)&__bss_start));
    sh_exit(main());
}
