#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/ from the repository's fixtures and a sample of the PostgreSQL
regression-test SQL (../shared/stress/pg-regress-sql when present). The seeds are the starting
point only; the committed corpus (fuzz/corpus/<target>/) is what `cargo fuzz cmin` kept of them
plus what the fuzzer found.

usage: python3 fuzz/make-seeds.py [PG_REGRESS_DIR]"""
import hashlib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REGRESS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "stress", "pg-regress-sql")
MAX_FILE = 32 * 1024


def tracked(prefix):
    out = subprocess.run(["git", "-C", ROOT, "ls-files", prefix], capture_output=True, check=True)
    return [os.path.join(ROOT, p) for p in out.stdout.decode().splitlines()]


def clip(b, limit=MAX_FILE):
    """At most `limit` bytes, cut after a statement end when there is one."""
    if len(b) <= limit:
        return b
    cut = b.rfind(b";\n", 0, limit)
    return b[: cut + 2] if cut > 0 else b[:limit]


def write(target, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def statements(b):
    """A rough split at `;` + newline: good enough for seeds."""
    return [s.strip() for s in re.split(rb";[ \t]*\r?\n", b) if s.strip()]


sql = [p for p in tracked("fixtures") if p.endswith(".sql")]
regress = []
if os.path.isdir(REGRESS):
    names = sorted(n for n in os.listdir(REGRESS) if n.endswith(".sql"))
    regress = [os.path.join(REGRESS, n) for n in names[::6]]
files = [open(p, "rb").read() for p in sql + regress]

for i, b in enumerate(files):
    b = clip(b)
    write("split", b)
    # pipeline: an options byte (see fuzz/src/checks.rs `pipeline`), varied over the seeds
    write("pipeline", bytes([(i * 37) & 0xFF]) + b)
    for s in statements(b)[:200]:
        write("fallback", s[:4096])

# layout: every fixture project as a tree (options byte 0: lint the root, no forced layout
# beyond a second pass with golang-migrate for a few)
projects = os.path.join(ROOT, "fixtures", "projects")
for k, name in enumerate(sorted(os.listdir(projects))):
    base = os.path.join(projects, name)
    files = [p for p in tracked(base) if os.path.isfile(p)]
    if not files:
        continue
    recs = []
    for p in files:
        rel = os.path.relpath(p, base).encode()
        body = open(p, "rb").read().replace(b"\0", b"")
        recs.append(rel + b"\n" + clip(body, 4096))
    opts = 0x1F if k % 3 else (k % 17)
    write("layout", bytes([opts]) + b"\0".join(recs))
