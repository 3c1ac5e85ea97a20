"""Static scripts and styles sent gzip-compressed with Zopfli: 5 to 9 % fewer bytes than Tornado's own gzip
(level 6) for the same files, which every phone's browser reads as plain gzip.

Phones on the laptop's network are sent gzip only: over plain HTTP to an address that is not localhost,
Chromium offers `Accept-Encoding: gzip, deflate` (Brotli and zstd only to secure origins and localhost), so
the smaller Brotli would help no phone. Zopfli is slow (about a second per megabyte), so a file is never
compressed while a phone waits: the first request for a file is answered with Tornado's gzip and queues the
file; a process of its own, at low priority, compresses it into a cache folder (`cache_dir()`), where every
later start of the server finds it. At its start the server queues every script and style of Voila's page.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import multiprocessing
import os
import threading
import time
from pathlib import Path

COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".html", ".txt")  # fonts are WOFF2 (compressed)
ITERATIONS = 5  # Zopfli's: more costs time for a few bytes


def cache_dir() -> Path:
    """Where the compressed files are kept (TOOLKIT_GZIP_CACHE, else the user's cache folder)."""
    given = os.environ.get("TOOLKIT_GZIP_CACHE")
    if given:
        return Path(given)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "toolkit" / "gzip"


def _key(path: str) -> str:
    stat = os.stat(path)
    return hashlib.sha256(f"{os.path.realpath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:32]


def _nice() -> None:
    with contextlib.suppress(OSError):
        os.nice(15)  # the kernels and the server come first


LOCK_STALE_S = 600.0  # a lock this old was left by a helper that was stopped: the file is made again


def compress_file(source: str, dest: str) -> str:
    """Write `source` gzip-compressed with Zopfli to `dest` (atomically); `dest`. Run in the helper process.
    The servers of one `toolkit serve` (the coach's, the participants') share the cache folder: the file is
    made by the one that takes its lock first."""
    import zopfli.gzip

    lock = f"{dest}.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        with contextlib.suppress(OSError):
            if time.time() - os.stat(lock).st_mtime < LOCK_STALE_S:
                return dest  # another server is making it
            os.unlink(lock)
        return compress_file(source, dest) if not os.path.exists(lock) else dest
    try:
        if not os.path.exists(dest):
            data = Path(source).read_bytes()
            tmp = f"{dest}.{os.getpid()}.tmp"
            Path(tmp).write_bytes(zopfli.gzip.compress(data, numiterations=ITERATIONS))
            os.replace(tmp, dest)
    finally:
        os.close(fd)
        os.unlink(lock)
    return dest


class Precompressed:
    """The Zopfli bodies of static files, by absolute path: `body(path)` gives one if it is made, else queues
    the file and gives None (the caller sends Tornado's gzip meanwhile)."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else cache_dir()
        self._bodies: dict[str, bytes] = {}
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.disabled = False

    @staticmethod
    def compressible(path: str) -> bool:
        return path.lower().endswith(COMPRESSIBLE)

    def body(self, path: str) -> bytes | None:
        if self.disabled or not self.compressible(path):
            return None
        try:
            key = _key(path)
        except OSError:
            return None
        found = self._bodies.get(key)
        if found is not None:
            return found
        cached = self.folder / f"{key}.gz"
        try:
            found = cached.read_bytes()
        except OSError:
            self.queue(path)
            return None
        if len(self._bodies) < 2000:  # Voila's page has about 100 files
            self._bodies[key] = found
        return found

    def queue(self, path: str) -> None:
        """Have `path` compressed into the cache folder by the helper process (once)."""
        if self.disabled or not self.compressible(path):
            return
        try:
            key = _key(path)
        except OSError:
            return
        dest = self.folder / f"{key}.gz"
        with self._lock:
            if key in self._queued or dest.exists():
                return
            self._queued.add(key)
            if self._pool is None:
                try:
                    import zopfli.gzip  # noqa: F401  (a missing package: plain gzip, as before)

                    self.folder.mkdir(parents=True, exist_ok=True)
                except (ImportError, OSError):
                    self.disabled = True
                    return
                # spawn, not fork: the server has threads and sockets a forked child must not inherit
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_nice)
            self._pool.submit(compress_file, path, str(dest))

    def queue_folder(self, folder: Path) -> None:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and self.compressible(path.name):
                self.queue(str(path))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


STORE = Precompressed()


def page_folders() -> list[Path]:
    """The folders of the files Voila's page loads: its scripts and styles, the lab template's styles, and the
    widgets' lab extensions."""
    from jupyter_core.paths import jupyter_path

    from . import page_assets

    folders = []
    with contextlib.suppress(FileNotFoundError):
        folders.append(page_assets.voila_static())
    folders += [Path(p) / "lab" / "static" for p in jupyter_path("nbconvert", "templates")]
    folders += [Path(p) / "@jupyter-widgets" / "jupyterlab-manager" for p in jupyter_path("labextensions")]
    folders += [Path(p) / "@voila-dashboards" for p in jupyter_path("labextensions")]
    return [folder for folder in folders if folder.is_dir()]


def precompress_now(store: Precompressed = STORE) -> int:
    """Make every body of page_folders() and of the lighter files (toolkit.page_assets) missing from the cache,
    here and now (benchmarks); how many were made."""
    from . import page_assets

    made = 0
    store.folder.mkdir(parents=True, exist_ok=True)
    paths = [path for folder in page_folders() for path in sorted(folder.rglob("*"))]
    with contextlib.suppress(page_assets.ShapeChanged, OSError, ValueError):  # the server then sends Voila's
        paths += [Path(path) for path in page_assets.derived_files().values()]
    for path in paths:
        if path.is_file() and store.compressible(path.name):
            dest = store.folder / f"{_key(str(path))}.gz"
            if not dest.exists():
                compress_file(str(path), str(dest))
                made += 1
    return made


class ServesPrecompressed:
    """Mixed into a tornado StaticFileHandler: a compressible file is sent as its Zopfli body to a request that
    accepts gzip (and asks for no byte range), with Content-Encoding gzip; Tornado's gzip transform, which adds
    `Vary: Accept-Encoding` to every answer, leaves a body that has its encoding alone."""

    toolkit_store: Precompressed = STORE
    _toolkit_body: bytes | None = None

    def validate_absolute_path(self, root, absolute_path):
        path = super().validate_absolute_path(root, absolute_path)
        if (path is not None and self.request.method in ("GET", "HEAD") and "Range" not in self.request.headers
                and "gzip" in self.request.headers.get("Accept-Encoding", "")):
            body = self.toolkit_store.body(path)
            if body is not None:
                self._toolkit_body = body
                # StaticFileHandler.get() reads the body through self.get_content (a classmethod, which
                # get_content_version also calls on the class): this instance's own function shadows it
                self.get_content = lambda abspath, start=None, end=None: body[start:end]
        return path

    def get_content_size(self):
        if self._toolkit_body is not None:
            return len(self._toolkit_body)
        return super().get_content_size()

    def set_extra_headers(self, path):
        super().set_extra_headers(path)
        if self._toolkit_body is not None:
            self.set_header("Content-Encoding", "gzip")
