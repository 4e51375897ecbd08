// The Debian packages the test suite needs, and the command each one provides.
// `npm test` installs what is missing when it runs as root, otherwise prints the command.
export const TEST_TOOLS = [
  { pkg: 'gcc-xtensa-lx106', cmd: 'xtensa-lx106-elf-gcc' },
  { pkg: 'binutils-xtensa-lx106', cmd: 'xtensa-lx106-elf-objcopy' },
  { pkg: 'picolibc-xtensa-lx106-elf', file: '/usr/lib/xtensa-lx106-elf/include' },
  { pkg: 'gcc-riscv64-unknown-elf', cmd: 'riscv64-unknown-elf-gcc' },
  { pkg: 'picolibc-riscv64-unknown-elf', file: '/usr/lib/picolibc/riscv64-unknown-elf' },
  { pkg: 'qemu-system-misc', cmd: 'qemu-system-xtensa' },
  { pkg: 'binutils-multiarch', file: '/usr/bin/x86_64-linux-gnu-objcopy.single' },
  { pkg: 'socat', cmd: 'socat' },
  { pkg: 'scons', cmd: 'scons' },
  { pkg: 'build-essential', cmd: 'make' },
  // the lint tier: the C and C++ sources' format (.clang-format)
  { pkg: 'clang-format', cmd: 'clang-format' },
  // GDB for Xtensa and RISC-V ELFs: crash decoding after the split (test/tools/split/crash-decoding)
  { pkg: 'gdb-multiarch', cmd: 'gdb-multiarch' },
  // e2e (test/e2e): Chromium drives code-server; code-server's install needs these
  { pkg: 'chromium', cmd: 'chromium' },
  { pkg: 'ripgrep', cmd: 'rg' },
  { pkg: 'pkg-config', cmd: 'pkg-config' },
  { pkg: 'libkrb5-dev', file: '/usr/include/krb5.h' },
  { pkg: 'libx11-dev', file: '/usr/include/X11/Xlib.h' },
  { pkg: 'libxkbfile-dev', file: '/usr/include/X11/extensions/XKBfile.h' },
  { pkg: 'libsecret-1-dev', file: '/usr/include/libsecret-1/libsecret/secret.h' },
];
