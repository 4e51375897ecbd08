// Core and the CLI speak the command line ("pass --map", "Without --port…"); the extension
// speaks VS Code (commands, settings, buttons). Core stays one home for each message and its
// facts: here each CLI hint it contains is replaced by the VS Code way to do the same, and
// errors with a code (TransferError) get the wording of the button the extension offers.
// test/unit/extension/messages.test.ts runs every core message literal through this and
// fails on any CLI flag left. No 'vscode' here, so it is unit-tested directly.

/** A CLI hint in core's wording → the VS Code way to do it. Order matters only within a message. */
const HINTS: [RegExp, string][] = [
  // transfer (serial upload)
  [
    /Without --port, esp32mm uses the only ESP32 USB-serial port it finds\./,
    "Choose the board's port with Memory Manager: Select Serial Port.",
  ],
  [
    /\(or flash it first; without the agent use --uploadfs\)/,
    '(or flash it first; without the agent, Memory Manager: Upload Libraries to SPIFFS/LittleFS can write the whole file-system image)',
  ],
  [
    /Flash the matching firmware first \(pio run -t upload\), or pass --ignore-build-id\./,
    'Upload the matching firmware first (PlatformIO: Upload), or press Upload Anyway.',
  ],
  [
    /--dest (\S+) is outside the folder the agent serves \(([^)]*)\); use --dest (\S+)/,
    'the device folder $1 is outside the folder the agent serves ($2): set the esp32mm.deviceFolder setting (or custom_mm_dir in platformio.ini) to $3',
  ],
  [
    /Install it with `python3 -m pip install --user -U platformio` \(or (the PlatformIO IDE extension for VS Code), which puts it in ([^)]*)\), then run again; or give its location with --pio <path>\./,
    'Install $1 (it puts pio in $2) or put pio on PATH, then try again.',
  ],
  // memory map
  [
    /Pass --map <firmware\.map> for exact attribution\./,
    'For exact attribution build with a linker map (Memory Manager: Install Build Integration adds one) or set esp32mm.mapFile.',
  ],
  [/\(rebuild, or pass the right --map\)/, '(rebuild, or set esp32mm.mapFile to the map of this build)'],
  [/\(pass --map <firmware\.map>\)/, '(build with a linker map, or set esp32mm.mapFile)'],
  // platformio.ini, build integration, link check
  [/: choose one with --env/, ': choose one with Memory Manager: Select Environment'],
  [/, then run init again/, ', then run Memory Manager: Install Build Integration again'],
  [/ \(--libs A,B\)/, ' (pick at least one in Memory Manager: Install Build Integration)'],
  [/ \/ --libs\)/, ' in platformio.ini)'],
  [/ \/ --psram-code-addr\)/, ' in platformio.ini)'],
  [/ \(--flash-code-addr\)/, ' in platformio.ini'],
  [/: --partitions <partitions\.csv\|partitions\.bin>\)/, ': board_build.partitions in platformio.ini, then build)'],
  [
    /: give --chip and --partitions <partitions\.csv\|partitions\.bin>/,
    ': build with Memory Manager: Install Build Integration, whose build hook passes both',
  ],
  [
    /\(write it with `esp32mm fragment --chip <chip> --libs [^`]*` and pass it with -T before the framework's linker scripts; the build hook does both\)/,
    '(Memory Manager: Install Build Integration adds the build hook, which writes that fragment and passes it to the linker)',
  ],
  [/, --gc-sections\)/, ', removed as unused by the linker)'],
  [/removed by --gc-sections or unused/, 'removed as unused by the linker, or never referenced'],
  // a linker flag the user adds to build_flags in platformio.ini
  [/link with -Wl,--emit-relocs/, 'add -Wl,--emit-relocs to build_flags in platformio.ini'],
];

/** `text` with every CLI hint core put in it replaced by the VS Code command or setting. */
export function inVsCodeTerms(text: string): string {
  let out = text;
  for (const [pattern, replacement] of HINTS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * VS Code renders `[label](command:…)` and `[label](https://…)` in notification text as
 * links: workspace text (library and section names, file paths, a tool's stderr) must not be
 * able to make one. A zero-width space between `]` and `(` keeps the text as it reads.
 */
export function escapeNotification(text: string): string {
  return text.replace(/\]\(/g, ']\u200b(');
}
