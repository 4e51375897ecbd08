#!/bin/sh
# Builds this example like `pio run -e esp32cam` with the Memory Manager's build hook, but
# with Debian's xtensa-lx106-elf-gcc and the framework stand-in in tools/framework-sim
# (see its README): .pio/build/esp32cam/firmware.elf and firmware.map, the unsplit
# firmware with TinyClassifier and ImageFilters linked into slot "ai".
#
#   ./build-example.sh             rebuild .pio/build/esp32cam/firmware.{elf,map}
#   ./build-example.sh --out DIR   write firmware.{elf,map} into DIR instead
#   ./build-example.sh --check     rebuild in a temp dir, compare with the committed files
#
# Reproducible: the build runs in a scratch copy of the project with relative paths (the
# map shows .pio/build/esp32cam/... as PlatformIO's does), no -g, deterministic archives.
# The device library is the repository's firmware/, vendored where Install puts it
# (lib/ESP32MemoryManager); include/mm_libraries.h is the project's own (Install wrote it).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT="$HERE/.pio/build/esp32cam"
CHECK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --check) CHECK=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build-example.sh: unknown argument '$1' (use --out DIR or --check)" >&2; exit 2 ;;
  esac
done
X=xtensa-lx106-elf-
command -v ${X}gcc >/dev/null 2>&1 || {
  echo "build-example.sh: ${X}gcc not found. Install: apt-get install --no-install-recommends gcc-xtensa-lx106 binutils-xtensa-lx106 picolibc-xtensa-lx106-elf" >&2
  exit 1
}

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/mm-example.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
P=$SCRATCH/esp32cam-ai
mkdir -p "$P/lib/ESP32MemoryManager"
cp -r "$HERE/src" "$HERE/include" "$HERE/lib" "$HERE/tools" "$HERE/platformio.ini" "$HERE/partitions.csv" "$P/"
cp -r "$REPO/firmware/src" "$REPO/firmware/library.json" "$P/lib/ESP32MemoryManager/"
cd "$P"

B=.pio/build/esp32cam
SIM=tools/framework-sim
MMLIB=lib/ESP32MemoryManager/src
DEFS="-DPLATFORMIO=60111 -DARDUINO_ESP32CAM -DARDUINO_ARCH_ESP32 -DESP32 -DESP_PLATFORM -DF_CPU=240000000L -DARDUINO=10812 -DARDUINO_VARIANT=\"esp32\" -DARDUINO_BOARD=\"AI_THINKER_ESP32_CAM\" -DMM_NO_STDIO"
CCFLAGS="-Os -mlongcalls -ffunction-sections -fdata-sections -Wall -ffile-prefix-map=$P=. $DEFS"
CXXFLAGS="-std=gnu++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit"
INC="-I$SIM/include -Iinclude -Isrc -Ilib/TinyClassifier/src -Ilib/ImageFilters/src -I$MMLIB"

# cc <source> <object>: C or C++ by extension, like PlatformIO's <file>.c.o / .cpp.o
cc() {
  mkdir -p "$(dirname "$2")"
  case "$1" in
    *.S) ${X}gcc $CCFLAGS -c "$1" -o "$2" ;;
    *.cpp) ${X}g++ $CCFLAGS $CXXFLAGS $INC -c "$1" -o "$2" ;;
    *) ${X}gcc $CCFLAGS -std=gnu99 $INC -c "$1" -o "$2" ;;
  esac
}
ar_() { lib=$1; shift; rm -f "$lib"; mkdir -p "$(dirname "$lib")"; ${X}ar rcsD "$lib" "$@"; }

