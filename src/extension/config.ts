// The extension's settings (package.json `contributes.configuration`), read typed for one
// project folder. Everything else reads them from here, never by name.
import * as vscode from 'vscode';
import type { Storage } from '../core/platformio/project';

export interface Settings {
  /** esp32mm.serialPort (machine scope): '' when not set. */
  serialPort: string;
  /** esp32mm.baudRate: the value the user set (any scope), and the declared default. */
  baudRate: { explicit?: number; default: number };
  storage: Storage | 'auto';
  deviceFolder: string;
  /** esp32mm.mapFile, relative to the project folder: '' when not set. */
  mapFile: string;
  autoSplit: boolean;
  autoUpload: boolean;
}

const SECTION = 'esp32mm';
const FALLBACK_BAUD_RATE = 921600;

export function settingsFor(projectRoot: string): Settings {
  const c = vscode.workspace.getConfiguration(SECTION, vscode.Uri.file(projectRoot));
  const baud = c.inspect<number>('baudRate');
  const storage = c.get<string>('storage', 'auto');
  return {
    serialPort: c.get<string>('serialPort', '').trim(),
    baudRate: {
      explicit: baud?.workspaceFolderValue ?? baud?.workspaceValue ?? baud?.globalValue,
      default: baud?.defaultValue ?? FALLBACK_BAUD_RATE,
    },
    storage: storage === 'sd' || storage === 'spiffs' || storage === 'littlefs' ? storage : 'auto',
    deviceFolder: c.get<string>('deviceFolder', '').trim(),
    mapFile: c.get<string>('mapFile', '').trim(),
    autoSplit: c.get<boolean>('autoSplit', false),
    autoUpload: c.get<boolean>('autoUpload', false),
  };
}

/** A port is a path of this computer: user (machine) settings, never the workspace's .vscode/settings.json. */
export async function saveSerialPort(port: string): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('serialPort', port, vscode.ConfigurationTarget.Global);
}

export function affectsSettings(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}
