// The thin serial side of the transfer client: open a port (with plain-language errors for
// the usual failures), find candidate ports by USB VID:PID, and adapt it to a ByteLink.
import { readdirSync, readlinkSync, readFileSync, realpathSync } from 'node:fs';
// serialport (a native module) is loaded on first use, so that every other esp32mm
// command and the extension's activation do not pay for it.
const loadSerialPort = async () => (await import('serialport')).SerialPort;
import type { ByteLink } from './client';
import { TransferError } from './errors';

/** USB-serial bridges found on ESP32 boards. */
export const KNOWN_USB_IDS: { vid: string; pid: string; name: string }[] = [
  { vid: '303a', pid: '1001', name: 'Espressif USB-JTAG/serial' },
  { vid: '10c4', pid: 'ea60', name: 'Silicon Labs CP210x' },
  { vid: '1a86', pid: '7523', name: 'WCH CH340' },
  { vid: '1a86', pid: '55d4', name: 'WCH CH9102' },
  { vid: '0403', pid: '6001', name: 'FTDI FT232R' },
  { vid: '0403', pid: '6015', name: 'FTDI FT231X' },
];

export interface PortCandidate {
  path: string;
  vid?: string;
  pid?: string;
  description: string;
  known: boolean;
}

/** Pure: marks which listed ports are known ESP32 bridges, known ones first. */
export function rankPorts(ports: { path: string; vendorId?: string; productId?: string; manufacturer?: string }[]): PortCandidate[] {
  return ports
    .map((p) => {
      const vid = p.vendorId?.toLowerCase();
      const pid = p.productId?.toLowerCase();
      const id = KNOWN_USB_IDS.find((k) => k.vid === vid && k.pid === pid);
      return { path: p.path, vid, pid, known: !!id, description: id?.name ?? p.manufacturer ?? 'unknown device' };
    })
    .sort((a, b) => Number(b.known) - Number(a.known));
}

export async function listEsp32Ports(): Promise<PortCandidate[]> {
  try {
    return rankPorts(await (await loadSerialPort()).list());
  } catch (e) {
    // serialport lists Linux ports through `udevadm`; without it, read sysfs directly.
    if (process.platform === 'linux') return rankPorts(listLinuxUsbSerial());
    throw e;
  }
}

/** USB serial ports from /sys/class/tty: the VID:PID sit in an ancestor USB device folder. */
export function listLinuxUsbSerial(sys = '/sys/class/tty') {
  const out: { path: string; vendorId?: string; productId?: string }[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(sys).filter((n) => /^tty(USB|ACM)\d+$/.test(n));
  } catch {
    return out;
  }
  for (const name of names) {
    let dir: string;
    try {
      dir = realpathSync(`${sys}/${name}/device`);
    } catch {
      continue;
    }
    for (let d = dir; d.length > 1; d = d.slice(0, d.lastIndexOf('/'))) {
      try {
        const vendorId = readFileSync(`${d}/idVendor`, 'utf8').trim();
        const productId = readFileSync(`${d}/idProduct`, 'utf8').trim();
        out.push({ path: `/dev/${name}`, vendorId, productId });
        break;
      } catch {
        /* keep climbing */
      }
    }
  }
  return out;
}

/** Linux only: processes that have `path` open (e.g. `pio device monitor`), for the error text. */
export function portHolders(path: string): string[] {
  if (process.platform !== 'linux') return [];
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return [];
  }
  const holders: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    try {
      const fds = readdirSync(`/proc/${pid}/fd`);
      if (
        !fds.some((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
          } catch {
            return false;
          }
        })
      )
        continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      holders.push(`${pid} (${cmd.slice(0, 80)})`);
    } catch {
      /* not ours to read */
    }
  }
  return holders;
}

/** Maps an open() failure to what the user should do. Pure, for tests. */
export function explainOpenError(path: string, message: string, holders: string[]): TransferError {
  const by = holders.length ? ` It is open in: ${holders.join(', ')}.` : '';
  if (/Cannot lock port|EBUSY|Resource busy|Access denied|resource temporarily unavailable/i.test(message)) {
    return new TransferError(
      'PORT_BUSY',
      `${path} is in use by another program (PlatformIO's serial monitor?).${by} Close it (Ctrl+C in the monitor terminal) and try again.`,
    );
  }
  if (/ENOENT|No such file|File not found|cannot find/i.test(message)) {
    return new TransferError(
      'PORT_NOT_FOUND',
      `${path} does not exist: is the board plugged in? Without --port, esp32mm uses the only ESP32 USB-serial port it finds.`,
    );
  }
  if (/EACCES|Permission denied/i.test(message)) {
    return new TransferError(
      'PORT_ERROR',
      `no permission to open ${path}: add your user to the dialout group (sudo usermod -aG dialout $USER, then log in again).`,
    );
  }
  return new TransferError('PORT_ERROR', `cannot open ${path}: ${message}`);
}

export async function openSerialLink(path: string, baudRate = 921600): Promise<ByteLink> {
  const SerialPort = await loadSerialPort();
  const port = new SerialPort({ path, baudRate, autoOpen: false, lock: true });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(explainOpenError(path, err.message, portHolders(path))) : resolve())),
  );
  port.on('error', () => {
    /* reported as a timeout by the client */
  });
  return {
    write: (bytes) => {
      port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    },
    onData: (listener) => {
      port.on('data', (b: Buffer) => listener(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) {
          resolve();
          return;
        }
        port.drain(() => port.close(() => resolve()));
      }),
  };
}
