/* Exception vectors at VECBASE (.iram0.vectors, 0x40080000), at the offsets ESP-IDF's
 * sections.ld reserves for them. Every exception ends in a panic loop: this simulation
 * has no panic handler, core dump or reboot. */
    .section .WindowVectors.text, "ax"
    .global _xt_vectors
_xt_vectors:
    j _xt_panic

    .section .Level2InterruptVector.text, "ax"
    j _xt_panic

    .section .KernelExceptionVector.text, "ax"
    j _xt_panic

    .section .UserExceptionVector.text, "ax"
    j _xt_panic

    .section .DoubleExceptionVector.text, "ax"
    j _xt_panic

    .section .iram1.panic, "ax"
    .align 4
    .global _xt_panic
_xt_panic:
    j _xt_panic
