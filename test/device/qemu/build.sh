#!/bin/sh
# Builds the device-test firmware for one emulator with the real cross compilers.
#
#   test/device/qemu/build.sh xtensa|riscv|xtensa-fragment <outdir> [v2]
#
# v2: Adder is compiled as its second version (-DADDER_V2), everything else unchanged.
#
# xtensa and riscv place the libraries with the hand-written scripts xtensa/fw.ld and
# riscv/fw.ld; xtensa-fragment with the build integration's generated fragment
# (`esp32mm fragment`, needs `npm run build`) in front of xtensa/fw_base.ld, as a real
# ESP32 build does.
#
# Leaves <outdir>/fw.elf (unsplit; `esp32mm split` cuts the libraries out), fw.map and
# <outdir>/size.txt (the cross `size` of the loader objects). The runtime is compiled
# from firmware/src exactly as a user's build would, plus -DMM_SEMIHOSTING (storage =
# the emulator's working directory) and -DMM_NO_STDIO (no stdio on the lx106 target).
set -eu
ARCH=${1:?usage: build.sh xtensa|riscv|xtensa-fragment <outdir>}
OUT=${2:?usage: build.sh xtensa|riscv|xtensa-fragment <outdir> [v2]}
case "${3:-}" in
  "") ADDER_DEFS="" ;;
  v2) ADDER_DEFS="-DADDER_V2" ;;
  *) echo "build.sh: unknown version '$3' (v2 or nothing)" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
SRC=$ROOT/firmware/src
mkdir -p "$OUT/obj" "$OUT/lib"
OUT=$(cd "$OUT" && pwd)

case "$ARCH" in
  xtensa)
    P=xtensa-lx106-elf-
    ARCHF="-mlongcalls"
    LINK="-nostdlib -nostartfiles -T $HERE/xtensa/fw.ld"
    LIBS="-lc -lgcc"
    EXTRA="$HERE/xtensa/crt.S $HERE/xtensa/io.c" ;;
  xtensa-fragment)
    P=xtensa-lx106-elf-
    ARCHF="-mlongcalls"
    node "$ROOT/dist/cli.js" fragment --chip esp32 --libs Adder,Multiplier,Shapes --slot math:Adder,Multiplier \
      --ctors ctors -o "$OUT/esp32mm.ld"
    LINK="-nostdlib -nostartfiles -T $OUT/esp32mm.ld -T $HERE/xtensa/fw_base.ld"
    LIBS="-lc -lgcc"
    EXTRA="$HERE/xtensa/crt.S $HERE/xtensa/io.c" ;;
  riscv)
    P=riscv64-unknown-elf-
    # gcc 12: -misa-spec=2.2 keeps fence.i in rv32imac and selects picolibc's rv32imac multilib
    ARCHF="-misa-spec=2.2 -march=rv32imac -mabi=ilp32 --specs=picolibc.specs"
    LINK="--oslib=semihost --crt0=semihost -L$OUT -T $HERE/riscv/fw.ld"
    LIBS=""
    EXTRA="$HERE/riscv/io.c"
    # the firmware's own sections: the SECTIONS body of Debian's picolibc.ld
    PLD=/usr/lib/picolibc/riscv64-unknown-elf/lib/picolibc.ld
    [ -f "$PLD" ] || { echo "build.sh: $PLD missing: apt-get install picolibc-riscv64-unknown-elf" >&2; exit 1; }
    awk '/^SECTIONS/ {inside=1; getline; next} inside && /^}/ {exit} inside {print}' "$PLD" > "$OUT/picolibc_sections.ld" ;;
  *) echo "build.sh: unknown arch '$ARCH' (xtensa, riscv or xtensa-fragment)" >&2; exit 2 ;;
esac

CF="-Os -g -ffunction-sections -fdata-sections -Wall -Wextra -Werror $ARCHF -I$SRC -I$HERE/libs -DMM_SEMIHOSTING -DMM_NO_STDIO"
CXXF="-std=gnu++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics -fuse-cxa-atexit"

cc() { ${P}gcc $CF -std=gnu11 -c "$@"; }
cxx() { ${P}g++ $CF $CXXF -c "$1" -o "$2"; }

# the Memory Manager runtime (what a firmware links); size.txt measures the loader part
RUNTIME="mm_loader mm_crc32 mm_build_id mm_port_generic mm_storage_semihost mm_cxa_atexit"
for m in $RUNTIME; do cc "$SRC/$m.c" -o "$OUT/obj/$m.o"; done
cxx "$SRC/MemoryManager.cpp" "$OUT/obj/MemoryManager.o"
(cd "$OUT/obj" && ${P}size -t mm_loader.o mm_crc32.o mm_build_id.o mm_port_generic.o mm_storage_semihost.o mm_cxa_atexit.o MemoryManager.o) > "$OUT/size.txt"

# the dynamic libraries, archived as PlatformIO does (lib<Name>.a)
cc $ADDER_DEFS "$HERE/libs/adder.c" -o "$OUT/obj/adder.o"
cc "$HERE/libs/multiplier.c" -o "$OUT/obj/multiplier.o"
cxx "$HERE/libs/shapes.cpp" "$OUT/obj/shapes.o"
for l in Adder:adder Multiplier:multiplier Shapes:shapes; do
  rm -f "$OUT/lib/lib${l%%:*}.a"
  ${P}ar rcsD "$OUT/lib/lib${l%%:*}.a" "$OUT/obj/${l#*:}.o"
done

# the firmware, with the device agent and its card (semihosting) for the upload scenario
cxx "$HERE/main.cpp" "$OUT/obj/main.o"
cc "$SRC/mm_agent.c" -o "$OUT/obj/mm_agent.o"
cc "$HERE/agent_card.c" -o "$OUT/obj/agent_card.o"
n=0
for f in $EXTRA; do
  n=$((n + 1))
  ${P}gcc $CF -c "$f" -o "$OUT/obj/start$n.o"
done
# linked with gcc: no libstdc++ on these targets (the C++ code needs none)
${P}gcc $ARCHF $LINK -Wl,--gc-sections -Wl,--wrap=__cxa_atexit -Wl,-Map="$OUT/fw.map" \
  "$OUT"/obj/start*.o "$OUT/obj/main.o" $(for m in $RUNTIME; do echo "$OUT/obj/$m.o"; done) "$OUT/obj/MemoryManager.o" \
  "$OUT/obj/mm_agent.o" "$OUT/obj/agent_card.o" "$OUT/lib/libAdder.a" "$OUT/lib/libMultiplier.a" "$OUT/lib/libShapes.a" $LIBS -o "$OUT/fw.elf"
echo "built $OUT/fw.elf"
