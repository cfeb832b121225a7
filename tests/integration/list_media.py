"""Print the sample media files in DIR (argument), one per line."""
import os
import sys

d = sys.argv[1]
if os.path.isdir(d):
    for name in sorted(os.listdir(d)):
        if not name.endswith(".md") and os.path.isfile(os.path.join(d, name)):
            print(name)
