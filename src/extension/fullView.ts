// The Memory Map in an editor tab ("Memory Manager: Open Memory Map"): the same webview code
// as the sidebar in its full layout (headroom, filter, drill-down, comparisons, export). One
// panel; opening it again reveals it. It keeps the last state so a re-created page shows it.
import * as vscode from 'vscode';
import type { HostToWebview, ViewState, WebviewToHost } from '../../webview-ui/model';
import { webviewHtml } from './mapView';

export class MemoryMapPanel implements vscode.Disposable {
  static readonly viewType = 'esp32mm.memoryMapPanel';
  private panel?: vscode.WebviewPanel;
  private state?: ViewState;
  private ready = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: (msg: WebviewToHost) => void,
  ) {}

  get isOpen(): boolean {
    return !!this.panel;
  }

  open(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const roots = [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
    const panel = vscode.window.createWebviewPanel(MemoryMapPanel.viewType, 'Memory Map', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: roots,
      retainContextWhenHidden: true,
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity.svg');
    this.panel = panel;
    this.ready = false;
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'full');
    panel.webview.onDidReceiveMessage((msg: WebviewToHost) => {
      if (msg.type === 'ready') {
        this.ready = true;
        if (this.state) this.post({ type: 'state', state: this.state });
      } else if (msg.type !== 'rendered') {
        this.onMessage(msg);
      }
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
    this.title();
  }

  show(state: ViewState): void {
    this.state = state;
    this.title();
    if (this.ready) this.post({ type: 'state', state });
  }

  busy(text: string | null): void {
    if (this.state) this.state = { ...this.state, busy: text ?? undefined };
    if (this.ready) this.post({ type: 'busy', text });
  }

  post(msg: HostToWebview): void {
    void this.panel?.webview.postMessage(msg);
  }

  private title(): void {
    if (this.panel && this.state) this.panel.title = `Memory Map · ${this.state.project}${this.state.env ? ` · ${this.state.env}` : ''}`;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
