import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests (pure TypeScript, committed fixtures) and the slower
// tiers that run real cross compilers, QEMU and serial ports.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      // the real-builds corpus beside the repository (../shared/real-builds); `npm run test:corpus`
      { test: { name: 'corpus', include: ['test/corpus/**/*.test.ts'], testTimeout: 120_000 } },
      // mutated ELFs and maps, fixed seed and time budget (test/fuzz/fuzz.ts); `npm run test:fuzz`
      { test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], testTimeout: 170_000, hookTimeout: 120_000 } },
      {
        test: {
          name: 'tools',
          include: ['test/tools/**/*.test.ts'],
          exclude: ['test/tools/device/**'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      // device runtime: host C tests (ASan/UBSan) + QEMU xtensa/riscv; `npm run test:device`
      { test: { name: 'device', include: ['test/tools/device/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      // real VS Code (code-server) + Chromium; `npm run test:e2e` installs and packages first
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 300_000, fileParallelism: false } },
    ],
  },
});
