#!/usr/bin/env python3
"""Build a minimal, valid wheel and sdist of a pure-Python project.

Standard library only, so the tests need nothing but python3:

    python3 build_dists.py NAME VERSION OUTDIR [--requires-python SPEC]
        [--requires-dist REQ]... [--summary TEXT]

writes OUTDIR/{dist}-{version}-py3-none-any.whl and OUTDIR/{dist}-{version}.tar.gz
({dist} is NAME normalised with underscores, as PEP 427 and PEP 625 ask) and
prints their paths, the wheel first, one a line. VERSION should be in its PEP 440
normal form ("1.0.post1", not "1.0-1"): it goes into the file names as given.

The project is one module, {dist}.py, with __version__ = VERSION, so that an
installed copy can be checked with `python3 -c "import {dist}; print({dist}.__version__)"`.

The sdist builds offline: its pyproject.toml names this very script, copied into
the sdist, as an in-tree PEP 517 backend with no build requirements, so
`pip install --no-binary :all:` works against an index that holds nothing else.
"""

import argparse
import base64
import hashlib
import io
import os
import re
import sys
import tarfile
import time
import zipfile

# A fixed timestamp keeps the archives byte-for-byte reproducible.
EPOCH = 1700000000
ZIP_DATE = time.gmtime(EPOCH)[:6]


def dist_name(name):
    """The name as it appears in file names: PEP 503-normalised, '_' for runs of -_."""
    return re.sub(r"[-_.]+", "_", name).lower()


def metadata(name, version, requires_python=None, requires_dist=(), summary=None):
    """Core metadata 2.1 (what twine 4.0.2's pkginfo reads) with a markdown description."""
    summary = summary or "A test project for %s" % name
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % name,
        "Version: %s" % version,
        "Summary: %s" % summary,
        "Home-page: https://example.invalid/%s" % name,
        "Author: Artifortress Tests",
        "Author-email: tests@example.invalid",
        "License: MIT",
        "Keywords: artifortress,test",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: License :: OSI Approved :: MIT License",
        "Project-URL: Source, https://example.invalid/%s/src" % name,
        "Project-URL: Issues, https://example.invalid/%s/issues" % name,
    ]
    if requires_python:
        lines.append("Requires-Python: %s" % requires_python)
    lines += ["Requires-Dist: %s" % r for r in requires_dist]
    lines.append("Description-Content-Type: text/markdown")
    description = '# %s\n\nVersion %s, with <markup> & "quotes".\n' % (name, version)
    return ("\n".join(lines) + "\n\n" + description).encode("utf-8")


def module_source(version):
    return ("__version__ = %r\n" % version).encode("utf-8")


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def wheel_bytes(name, version, meta):
    """A py3-none-any wheel: the module, METADATA, WHEEL and RECORD."""
    dist = dist_name(name)
    info = "%s-%s.dist-info" % (dist, version)
    files = [
        ("%s.py" % dist, module_source(version)),
        (info + "/METADATA", meta),
        (info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: artifortress-build-dists\n"
         b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = "".join("%s,%s,%d\n" % (path, record_hash(data), len(data)) for path, data in files)
    record += info + "/RECORD,,\n"
    files.append((info + "/RECORD", record.encode("utf-8")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files:
            entry = zipfile.ZipInfo(path, ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            zf.writestr(entry, data)
    return "%s-%s-py3-none-any.whl" % (dist, version), buf.getvalue()


def sdist_bytes(name, version, meta):
    """A .tar.gz sdist with PKG-INFO, the module and an in-tree backend (this file)."""
    dist = dist_name(name)
    base = "%s-%s" % (dist, version)
    with open(os.path.abspath(__file__), "rb") as f:
        backend = f.read()
    files = [
        ("PKG-INFO", meta),
        ("%s.py" % dist, module_source(version)),
        ("_artifortress_backend.py", backend),
        ("pyproject.toml", b'[build-system]\nrequires = []\n'
         b'build-backend = "_artifortress_backend"\nbackend-path = ["."]\n'),
    ]
    buf = io.BytesIO()
    # gzip's header holds a time too; GzipFile with mtime fixes it.
    import gzip
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=EPOCH) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for path, data in files:
                entry = tarfile.TarInfo("%s/%s" % (base, path))
                entry.size = len(data)
                entry.mtime = EPOCH
                entry.mode = 0o644
                tf.addfile(entry, io.BytesIO(data))
    return base + ".tar.gz", buf.getvalue()


# --- PEP 517 backend, used when pip builds the sdist -----------------------


def _pkg_info():
    with open("PKG-INFO", "rb") as f:
        meta = f.read()
    head = meta.split(b"\n\n", 1)[0].decode("utf-8")
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return fields["Name"], fields["Version"], meta


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version, meta = _pkg_info()
    filename, data = wheel_bytes(name, version, meta)
    with open(os.path.join(wheel_directory, filename), "wb") as f:
        f.write(data)
    return filename


def build_sdist(sdist_directory, config_settings=None):
    name, version, meta = _pkg_info()
    filename, data = sdist_bytes(name, version, meta)
    with open(os.path.join(sdist_directory, filename), "wb") as f:
        f.write(data)
    return filename


# --- command line -----------------------------------------------------------


def main(argv):
    p = argparse.ArgumentParser(description="Build a minimal wheel and sdist.")
    p.add_argument("name")
    p.add_argument("version")
    p.add_argument("outdir")
    p.add_argument("--requires-python", default=None)
    p.add_argument("--requires-dist", action="append", default=[])
    p.add_argument("--summary", default=None)
    args = p.parse_args(argv)
    meta = metadata(args.name, args.version, args.requires_python, args.requires_dist, args.summary)
    os.makedirs(args.outdir, exist_ok=True)
    for filename, data in (wheel_bytes(args.name, args.version, meta), sdist_bytes(args.name, args.version, meta)):
        path = os.path.join(args.outdir, filename)
        with open(path, "wb") as f:
            f.write(data)
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
