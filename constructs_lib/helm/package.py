"""Byte-reproducible chart packages (.tgz), as `helm package` lays them out."""

from __future__ import annotations

import gzip
import io
import tarfile

# Fixed metadata so the same files always give the same bytes.
MTIME = 0
FILE_MODE = 0o644
DIR_MODE = 0o755


def package_chart(name: str, files: dict[str, bytes]) -> bytes:
    """A gzipped tar with top-level folder `name`, sorted entries, no times or owners."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = {name} | {f"{name}/{p.rsplit('/', 1)[0]}" for p in files if "/" in p}
        entries = [(d, None) for d in dirs] + [(f"{name}/{p}", data) for p, data in files.items()]
        for path, data in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(path)
            info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, "", ""
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, DIR_MODE
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), FILE_MODE
                tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=MTIME, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()
