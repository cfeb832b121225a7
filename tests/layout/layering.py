#!/usr/bin/env python3
"""The layering check: which folder may include which.

Every `#include "..."` in src/, backends/, tools/ and include/ is read; a
header of the file's own folder is named bare, one of another folder by that
folder ("queue/redis_url.h"). A line that includes a folder the table does not
allow fails the test, with the file, the line and the rule it breaks.

With --compiler, every worker-side file (the folders that link no FFmpeg) is
also run through the preprocessor (-M -MG), and any FFmpeg header it reaches,
directly or through another header, fails the test.

    layering.py SOURCE_ROOT [--edges] [--compiler CC --build-root DIR]
"""
import argparse
import os
import re
import subprocess
import sys

# folder -> the folders (first path component of a quoted include) it may use.
# "mpegflow" is include/mpegflow/, the public contracts; "config" is config.h.
WORKER_SIDE = ['src/common', 'src/job', 'src/storage', 'src/queue', 'src/worker']
ALLOWED = {
    'include/mpegflow': {'mpegflow'},
    'src/common':       {'config'},
    'src/job':          {'mpegflow', 'config', 'common'},
    'src/storage':      {'mpegflow', 'config', 'common'},
    'src/queue':        {'mpegflow', 'config', 'common'},
    'src/worker':       {'mpegflow', 'config', 'common', 'job', 'storage', 'queue'},
    'src/media':        {'mpegflow', 'config', 'common', 'job'},
    'backends':         {'mpegflow', 'config'},
    'tools/bench':      {'mpegflow', 'config', 'common', 'job', 'media', '..'},
    'tools':            {'mpegflow', 'config', 'common', 'job', 'storage', 'queue', 'worker',
                         'media', 'bench'},
}
# Files of tools/ that go into `mpegflow`, which links no FFmpeg: no media/, no bench/.
WORKER_TOOLS = {'tools/main.c', 'tools/client.c', 'tools/client.h', 'tools/cmd_worker.c',
                'tools/cmd_submit.c', 'tools/cmd_status.c', 'tools/commands.h'}
FFMPEG = re.compile(r'/(libav(codec|format|util|filter|device)|libsw(scale|resample)|libpostproc)/')
# Headers meson generates into the build dir, included bare by the folder that makes them.
GENERATED = {'tools/bench': {'nginx_conf.h'}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(rel):
    d = os.path.dirname(rel)
    best = None
    for f in ALLOWED:
        if d == f or d.startswith(f + '/'):
            if best is None or len(f) > len(best):
                best = f
    return best


def sources(root):
    for top in ('src', 'backends', 'tools', 'include'):
        for dp, _, fn in os.walk(os.path.join(root, top)):
            for f in sorted(fn):
                if f.endswith(('.c', '.h')):
                    yield os.path.relpath(os.path.join(dp, f), root)


def check_includes(root, matrix=None):
    errors, edges = [], 0
    for rel in sources(root):
        folder = folder_of(rel)
        if folder is None:
            errors.append(f'{rel}: in no folder of the layering table (tests/layout/layering.py)')
            continue
        allowed = set(ALLOWED[folder])
        if rel in WORKER_TOOLS:
            allowed -= {'media', 'bench'}
        with open(os.path.join(root, rel), encoding='utf-8') as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                name = m.group(1)
                here = os.path.join(root, os.path.dirname(rel), name)
                if '/' not in name and (os.path.exists(here) or
                                        name in GENERATED.get(os.path.dirname(rel), ())):
                    continue                      # its own folder, named bare
                top = 'config' if name == 'config.h' else name.split('/')[0]
                edges += 1
                if matrix is not None:
                    matrix[(folder, top)] = matrix.get((folder, top), 0) + 1
                if '/' not in name and top != 'config':
                    errors.append(f'{rel}:{n}: "{name}" is not in {os.path.dirname(rel)}/: '
                                  'name another folder\'s header by its folder')
                elif top not in allowed:
                    errors.append(f'{rel}:{n}: {folder}/ may not include {top}/ ("{name}"); '
                                  f'{folder}/ may include: {", ".join(sorted(allowed))}')
    return errors, edges


def check_no_ffmpeg(root, compiler, build_root):
    errors = []
    files = [r for r in sources(root)
             if any(r.startswith(f + '/') for f in WORKER_SIDE) or r in WORKER_TOOLS
             or r.startswith('include/mpegflow/') and not r.endswith('encoder.h')]
    for rel in files:
        cmd = compiler + ['-std=c11', '-D_GNU_SOURCE', '-M', '-MG', '-I', build_root,
                          '-I', os.path.join(root, 'include'), '-I', os.path.join(root, 'src'),
                          '-x', 'c', os.path.join(root, rel)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            errors.append(f'{rel}: the preprocessor failed: {out.stderr.strip()[:300]}')
            continue
        hits = sorted({p for p in out.stdout.replace('\\\n', ' ').split() if FFMPEG.search(p)})
        if hits:
            errors.append(f'{rel}: worker-side file reaches FFmpeg headers: {", ".join(hits[:4])}')
    return errors, len(files)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('root')
    ap.add_argument('--compiler', nargs='+')
    ap.add_argument('--build-root')
    ap.add_argument('--edges', action='store_true', help='print the include lines per folder pair')
    a = ap.parse_args()
    matrix = {}
    errors, edges = check_includes(a.root, matrix)
    print(f'{edges} cross-folder include lines checked against the layering table')
    if a.edges:
        for (src, dst), n in sorted(matrix.items()):
            print(f'  {src:18} -> {dst:10} {n}')
    if a.compiler:
        ff_errors, n = check_no_ffmpeg(a.root, a.compiler, a.build_root)
        print(f'{n} worker-side files preprocessed: no FFmpeg header may be reached')
        errors += ff_errors
    for e in errors:
        print('layering: ' + e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
