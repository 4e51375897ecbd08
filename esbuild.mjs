// Builds the extension host bundle, the CLI and the webview bundle.
// `serialport` and `vscode` stay external: the first ships native prebuilds, the second
// is provided by the editor at run time.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: process.env.ESBUILD_LOG_LEVEL ?? 'info', target: 'node20' };

const builds = [
  {
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    external: ['serialport'],
    banner: { js: '#!/usr/bin/env node' },
  },
];
if (existsSync('src/extension/main.ts')) {
  builds.push({
    ...common,
    entryPoints: ['src/extension/main.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    external: ['vscode', 'serialport'],
  });
}
if (existsSync('webview-ui/main.ts')) {
  builds.push({
    ...common,
    entryPoints: ['webview-ui/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
