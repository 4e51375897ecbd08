# ESP32 Memory Manager: PlatformIO build hook (esp32mm-managed file).
#
# `esp32mm init` copies this file next to platformio.ini and adds
# `extra_scripts = post:memory_manager.py`; `esp32mm init --uninstall` removes both.
#
# For an environment with `custom_mm_libs` it
#   1. writes the linker fragment $BUILD_DIR/esp32mm.ld (`esp32mm fragment`) and passes it
#      with -T BEFORE the framework's linker scripts (after them ld stops with
#      ".iram0.text not found for insert");
#   2. makes ld write a map file (-Wl,-Map) if the build does not already (any form of the
#      flag counts, see _map_flag_path), and links with
#      -Wl,--wrap=__cxa_atexit so that a loaded library's static destructors run when it
#      is unloaded (the device library's mm_cxa_atexit.c; without the device library the
#      fragment points the wrapper back at the C library's __cxa_atexit);
#   3. right after ${PROGNAME}.elf is linked, and so before ${PROGNAME}.bin is made from it:
#      runs the build doctor (`esp32mm doctor`: memory protection or the PMP split on, PSRAM
#      the chip cannot give, a slot past the end of IRAM, a library ESP-IDF keeps resident;
#      the build's sdkconfig.h is $BUILD_DIR/config/sdkconfig.h or, for Arduino's precompiled
#      SDK, the first one on the include path as gcc searches it, @response files included;
#      an error stops the build and says the fix), checks the map (`esp32mm fragment
#      --check-map`) and splits the ELF (`esp32mm split`) into <lib>_e / <lib>_d files in
#      the configuration's outDir (<data_dir>/mm for spiffs and littlefs, sd/mm for sd). A failure stops the build. Before that check it records where the
#      build's files are, in $BUILD_DIR/esp32mm-build.json (the configuration's buildRecord).
#
# esp32mm-build.json, the contract with the esp32mm CLI and the VS Code extension (they
# read it to find the map; keep the file name and the three keys as they are):
#   { "elf": "<absolute path of ${PROGNAME}.elf>",
#     "map": "<absolute path of the map ld wrote>",
#     "partitions": "<absolute path of $BUILD_DIR/partitions.bin>" or null if there is none }
# Written after every link of an environment with custom_mm_libs, atomically (a temporary
# file in $BUILD_DIR, then os.replace): a reader sees the old file or the new one, whole.
#
# What to do comes from the CLI, not from this file: one `esp32mm config --json <project>
# --env <env>` per build resolves the environment's custom_mm_* options (the chip, the
# libraries and slots, where code and data go, the storage and the folder the split writes
# into, the fragment's path and the `esp32mm fragment` arguments). This script only adapts
# SCons: it adds the link flags and runs the commands the configuration names.
# With flash slots the configuration is given the partition table the build makes
# partitions.bin from ($PARTITIONS_TABLE_CSV, else partitions.bin; docs/design.md §6a).
#
# Where the esp32mm command comes from (the first that applies); none of them is a path
# of one machine, so the script works for teammates and CI that get it from git:
#   1. the ESP32MM_CLI environment variable: a path to cli.js (run with node) or to an
#      executable;
#   2. the project's own npm install: node_modules/.bin/esp32mm in the project folder
#      (`npm install --save-dev esp32-memory-manager`);
#   3. the CLI that installed this script (INSTALLED_CLI below, written by `esp32mm init`),
#      e.g. the one bundled with the VS Code extension, if that file still exists here;
#   4. `esp32mm` on PATH;
#   5. `npx --no-install esp32mm`, if the project's package.json lists the package.
# If none applies the build stops and says what to install.
# node is ESP32MM_NODE if set, else `node` on PATH.

Import("env")  # noqa: F821 (provided by SCons)

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

INSTALLED_CLI = None  # set by `esp32mm init`

