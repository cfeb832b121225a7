#!/usr/bin/env python3
"""embed_text.py NAME INPUT OUTPUT: a C header with INPUT's text as `static const char NAME[]`."""
import sys

name, src, dst = sys.argv[1:4]
with open(src, encoding="utf-8") as f:
    text = f.read()
body = "".join('    "%s\\n"\n' % line.replace("\\", "\\\\").replace('"', '\\"') for line in text.splitlines())
with open(dst, "w", encoding="utf-8") as f:
    f.write(f"/* Generated from {src.rsplit('/', 1)[-1]} by embed_text.py: edit that file. */\n")
    f.write(f"static const char {name}[] =\n{body};\n")
