/* Start-up for the device-test firmware on qemu-system-xtensa -M sim -cpu lx106.
 * QEMU resets the CPU after loading the ELF: execution starts at the lx106 reset vector
 * 0x50000000 (.resetvec). _start points VECBASE at the vectors below; every exception
 * (a call into code that is not loaded executes zeros = `ill`) ends QEMU with exit 99
 * through semihosting (simcall, bytes 00 51 00; call 1 = exit). */
    .section .iram0.vectors, "ax"
    .global _vectors
    .align 256
_vectors:
    .org 0x30                   /* kernel exception */
    movi a2, 1
    movi a3, 99
    .byte 0x00, 0x51, 0x00
    .org 0x50                   /* user exception */
    movi a2, 1
    movi a3, 99
    .byte 0x00, 0x51, 0x00
    .org 0x70                   /* double exception */
    movi a2, 1
    movi a3, 99
    .byte 0x00, 0x51, 0x00

    .section .iram1.start, "ax"
    .literal_position
    .global _start
    .align 4
_start:
    movi a2, _vectors
    wsr a2, vecbase
    rsync
    movi a1, _stack_top
    movi a0, 0
    movi a4, fw_boot            /* zero bss, run the firmware's constructors, main, exit */
    callx0 a4
1:  j 1b

    .section .resetvec, "ax"
    .global _resetvec
_resetvec:
    j 1f
    .align 4
2:  .word _start
1:  l32r a0, 2b
    jx a0