WRAP_CXA_ATEXIT = "-Wl,--wrap=__cxa_atexit"
EMIT_RELOCS = "-Wl,--emit-relocs"
TAG = "esp32mm"


def _fail(message):
    sys.stderr.write("\n%s: error: %s\n\n" % (TAG, message))
    sys.stderr.flush()
    Exit(1)  # noqa: F821 (provided by SCons)


def _as_command(path, origin):
    if not os.path.exists(path):
        _fail("%s points to %s, which does not exist" % (origin, path))
    if path.lower().endswith((".js", ".cjs", ".mjs")):
        node = os.environ.get("ESP32MM_NODE") or shutil.which("node")
        if not node:
            _fail("node was not found to run %s: install Node.js 20+ or set ESP32MM_NODE" % path)
        return [node, path]
    return [path]


NPM_PACKAGE = "esp32-memory-manager"


def _project_cli():
    """node_modules/.bin/esp32mm of the project (esp32mm.cmd on Windows), or None."""
    bin_dir = os.path.join(env.subst("$PROJECT_DIR"), "node_modules", ".bin")  # noqa: F821
    for name in ("esp32mm.cmd", "esp32mm") if os.name == "nt" else ("esp32mm",):
        if os.path.isfile(os.path.join(bin_dir, name)):
            return os.path.join(bin_dir, name)
    return None


def _package_json_lists_us():
    path = os.path.join(env.subst("$PROJECT_DIR"), "package.json")  # noqa: F821
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return False
    return any(NPM_PACKAGE in (data.get(k) or {}) for k in ("dependencies", "devDependencies"))


def _cli():
    if os.environ.get("ESP32MM_CLI"):
        return _as_command(os.environ["ESP32MM_CLI"], "ESP32MM_CLI")
    local = _project_cli()
    if local:
        return [local]
    if INSTALLED_CLI and os.path.exists(INSTALLED_CLI):
        return _as_command(INSTALLED_CLI, "INSTALLED_CLI")
    found = shutil.which("esp32mm")
    if found:
        return [found]
    npx = shutil.which("npx")
    if npx and _package_json_lists_us():
        return [npx, "--no-install", "esp32mm"]
    _fail("the esp32mm command was not found (this build needs it to split the dynamic libraries). "
          "Install it in this project: `npm install --save-dev %s` (Node.js 20+), "
          "or install it for this machine: `npm install -g %s`, "
          "or set ESP32MM_CLI to the path of esp32mm's cli.js. "
          "In VS Code the ESP32 Memory Manager extension brings it: run "
          "\"Memory Manager: Install Build Integration\" again." % (NPM_PACKAGE, NPM_PACKAGE))


