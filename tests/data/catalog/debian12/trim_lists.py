"""How the trimmed apt lists of this fixture were made (run once, on the source machine).

    python trim_lists.py /var/lib/dpkg/status /var/lib/apt/lists OUTPUT_DIR

Keeps, from every `*_Packages.lz4` in the lists directory, the stanzas of package names present in
the dpkg status file, and writes them xz-compressed under the same name with `.xz`. InRelease files
are copied unchanged next to them by hand (`cp /var/lib/apt/lists/*InRelease OUTPUT_DIR`).
"""

import lzma
import pathlib
import re
import sys

import lz4.frame  # type: ignore[import-untyped, unused-ignore]


def main() -> None:
    status, source, target = map(pathlib.Path, sys.argv[1:4])
    names = set(re.findall(r"^Package: (\S+)$", status.read_text(), re.MULTILINE))
    for file in sorted(source.glob("*_Packages.lz4")):
        text = lz4.frame.decompress(file.read_bytes()).decode()
        keep = [
            stanza
            for stanza in text.split("\n\n")
            if (found := re.match(r"Package: (\S+)", stanza)) and found.group(1) in names
        ]
        out = target / (file.name.removesuffix(".lz4") + ".xz")
        out.write_bytes(lzma.compress(("\n\n".join(keep) + "\n").encode()))
        print(out.name, len(keep))


if __name__ == "__main__":
    main()
