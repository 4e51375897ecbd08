import { describe, expect, it } from 'vitest';
import { explainOpenError, rankPorts } from '../../../src/core/transfer/serial-link';
import { remoteDir } from '../../../src/core/transfer/upload';
import { explainUploadFsFailure, findPio, parseUploadFsLine, runUploadFs, uploadFsArgs } from '../../../src/core/transfer/uploadfs';
import { deviceError, Status } from '../../../src/core/transfer';

describe('port discovery and open errors', () => {
  it('ranks known ESP32 USB bridges first, by VID:PID', () => {
    const r = rankPorts([
      { path: '/dev/ttyS0' },
      { path: '/dev/ttyUSB0', vendorId: '10C4', productId: 'EA60' },
      { path: '/dev/ttyACM0', vendorId: '303a', productId: '1001' },
      { path: '/dev/ttyUSB1', vendorId: '1a86', productId: '55d4' },
      { path: '/dev/ttyUSB2', vendorId: '0403', productId: '6015' },
      { path: '/dev/ttyUSB3', vendorId: '1a86', productId: '7523' },
      { path: '/dev/ttyUSB4', vendorId: '0403', productId: '6001' },
      { path: '/dev/ttyACM9', vendorId: '2341', productId: '0043', manufacturer: 'Arduino' },
    ]);
    expect(r.filter((p) => p.known).map((p) => p.description)).toEqual([
      'Silicon Labs CP210x',
      'Espressif USB-JTAG/serial',
      'WCH CH9102',
      'FTDI FT231X',
      'WCH CH340',
      'FTDI FT232R',
    ]);
    expect(r.slice(-2).map((p) => p.path)).toEqual(['/dev/ttyS0', '/dev/ttyACM9']);
  });

  it('turns lock / busy / missing / permission errors into advice', () => {
    expect(
      explainOpenError('/dev/ttyUSB0', 'Error Resource temporarily unavailable Cannot lock port', ['4242 (python3 pio device monitor)']),
    ).toMatchObject({
      code: 'PORT_BUSY',
      message: expect.stringMatching(/PlatformIO's serial monitor.*4242 \(python3 pio device monitor\).*Close it/s),
    });
    expect(explainOpenError('COM3', 'Opening COM3: Access denied', [])).toMatchObject({ code: 'PORT_BUSY' });
    expect(explainOpenError('/dev/ttyUSB9', 'Error: No such file or directory, cannot open /dev/ttyUSB9', [])).toMatchObject({
      code: 'PORT_NOT_FOUND',
    });
    expect(explainOpenError('/dev/ttyUSB0', 'Error: Permission denied, cannot open', [])).toMatchObject({
      code: 'PORT_ERROR',
      message: expect.stringMatching(/dialout/),
    });
  });

  it('device statuses carry their name and what to do', () => {
    expect(deviceError('upload /mm/a', Status.FULL).message).toBe(
      'upload /mm/a: FULL — the card is full: remove files (esp32mm rm) or use a larger card',
    );
  });
});

describe('destination folder', () => {
  it('keeps --dest inside the agent root', () => {
    expect(remoteDir('/mm', '/mm')).toBe('/mm');
    expect(remoteDir('/mm/', '/mm')).toBe('/mm');
    expect(remoteDir('/mm/sub', '/mm')).toBe('/mm/sub');
    expect(remoteDir('sub', '/mm')).toBe('/mm/sub');
    expect(remoteDir('/anything', '/')).toBe('/anything');
    expect(() => remoteDir('/mmx', '/mm')).toThrow(/outside the folder the agent serves/);
    expect(() => remoteDir('/', '/mm')).toThrow(/outside/);
  });
});

describe('uploadfs bootstrap', () => {
  it('builds the pio command line', () => {
    expect(uploadFsArgs({ project: '/p', env: 'esp32cam' })).toEqual([
      'run',
      '--target',
      'uploadfs',
      '--environment',
      'esp32cam',
      '--project-dir',
      '/p',
    ]);
    expect(uploadFsArgs({ project: '/p', env: 'e', port: '/dev/ttyUSB0' }).slice(-2)).toEqual(['--upload-port', '/dev/ttyUSB0']);
  });

  it('parses esptool v4 and v5 output into progress and phases', () => {
    // Lines as printed by `pio run -t uploadfs` with esptool.py v4.5 (LittleFS, ESP32).
    const v4 = `Building FS image from 'data' directory to .pio/build/esp32cam/littlefs.bin
/mm/TinyClassifier_e
Looking for upload port...
Auto-detected: /dev/ttyUSB0
Uploading .pio/build/esp32cam/littlefs.bin
esptool.py v4.5.1
Serial port /dev/ttyUSB0
Connecting.....
Chip is ESP32-D0WD-V3 (revision v3.0)
Writing at 0x00290000... (7 %)
Writing at 0x0029c000... (53 %)
Writing at 0x002fe000... (100 %)
Wrote 1507328 bytes (11612 compressed) at 0x00290000 in 2.4 seconds (effective 5007.5 kbit/s)...
Hash of data verified.
Hard resetting via RTS pin...`
      .split('\n')
      .map(parseUploadFsLine);
    expect(v4.filter((e) => e?.kind === 'progress')).toEqual([
      { kind: 'progress', percent: 7, address: 0x290000 },
      { kind: 'progress', percent: 53, address: 0x29c000 },
      { kind: 'progress', percent: 100, address: 0x2fe000 },
    ]);
    expect(v4.filter((e) => e?.kind === 'phase').map((e) => e?.kind === 'phase' && e.phase)).toEqual([
      'build-image',
      'connect',
      'connect',
      'connect',
      'write',
      'verify',
      'done',
    ]);
    // esptool v5 progress bar.
    expect(parseUploadFsLine('Writing at 0x00290000 [==========>                   ]  35.2% 4096/11612 bytes...')).toEqual({
      kind: 'progress',
      percent: 35.2,
      address: 0x290000,
    });
  });

  it('says how to install pio when it is missing, and explains a busy port', async () => {
    expect(findPio('/opt/pio/bin/pio')).toBe('/opt/pio/bin/pio');
    const err = await runUploadFs({ project: '/tmp', env: 'x', pio: '/nonexistent/pio' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PIO_MISSING', message: expect.stringMatching(/pip install --user -U platformio/) });
    expect(
      explainUploadFsFailure(1, ["A fatal error occurred: Could not open /dev/ttyUSB0, the port is busy or doesn't exist."]),
    ).toMatchObject({ code: 'PORT_BUSY' });
  });
});

describe('Linux sysfs port discovery (when udevadm is missing)', () => {
  it('finds VID:PID in the USB device folder above the tty', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { listLinuxUsbSerial } = await import('../../../src/core/transfer/serial-link');
    const root = mkdtempSync(join(tmpdir(), 'mm-sysfs-'));
    const usb = join(root, 'devices/pci0000:00/usb1/1-2');
    mkdirSync(join(usb, '1-2:1.0/ttyUSB0'), { recursive: true });
    writeFileSync(join(usb, 'idVendor'), '10c4\n');
    writeFileSync(join(usb, 'idProduct'), 'ea60\n');
    mkdirSync(join(root, 'class/tty/ttyUSB0'), { recursive: true });
    symlinkSync(join(usb, '1-2:1.0'), join(root, 'class/tty/ttyUSB0/device'));
    mkdirSync(join(root, 'class/tty/ttyS0'), { recursive: true }); // not USB: ignored
    expect(listLinuxUsbSerial(join(root, 'class/tty'))).toEqual([{ path: '/dev/ttyUSB0', vendorId: '10c4', productId: 'ea60' }]);
    expect(rankPorts(listLinuxUsbSerial(join(root, 'class/tty')))[0]).toMatchObject({ known: true, description: 'Silicon Labs CP210x' });
  });
});