def _run(args, what):
    command = _cli() + args
    print("%s: %s" % (TAG, " ".join(_quote(a) for a in args)))
    sys.stdout.flush()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if result.stdout:
        sys.stdout.write(result.stdout)
    if result.stderr:
        sys.stderr.write(result.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if result.returncode != 0:
        sys.stderr.write("\n%s: error: %s failed (exit code %d); see the message above\n\n" % (TAG, what, result.returncode))
        return False
    return True


def _quote(arg):
    return '"%s"' % arg if (" " in arg or not arg) else arg


def _partition_table(build_dir):
    # The CSV the platform builds partitions.bin from (board_build.partitions or the
    # framework's default table), else a partitions.bin an earlier build left.
    csv = env.subst("$PARTITIONS_TABLE_CSV")  # noqa: F821
    if csv and os.path.isfile(csv):
        return csv
    built = os.path.join(build_dir, "partitions.bin")
    return built if os.path.isfile(built) else None


def _is_script_flag(flag):
    # -T <file>, -T<file>, -Wl,-T,<file>, -Wl,--script=<file>; not -Ttext=/-Tdata=/-Tbss=
    return bool(re.match(r"^(-T(?!text|data|bss|ldata)|-Wl,-T|-Wl,--script)", flag))


def _flag_list(value):
    # LINKFLAGS is a list (CLVar) in PlatformIO; a plain string is split as SCons does.
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    flags = []
    for item in value:
        flags.extend(_flag_list(item) if isinstance(item, (list, tuple)) else [item])
    return flags


def _unquote(text):
    # '-Wl,-Map="%s"' (arduino-esp32's builder) leaves the quotes in the flag: the shell
    # removes them on the link line, and so does this.
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _linker_args(flags):
    # What ld receives from the gcc driver: -Wl,a,b gives a and b; -Xlinker x gives x; any
    # other item is passed on in place (a lone path after -Wl,-Map becomes its argument).
    args = []
    i = 0
    while i < len(flags):
        flag = _unquote(flags[i])
        if flag.startswith("-Wl,"):
            args.extend(flag[len("-Wl,"):].split(","))
        elif flag == "-Xlinker" and i + 1 < len(flags):
            i += 1
            args.append(_unquote(flags[i]))
        else:
            args.append(flag)
        i += 1
    return args


def _map_flag_path(flags, elf):
    # The map file named by any form of ld's map option that builds use, or None:
    #   -Wl,-Map=<p>  -Wl,--Map=<p> (ESP-IDF)  -Wl,-Map,<p>  -Wl,--Map,<p>  -Map=<p>  --Map=<p>
    #   -Map <p>, -Wl,-Map <p> and -Xlinker -Map -Xlinker <p> (two list items),
    #   '-Wl,-Map="%s"' % join("$BUILD_DIR", ...) (arduino-esp32: quotes inside the flag).
    # $BUILD_DIR, ${PROGNAME}, $TARGET ... are substituted as SCons does on the link line, quotes
    # stripped, and a relative path taken from the folder ld runs in (SCons's top folder).
    args = _linker_args([str(f) for f in flags])
    for i, arg in enumerate(args):
        m = re.match(r"^--?Map=(.+)$", arg)
        path = m.group(1) if m else (args[i + 1] if arg in ("-Map", "--Map") and i + 1 < len(args) else None)
        if path:
            path = _unquote(env.subst(_unquote(path), target=env.File(elf)))  # noqa: F821
            return os.path.normpath(os.path.join(env.Dir("#").get_abspath(), path))  # noqa: F821
    return None


def _wraps_cxa_atexit(flags):
    # --wrap=__cxa_atexit or --wrap __cxa_atexit, in any form that reaches ld.
    args = _linker_args([str(f) for f in flags])
    return any(re.match(r"^--?wrap=__cxa_atexit$", a) or (a in ("-wrap", "--wrap") and args[i + 1:i + 2] == ["__cxa_atexit"])
               for i, a in enumerate(args))


def _response_file_args(path, seen):
    # gcc's @file: the file's contents are arguments, split at white space outside quotes,
    # with backslash escapes, and may name further @files. An unreadable file is passed on
    # as the literal argument, as gcc does.
    if path in seen:
        return []
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return ["@" + path]
    args = []
    for arg in shlex.split(text, posix=True):
        args.extend(_response_file_args(_from_top(arg[1:]), seen | {path}) if arg.startswith("@") else [arg])
    return args


def _from_top(path):
    # gcc opens a relative @file from the folder the compiler runs in: SCons's top folder.
    return path if os.path.isabs(path) else os.path.join(env.Dir("#").get_abspath(), path)  # noqa: F821


def _expand(items):
    # Strings with $VARIABLES substituted; @file items replaced by the file's arguments
    # (Arduino-ESP32 3.x passes its hundreds of SDK include folders that way).
    args = []
    for item in items:
        text = env.subst(str(item))  # noqa: F821
        args.extend(_response_file_args(_from_top(text[1:]), frozenset()) if text.startswith("@") else [text])
    return args


# gcc's option → the search list it adds to. A header included as "sdkconfig.h" is looked
# for in the -iquote folders, then the -I chain (-I and -iwithprefixbefore, in command-line
# order), then -isystem, then -idirafter and -iwithprefix.
_INCLUDE_OPTIONS = (("-iwithprefixbefore", "chain"), ("-iwithprefix", "after"), ("-iprefix", None),
                    ("-isystem", "system"), ("-iquote", "quote"), ("-idirafter", "after"), ("-I", "chain"))


def _include_dirs_of_flags(args, lists):
    # Appends the folders of -I<dir>, -I <dir>, -isystem/-iquote/-idirafter <dir>, and
    # -iwithprefix(before) <d> after -iprefix <p> (which name <p><d>) to lists[group].
    prefix = ""
    i = 0
    while i < len(args):
        arg = args[i]
        for option, group in _INCLUDE_OPTIONS:
            if arg.startswith(option):
                value = arg[len(option):]
                if not value and i + 1 < len(args):
                    i += 1
                    value = args[i]
                if group is None:
                    prefix = value
                else:
                    lists[group].append(prefix + value if option.startswith("-iwithprefix") else value)
                break
        i += 1


def _include_dirs():
    # The include folders in the order the compiler searches them. SCons writes CCFLAGS and
    # CPPFLAGS before the -I flags of CPPPATH ($_CPPINCFLAGS); CPPPATH items are strings with
    # $VARIABLES or #-relative, Dir nodes, or @files; @files anywhere are expanded.
    lists = {"quote": [], "chain": [], "system": [], "after": []}
    flags = _flag_list(env.get("CCFLAGS", [])) + _flag_list(env.get("CPPFLAGS", []))  # noqa: F821
    _include_dirs_of_flags(_expand(flags), lists)
    for item in _flag_list(env.get("CPPPATH", [])):  # noqa: F821
        if hasattr(item, "get_abspath"):
            lists["chain"].append(item.get_abspath())
        elif env.subst(str(item)).startswith("@"):  # noqa: F821
            _include_dirs_of_flags(_expand([item]), lists)
        else:
            lists["chain"].append(str(item))
    folders = lists["quote"] + lists["chain"] + lists["system"] + lists["after"]
    return [f if os.path.isabs(f) else env.Dir(env.subst(f)).get_abspath() for f in folders]  # noqa: F821


def _sdkconfig_header():
    # The sdkconfig.h the sources were compiled with: an ESP-IDF build writes
    # $BUILD_DIR/config/sdkconfig.h (esp32mm doctor finds that one itself); the Arduino core's
    # precompiled SDK ships one per chip, found as the compiler finds it: the first include
    # folder that has it.
    for folder in _include_dirs():
        path = os.path.join(folder, "sdkconfig.h")
        if os.path.isfile(path):
            return path
    return None


def _doctor_args(elf_path, map_path):
    args = ["doctor", env.subst("$PROJECT_DIR"), "--env", env.subst("$PIOENV"), "--elf", elf_path, "--map", map_path]  # noqa: F821
    header = _sdkconfig_header()
    if header and not os.path.isfile(os.path.join(env.subst("$BUILD_DIR"), "config", "sdkconfig.h")):  # noqa: F821
        args += ["--sdkconfig", header]
    return args


def _write_build_info(path, build_dir, elf_path, map_path):
    partitions = os.path.join(build_dir, "partitions.bin")
    info = {
        "elf": os.path.abspath(elf_path),
        "map": os.path.abspath(map_path),
        "partitions": os.path.abspath(partitions) if os.path.isfile(partitions) else None,
    }
    temp = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(temp, "w") as f:
            f.write(json.dumps(info, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.remove(temp)


def _board_mcu():
    # PlatformIO's board manifest knows the MCU of every board (board_build.mcu included);
    # the CLI weighs it with custom_mm_chip and the rest. The plain SCons harness has no board.
    try:
        return env.BoardConfig().get("build.mcu", "")  # noqa: F821
    except Exception:
        return ""


def _config():
    """`esp32mm config --json` of this environment: everything this script acts on."""
    args = ["config", env.subst("$PROJECT_DIR"), "--env", env.subst("$PIOENV"), "--build-dir", env.subst("$BUILD_DIR"), "--json"]  # noqa: F821
    mcu = _board_mcu()
    if mcu:
        args += ["--mcu", mcu]
    table = _partition_table(env.subst("$BUILD_DIR"))  # noqa: F821
    if table:
        args += ["--partitions", table]
    result = subprocess.run(_cli() + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        _fail("the Memory Manager options of [env:%s] cannot be used (esp32mm %s); see the message above"
              % (env.subst("$PIOENV"), " ".join(_quote(a) for a in args)))  # noqa: F821
    try:
        return json.loads(result.stdout)
    except ValueError:
        _fail("esp32mm config --json printed no JSON (is the esp32mm found older than this script? "
              "install the same version, see the top of memory_manager.py)")


def _setup():
    # An environment that runs this script twice (listed twice in extra_scripts) is set up once.
    if env.get("ESP32MM_HOOKED"):  # noqa: F821
        return
    env.Replace(ESP32MM_HOOKED=True)  # noqa: F821
    config = _config()
    libs = config["libs"]
    if not libs:
        print("%s: custom_mm_libs is empty, nothing to do" % TAG)
        return
    build_dir = env.subst("$BUILD_DIR")  # noqa: F821
    elf = os.path.join(build_dir, env.subst("${PROGNAME}.elf"))  # noqa: F821
    fragment = config["fragment"]
    if not os.path.isdir(build_dir):
        os.makedirs(build_dir)

    if not _run(config["fragmentArgs"], "writing the linker fragment"):
        Exit(1)  # noqa: F821

    flags = _flag_list(env.get("LINKFLAGS", []))  # noqa: F821
    if fragment not in flags:
        first_script = next((i for i, f in enumerate(flags) if _is_script_flag(str(f))), len(flags))
        flags[first_script:first_script] = ["-T", fragment]
    map_file = _map_flag_path(flags, elf)
    if map_file is None:
        map_file = os.path.join(build_dir, env.subst("${PROGNAME}.map"))  # noqa: F821
        flags.append("-Wl,-Map=" + map_file)
    if not _wraps_cxa_atexit(flags):
        flags.append(WRAP_CXA_ATEXIT)
    # The link check's reference audit reads relocations where the link keeps them (RISC-V
    # code cannot be checked without); they go to the ELF's .rela sections, not the image.
    if EMIT_RELOCS not in flags:
        flags.append(EMIT_RELOCS)
    env.Replace(LINKFLAGS=flags)  # noqa: F821
    # A changed fragment (other libraries, slots) must relink, and so split again.
    env.Depends(elf, fragment)  # noqa: F821

    out_dir = config["outDir"]
    record = config["buildRecord"]
    lib_list = ",".join(libs)

    def after_link(target, source, env):
        elf_path = target[0].get_abspath()
        try:
            _write_build_info(record, build_dir, elf_path, map_file)
        except OSError as e:
            sys.stderr.write("\n%s: error: cannot write %s: %s\n\n" % (TAG, record, e))
            return 1
        if not _run(_doctor_args(elf_path, map_file), "the build doctor (esp32mm doctor)"):
            return 1
        if not _run(["fragment", "--check-map", map_file, "--elf", elf_path, "--libs", lib_list] + config["checkMapArgs"], "checking the link map"):
            return 1
        if not _run(["split", elf_path, "--out", out_dir, "--libs", lib_list], "splitting %s" % elf_path):
            return 1
        return 0

    env.AddPostAction(elf, env.Action(after_link, "%s: checking the link map and splitting the ELF" % TAG))  # noqa: F821


_setup()
