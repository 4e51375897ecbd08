"""Stand-in for `esptool.py elf2image`: writes every allocated section that has contents
(as esptool does, by section address) into an image: b"IMG1", count, then per segment
address, length and bytes. Prints whether the ELF it read was already split (it carries
the splitter's .esp32mm section), which shows the post-link action ran first."""
import struct
import sys


def sections(data):
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx]
    for h in headers:
        name_off, sh_type, flags, addr, offset, size = h[:6]
        end = data.index(b"\0", strtab[4] + name_off)
        yield data[strtab[4] + name_off:end].decode(), sh_type, flags, addr, offset, size


def main(elf_path, bin_path):
    data = open(elf_path, "rb").read()
    if data[:4] != b"\x7fELF":
        sys.exit("elf2image: %s is not an ELF file" % elf_path)
    all_sections = list(sections(data))
    segments = [(addr, data[offset:offset + size]) for name, sh_type, flags, addr, offset, size in all_sections
                if flags & 0x2 and sh_type != 8 and size > 0]
    with open(bin_path, "wb") as out:
        out.write(b"IMG1" + struct.pack("<I", len(segments)))
        for addr, payload in segments:
            out.write(struct.pack("<II", addr, len(payload)) + payload)
    split = any(name == ".esp32mm" for name, *_ in all_sections)
    print("elf2image: %s -> %s (%d segments, input already split: %s)" % (elf_path, bin_path, len(segments), "yes" if split else "no"))


main(sys.argv[1], sys.argv[2])
