// Memory Manager: Select Serial Port — a port the OS lists, or one typed; kept in the user's
// (machine) settings, never in the workspace.
import * as vscode from 'vscode';
import { saveSerialPort } from '../config';
import type { Ctx } from '../ctx';
import { errorText, log } from '../log';
import { listSerialPorts } from '../serialTransfer';
import type { Target } from '../target';

export const selectPortCommand = (ctx: Ctx) => () => selectPort(ctx);

export async function selectPort(ctx: Ctx, t = ctx.requireTarget()): Promise<string | undefined> {
  if (!t) return undefined;
  let ports: { path: string; description: string }[] = [];
  try {
    ports = await listSerialPorts();
  } catch (e) {
    log.warn(`Listing serial ports failed: ${errorText(e)}`);
  }
  const typed = '$(edit) Enter a port path…';
  const pick = await vscode.window.showQuickPick(
    [...ports.map((p) => ({ label: p.path, description: p.description })), { label: typed, description: 'e.g. /dev/ttyUSB0, COM3, a pty' }],
    {
      title: 'Memory Manager: serial port of the board',
      placeHolder: ports.length ? 'Choose the port' : 'No serial ports found — is the board connected?',
    },
  );
  if (!pick) return undefined;
  let port = pick.label;
  if (port === typed) {
    port =
      (
        await vscode.window.showInputBox({
          title: 'Serial port path',
          value: ctx.port(t as Target),
          validateInput: (v) => (v.trim() ? undefined : 'Enter a path'),
        })
      )?.trim() ?? '';
    if (!port) return undefined;
  }
  await saveSerialPort(port);
  ctx.updateStatus();
  return port;
}
