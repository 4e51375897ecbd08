// The "Memory Map" webview view: hosts dist/webview.js under a strict CSP and forwards
// ViewState objects to it. It keeps the last state so a re-opened view shows it at once.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { HostToWebview, ViewState, WebviewToHost } from '../../webview-ui/model';
import { webviewBody } from '../../webview-ui/shell';
import { log } from './log';

export class MemoryMapView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly id = 'esp32mm.memoryMap';
  private view?: vscode.WebviewView;
  private state?: ViewState;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: (msg: WebviewToHost) => void,
    private readonly onVisible: () => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist, media] };
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'sidebar');
    this.disposables.push(
      view.webview.onDidReceiveMessage((msg: WebviewToHost) => {
        if (msg.type === 'ready') {
          this.ready = true;
          if (this.state) this.post({ type: 'state', state: this.state });
          else this.onVisible();
        } else if (msg.type === 'rendered') {
          log.debug(`memory map rendered: ${msg.libraries} libraries × ${msg.regions} regions in ${msg.ms.toFixed(1)} ms`);
        } else {
          this.onMessage(msg);
        }
      }),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.onVisible();
      }),
      view.onDidDispose(() => {
        this.view = undefined;
        this.ready = false;
      }),
    );
  }

  get visible(): boolean {
    return !!this.view?.visible;
  }

  show(state: ViewState): void {
    this.state = state;
    if (this.view) this.view.description = `${state.project} · ${state.env}`;
    if (this.ready) this.post({ type: 'state', state });
  }

  busy(text: string | null): void {
    if (this.state) this.state = { ...this.state, busy: text ?? undefined };
    if (this.ready) this.post({ type: 'busy', text });
  }

  private post(msg: HostToWebview): void {
    void this.view?.webview.postMessage(msg);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The page of both Memory Map webviews: dist/webview.js under a strict CSP (no inline code, no remote anything). */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, layout: 'sidebar' | 'full'): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${css}">
<title>Memory Map</title>
</head>
<body data-layout="${layout}">
${webviewBody(layout)}
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
