"""Static files sent with their Zopfli body (toolkit.static_gzip): only to a request that accepts gzip, with the
right Content-Encoding and Vary, the same ETag, never while the body is still being made."""

from __future__ import annotations

import gzip
import re
import zlib

import tornado.testing
import tornado.web

from toolkit.static_gzip import Precompressed, compress_file
from toolkit.voila_app import STATIC_CACHE_S, _kept

SCRIPT = ("// a script of the page\n" + "".join(f"function f{i}(a) {{ return a * {i} + {i % 7}; }}\n"
                                              for i in range(3000))).encode()


def test_a_body_is_made_in_the_background_and_then_read_from_the_cache(tmp_path):
    (tmp_path / "static").mkdir()
    script = tmp_path / "static" / "app.js"
    script.write_bytes(SCRIPT)
    store = Precompressed(tmp_path / "cache")
    queued = []
    store.queue = lambda path: queued.append(path)  # the helper process is not started in this test
    assert store.body(str(script)) is None and queued == [str(script)]  # the caller sends Tornado's gzip meanwhile
    assert store.body(str(tmp_path / "static" / "font.woff2")) is None and len(queued) == 1  # not compressible
    import toolkit.static_gzip as sg

    (tmp_path / "cache").mkdir()
    compress_file(str(script), str(tmp_path / "cache" / f"{sg._key(str(script))}.gz"))  # what the helper does
    made = store.body(str(script))
    assert gzip.decompress(made) == SCRIPT
    assert len(made) < len(gzip.compress(SCRIPT, 6))  # smaller than Tornado's level 6
    script.write_bytes(SCRIPT + b"// changed\n")  # another file now: its body is made again
    assert store.body(str(script)) is None and len(queued) == 2


class ServedTest(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        import tempfile
        from pathlib import Path

        self.folder = Path(tempfile.mkdtemp())
        (self.folder / "app.js").write_bytes(SCRIPT)
        self.store = Precompressed(self.folder / "cache")
        self.store.queue = lambda path: None
        handler = _kept(tornado.web.StaticFileHandler)
        handler.toolkit_store = self.store
        return tornado.web.Application([(r"/static/(.*)", handler, {"path": str(self.folder)})],
                                       compress_response=True)

    def made(self) -> bytes:
        import toolkit.static_gzip as sg

        dest = self.store.folder / f"{sg._key(str(self.folder / 'app.js'))}.gz"
        self.store.folder.mkdir(parents=True, exist_ok=True)
        compress_file(str(self.folder / "app.js"), str(dest))
        return dest.read_bytes()

    def fetch_raw(self, path, **headers):
        return self.fetch(path, headers=headers, decompress_response=False)

    def test_before_the_body_is_made_tornado_compresses_as_before(self):
        r = self.fetch_raw("/static/app.js", **{"Accept-Encoding": "gzip, deflate"})
        assert r.code == 200 and r.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(r.body) == SCRIPT

    def test_a_request_that_accepts_gzip_gets_the_zopfli_body(self):
        made = self.made()
        r = self.fetch_raw("/static/app.js", **{"Accept-Encoding": "gzip, deflate"})
        assert r.code == 200 and r.body == made
        assert r.headers["Content-Encoding"] == "gzip" and r.headers["Content-Length"] == str(len(made))
        assert r.headers["Vary"] == "Accept-Encoding"
        assert r.headers["Cache-Control"] == f"max-age={STATIC_CACHE_S}"
        assert zlib.decompress(r.body, 16 + zlib.MAX_WBITS) == SCRIPT
        again = self.fetch_raw("/static/app.js", **{"Accept-Encoding": "gzip", "If-None-Match": r.headers["Etag"]})
        assert again.code == 304

    def test_a_request_without_gzip_or_for_a_range_gets_the_file_itself(self):
        made = self.made()
        plain = self.fetch_raw("/static/app.js", **{"Accept-Encoding": "identity"})
        assert plain.code == 200 and plain.body == SCRIPT and "Content-Encoding" not in plain.headers
        assert plain.headers["Vary"] == "Accept-Encoding"
        part = self.fetch_raw("/static/app.js", **{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
        assert part.code == 206 and part.body != made  # those bytes of the file (which Tornado may compress)
        assert (gzip.decompress(part.body) if part.headers.get("Content-Encoding") else part.body) == SCRIPT[:10]
        gz = self.fetch_raw("/static/app.js", **{"Accept-Encoding": "gzip"})
        assert gz.headers["Etag"] == plain.headers["Etag"]  # one file, two encodings (Vary says so)


def test_a_file_another_server_is_making_is_left_to_it_unless_its_lock_is_stale(tmp_path):
    import os

    from toolkit.static_gzip import LOCK_STALE_S

    source = tmp_path / "app.js"
    source.write_bytes(SCRIPT)
    dest = tmp_path / "app.js.gz"
    lock = tmp_path / "app.js.gz.lock"
    lock.write_text("")
    compress_file(str(source), str(dest))
    assert not dest.exists() and lock.exists()  # the other server's: not touched
    old = lock.stat().st_mtime - LOCK_STALE_S - 1
    os.utime(lock, (old, old))  # that server was stopped long ago
    compress_file(str(source), str(dest))
    assert gzip.decompress(dest.read_bytes()) == SCRIPT and not lock.exists()


class HeadersTest(tornado.testing.AsyncHTTPTestCase):
    """A static file's answer carries only what a browser uses, and a lab extension's file whose name has its
    contents' hash is kept for a day like the rest (jupyter_server's own handler asks for no-cache)."""

    def get_app(self):
        import tempfile
        from pathlib import Path

        self.folder = Path(tempfile.mkdtemp())
        for name in ("app.js", "84.09c61a35dce1705f.js", "plain.js"):
            (self.folder / name).write_bytes(SCRIPT)

        class NoCache(tornado.web.StaticFileHandler):  # as jupyter_server's FileFindHandler without ?v=
            def set_headers(self):
                super().set_headers()
                self.set_header("Cache-Control", "no-cache")

            def compute_etag(self):
                return None

        store = Precompressed(self.folder / "cache")
        store.queue = lambda path: None
        kept, lab = _kept(tornado.web.StaticFileHandler), _kept(NoCache)
        kept.toolkit_store = lab.toolkit_store = store
        return tornado.web.Application([(r"/static/(.*)", kept, {"path": str(self.folder)}),
                                        (r"/lab/(.*)", lab, {"path": str(self.folder)})])

    def test_only_the_headers_a_browser_uses(self):
        r = self.fetch("/static/app.js")
        assert r.code == 200 and r.body == SCRIPT
        assert re.fullmatch(r'"[0-9a-f]{20}"', r.headers["Etag"])  # not Tornado's 128 digits
        for gone in ("Expires", "Server", "Accept-Ranges", "Last-Modified"):
            assert gone not in r.headers, gone
        assert r.headers["Cache-Control"] == f"max-age={STATIC_CACHE_S}"
        assert self.fetch("/static/app.js", headers={"If-None-Match": r.headers["Etag"]}).code == 304

    def test_a_lab_extension_file_named_by_its_hash_is_kept_and_another_still_asked_for(self):
        hashed = self.fetch("/lab/84.09c61a35dce1705f.js")
        assert hashed.headers["Cache-Control"] == f"max-age={STATIC_CACHE_S}"
        plain = self.fetch("/lab/plain.js")
        assert plain.headers["Cache-Control"] == "no-cache"
        assert "Last-Modified" in plain.headers  # without an ETag, the browser asks with it
        again = self.fetch("/lab/plain.js", headers={"If-Modified-Since": plain.headers["Last-Modified"]})
        assert again.code == 304