# framework (PlatformIO builds the Arduino core into libFrameworkArduino.a; the ESP-IDF
# parts come precompiled: here sdk/libdriver.a and sdk/libesp_system.a)
objs=""
for s in $SIM/cores/*.c $SIM/cores/*.cpp; do o=$B/FrameworkArduino/$(basename "$s").o; cc "$s" "$o"; objs="$objs $o"; done
ar_ $B/libFrameworkArduino.a $objs
objs=""
for s in $SIM/driver/*.c; do o=$B/sdk/driver/$(basename "$s").o; cc "$s" "$o"; objs="$objs $o"; done
ar_ $B/sdk/libdriver.a $objs
cc $SIM/esp_system/cpu_start.c $B/sdk/esp_system/cpu_start.c.o
cc $SIM/esp_system/vectors.S $B/sdk/esp_system/vectors.S.o
ar_ $B/sdk/libesp_system.a $B/sdk/esp_system/cpu_start.c.o $B/sdk/esp_system/vectors.S.o

# project libraries: lib/<Name> -> .pio/build/esp32cam/lib<hash>/lib<Name>.a
cc lib/TinyClassifier/src/TinyClassifier.cpp $B/lib6a1/TinyClassifier/TinyClassifier.cpp.o
ar_ $B/lib6a1/libTinyClassifier.a $B/lib6a1/TinyClassifier/TinyClassifier.cpp.o
cc lib/ImageFilters/src/ImageFilters.c $B/lib2f4/ImageFilters/ImageFilters.c.o
ar_ $B/lib2f4/libImageFilters.a $B/lib2f4/ImageFilters/ImageFilters.c.o

# the device library (library.json: "libArchive": false -> its objects are linked directly).
# Not built: the POSIX and semihosting storage (PlatformIO compiles them to nothing on Arduino).
mmobjs=""
for f in MemoryManager.cpp mm_agent.c mm_agent_arduino.cpp mm_build_id.c mm_crc32.c mm_cxa_atexit.c mm_loader.c mm_port_esp.c mm_port_generic.c mm_storage_arduino.cpp; do
  o=$B/lib0c9/ESP32MemoryManager/$f.o; cc $MMLIB/$f "$o"; mmobjs="$mmobjs $o"
done

cc src/main.cpp $B/src/main.cpp.o

# the fragment the build hook writes, then the framework's scripts (docs/design.md §4);
# --wrap=__cxa_atexit as the build hook adds it
cp $SIM/ld/esp32mm.ld $B/esp32mm.ld
${X}gcc -nostdlib -nostartfiles -Wl,--gc-sections -Wl,--strip-debug -Wl,-z,max-page-size=0x10 -Wl,--wrap=__cxa_atexit \
  -Wl,-Map=$B/firmware.map -L$SIM/ld -T $B/esp32mm.ld -T memory.ld -T sections.ld \
  -Wl,--start-group $B/src/main.cpp.o $mmobjs $B/lib6a1/libTinyClassifier.a $B/lib2f4/libImageFilters.a \
  $B/libFrameworkArduino.a $B/sdk/libdriver.a $B/sdk/libesp_system.a -lc -lgcc -Wl,--end-group \
  -o $B/firmware.elf 2>"$SCRATCH/ld.log" || { cat "$SCRATCH/ld.log" >&2; exit 1; }
# ld warns that the fragment's regions are declared later (docs/design.md §4: harmless)
grep -v "memory region .* not declared\|redeclaration of memory region\|^collect2\|warning: .* has a LOAD segment with RWX" "$SCRATCH/ld.log" >&2 || true

# partitions.bin from partitions.csv, as PlatformIO's gen_esp32part.py writes it: 32-byte
# entries (magic AA 50, type, subtype, offset, size, label, flags), an MD5 entry, 0xFF fill.
python3 - partitions.csv $B/partitions.bin <<'PY'
import hashlib, struct, sys
TYPES = {'app': 0, 'data': 1}
SUBTYPES = {'nvs': 0x02, 'ota': 0x00, 'phy': 0x01, 'coredump': 0x03, 'spiffs': 0x82, 'factory': 0x00, 'ota_0': 0x10}
table = b''
for line in open(sys.argv[1]):
    if not line.strip() or line.lstrip().startswith('#'):
        continue
    name, kind, sub, offset, size = [f.strip() for f in line.split(',')[:5]]
    table += struct.pack('<2sBBLL16sL', b'\xaa\x50', TYPES[kind], SUBTYPES[sub], int(offset, 0), int(size, 0), name.encode(), 0)
table += b'\xeb\xeb' + b'\xff' * 14 + hashlib.md5(table).digest()
open(sys.argv[2], 'wb').write(table + b'\xff' * (0xc00 - len(table)))
PY

if [ "$CHECK" = 1 ]; then
  bad=0
  for f in firmware.elf firmware.map partitions.bin; do
    if ! cmp -s "$B/$f" "$OUT/$f"; then echo "build-example.sh --check: $f differs from $OUT/$f (rebuild with ./build-example.sh and commit)" >&2; bad=1; fi
  done
  [ $bad = 0 ] && echo "build-example.sh --check: firmware.elf, firmware.map and partitions.bin identical"
  exit $bad
fi
mkdir -p "$OUT"
cp $B/firmware.elf $B/firmware.map $B/partitions.bin "$OUT/"
echo "built $OUT/firmware.elf, firmware.map and partitions.bin"
