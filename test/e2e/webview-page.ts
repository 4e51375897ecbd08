// A stand-alone page that loads the real dist/webview.js and media/webview.css the way the
// extension does, with a stub of the webview API and VS Code's Dark Modern colours, so the
// webview can be timed and looked at in Chromium without VS Code around it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE, REPO } from './harness';
import { webviewBody } from '../../webview-ui/shell';

const DARK_THEME = `
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-foreground: #cccccc;
  --vscode-sideBar-background: #181818; --vscode-descriptionForeground: #9d9d9d; --vscode-input-background: #313131;
  --vscode-widget-border: #313131; --vscode-charts-blue: #3794ff; --vscode-charts-green: #89d185;
  --vscode-charts-orange: #d18616; --vscode-charts-purple: #b180d7; --vscode-charts-yellow: #cca700;
  --vscode-charts-red: #f14c4c; --vscode-charts-foreground: #cccccc; --vscode-charts-lines: rgba(204,204,204,.5);
  --vscode-textLink-foreground: #4daafc; --vscode-focusBorder: #0078d4; --vscode-badge-background: #616161;
  --vscode-badge-foreground: #f8f8f8; --vscode-list-hoverBackground: #2a2d2e; --vscode-disabledForeground: #5a5a5a;
  --vscode-editorWarning-foreground: #cca700; --vscode-panel-border: #2b2b2b;`;

/** The page of the sidebar view, or of the editor-tab view (`full`). */
export function writeWebviewTestPage(layout: 'sidebar' | 'full' = 'sidebar'): string {
  const dir = join(CACHE, 'webview-page');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${layout}.html`);
  const url = (p: string) => pathToFileURL(join(REPO, p)).href;
  writeFileSync(
    file,
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="${url('media/webview.css')}">
<style>html { ${DARK_THEME} }</style>
<script>
  window.__posted = [];
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => {} });
</script></head><body data-layout="${layout}">
${webviewBody(layout)}

<script src="${url('dist/webview.js')}"></script></body></html>`,
  );
  return pathToFileURL(file).href;
}
