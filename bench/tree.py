#!/usr/bin/env python3
"""tree.py: the source tree of mount_bench.sh's metadata case.

  tree.py gen OUT.tar [--files N] [--dirs D] [--seed S]
      write a tar of N files (default 10000) in D directories (default 300,
      nested up to 3 deep) with sizes 0..64 KiB (64 KiB * u**4: median
      4 KiB, mean ~13 KiB, like a source tree) and pseudo-random contents,
      all from the seed (default 42): the same bytes on every run and
      machine (fixed names, modes, mtimes, uid/gid 0, sorted).
  tree.py sum PATH
      PATH a tar or a directory: prints "FILES DIRS BYTES SHA256", the
      digest over the sorted relative paths with each file's sha256 (a
      tar's top directory and a directory's own name are not part of it).
  tree.py check DIR FILES BYTES [TIMEOUT]
      wait (a walk every 50 ms, up to TIMEOUT s, default 300) until DIR
      holds FILES regular files of BYTES bytes in all (FILES 0: until DIR
      is gone or empty); prints 0 if it did at the first look, else the
      time (epoch seconds) at the end of the walk that found it; exit 1 on
      timeout.
"""
import hashlib
import io
import os
import random
import sys
import tarfile
import time


def gen(out, nfiles=10000, ndirs=300, seed=42):
    rnd = random.Random(seed)
    dirs = ["tree"]
    for i in range(ndirs - 1):
        parent = rnd.choice([d for d in dirs if d.count("/") < 3])
        dirs.append(f"{parent}/d{i:03d}")
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        entries = [(d, None) for d in dirs]
        for i in range(nfiles):
            size = int(65536 * rnd.random() ** 4)
            entries.append((f"{rnd.choice(dirs)}/f{i:05d}.{rnd.choice('chsmp')}", size))
        for name, size in sorted(entries):
            ti = tarfile.TarInfo(name)
            ti.mtime = 1764979200  # 2025-12-06
            ti.uid = ti.gid = 0
            if size is None:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(ti)
            else:
                ti.size, ti.mode = size, 0o644
                tar.addfile(ti, io.BytesIO(rnd.randbytes(size)))


def _digest(items):
    h = hashlib.sha256()
    for line in sorted(items):
        h.update(line.encode() + b"\n")
    return h.hexdigest()


def sum_tar(path):
    files = dirs = nbytes = 0
    items = []
    with tarfile.open(path) as tar:
        for m in tar:
            rel = m.name.partition("/")[2]
            if m.isdir():
                if rel:
                    dirs += 1
                    items.append(rel + "/")
            elif m.isfile():
                data = tar.extractfile(m).read()
                files += 1
                nbytes += len(data)
                items.append(rel + " " + hashlib.sha256(data).hexdigest())
            else:
                items.append(rel + " ?" + m.type.decode())
    return files, dirs, nbytes, _digest(items)


def sum_dir(top):
    files = dirs = nbytes = 0
    items = []
    for d, ds, fs in os.walk(top):
        for n in ds:
            dirs += 1
            items.append(os.path.relpath(os.path.join(d, n), top) + "/")
        for n in fs:
            p = os.path.join(d, n)
            if os.path.islink(p) or not os.path.isfile(p):
                items.append(os.path.relpath(p, top) + " ?")
                continue
            with open(p, "rb") as f:
                data = f.read()
            files += 1
            nbytes += len(data)
            items.append(os.path.relpath(p, top) + " " + hashlib.sha256(data).hexdigest())
    return files, dirs, nbytes, _digest(items)


def count(top):
    files = nbytes = 0
    for d, _, fs in os.walk(top):
        for n in fs:
            try:
                st = os.lstat(os.path.join(d, n))
            except FileNotFoundError:
                continue
            files += 1
            nbytes += st.st_size
    return files, nbytes


def check(top, want_files, want_bytes, timeout=300.0):
    end = time.time() + timeout
    first = True
    while True:
        files, nbytes = count(top)
        if (files, nbytes) == (want_files, want_bytes) and (
            want_files or not os.path.exists(top) or not os.listdir(top)
        ):
            print("0" if first else "%.6f" % time.time())
            return 0
        if time.time() > end:
            print(f"{files} files, {nbytes} bytes after {timeout:.0f} s", file=sys.stderr)
            return 1
        first = False
        time.sleep(0.05)


def main(argv):
    if len(argv) >= 3 and argv[1] == "gen":
        opts = dict(zip(argv[3::2], argv[4::2]))
        gen(argv[2], int(opts.get("--files", 10000)), int(opts.get("--dirs", 300)),
            int(opts.get("--seed", 42)))
        return 0
    if len(argv) == 3 and argv[1] == "sum":
        p = argv[2]
        print(*(sum_dir(p) if os.path.isdir(p) else sum_tar(p)))
        return 0
    if len(argv) in (5, 6) and argv[1] == "check":
        return check(argv[2], int(argv[3]), int(argv[4]), float(argv[5]) if len(argv) == 6 else 300.0)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
