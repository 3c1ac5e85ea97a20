"""The seal of a session bundle: a SHA-256 digest of its content, and a signature with the office's bundle key.

A digest (over the canonical JSON of everything in the envelope but the seal) refuses a bundle edited by accident
or by someone who does not know the format. Whoever knows it can make the digest again; they cannot make the
signature (HMAC-SHA256) without the key the office shares with its laptops: `toolkit bundle key` writes it as
`bundle-key` in the data folder, beside the store (like `certificate-secret`), to be copied to each laptop.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

from .errors import StoreError

KEY_FILE = "bundle-key"


class SealBroken(StoreError):
    """The bundle's digest or signature is missing or does not match; the message says which and what to do."""


class BadKey(StoreError):
    """The bundle key file is missing or is not a key."""


# ------------------------------------------------------------------ digest, key and signature


def _canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def key_id(key: bytes) -> str:
    """A short name for a key, to tell two keys apart in a message (it reveals nothing of the key)."""
    return hashlib.sha256(b"toolkit bundle key id\0" + key).hexdigest()[:12]


def seal(bundle: dict, key: bytes | None = None) -> dict:
    """The bundle with its integrity block: the digest of the rest, and the signature when a key is given."""
    content = {k: v for k, v in bundle.items() if k != "integrity"}
    canonical = _canonical(content)
    integrity = {"sha256": hashlib.sha256(canonical).hexdigest()}
    if key is not None:
        integrity["hmac_sha256"] = hmac.new(key, canonical, hashlib.sha256).hexdigest()
        integrity["key_id"] = key_id(key)
    return {**content, "integrity": integrity}


def key_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / KEY_FILE


def make_key(data_dir: str | Path, force: bool = False) -> Path:
    """Write a new bundle key in the data folder; an existing key is kept unless `force` (laptops hold a copy)."""
    path = key_path(data_dir)
    if path.exists() and not force:
        raise BadKey(f"{path} already holds a bundle key (id {key_id(read_key(path))}); the laptops that have a "
                     "copy sign with it. Copy that file to the laptops, or pass --force to make a new key (then "
                     "copy the new one to every laptop).")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_bytes(32).hex() + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def read_key(path: str | Path) -> bytes:
    """The key in a key file (64 hexadecimal digits, as `toolkit bundle key` writes it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "it is not text"
        raise BadKey(f"Cannot read the bundle key {path}: {reason}.") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise BadKey(f"{path} is not a bundle key (make one with `toolkit bundle key`).")
    return key


def find_key(key_file: str | Path | None, data_dir: str | Path | None) -> bytes | None:
    """The key given, or the data folder's; None when neither is there."""
    if key_file is not None:
        return read_key(key_file)
    if data_dir is not None and key_path(data_dir).is_file():
        return read_key(key_path(data_dir))
    return None


def check_seal(path: Path, bundle: dict, key: bytes | None, unverified: bool) -> str:
    """How the bundle was checked (a sentence for the importer); SealBroken when the check fails."""
    integrity = bundle.get("integrity")
    again = "Nothing was written. Export the session again from the laptop that ran it."
    if integrity is None:
        if unverified:
            return "not checked: the bundle carries no digest (imported with --unverified)"
        raise SealBroken(f"{path} carries no digest, so an edited copy cannot be told from the real one (it was "
                        f"made by a toolkit before digests, or the digest was taken out). Nothing was written. "
                        f"Export the session again with this toolkit, or, if you trust this file, import it with "
                        f"--unverified.")
    if not isinstance(integrity, dict) or not isinstance(integrity.get("sha256"), str):
        raise SealBroken(f"{path}: the bundle's digest is damaged. {again}")
    expected = seal(bundle)["integrity"]["sha256"]
    if not hmac.compare_digest(expected, integrity["sha256"]):
        raise SealBroken(f"{path} was changed after export: its content does not match the digest it carries "
                        f"(digest check). {again}")
    signature, signer = integrity.get("hmac_sha256"), integrity.get("key_id")
    if key is None:
        return (f"digest checked; signed with key {signer}, but there is no bundle key here to check the signature"
                if signature else "digest checked (no bundle key here or in the file: not signed)")
    if not isinstance(signature, str):
        if unverified:
            return "digest checked; not signed with the office key (imported with --unverified)"
        raise SealBroken(f"{path} is not signed with the office's bundle key (key {key_id(key)}), which this store "
                        f"requires (signature check). Nothing was written. Export it again on a laptop that has the "
                        f"key: copy the office's {KEY_FILE} file into the laptop's data folder, or pass --key FILE "
                        f"to `toolkit bundle export`. If you trust this file, import it with --unverified.")
    if signer != key_id(key):
        raise SealBroken(f"{path} is signed with another bundle key (key {signer}; this store's key is "
                        f"{key_id(key)}) (signature check). Nothing was written. Import it with --key and the key "
                        f"the laptop has, or export it again on a laptop that has this office's {KEY_FILE}.")
    content = {k: v for k, v in bundle.items() if k != "integrity"}
    good = hmac.new(key, _canonical(content), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, signature):
        raise SealBroken(f"{path} was changed after it was signed: its signature does not match its content "
                        f"(signature check; the digest had been made again to match). {again}")
    return f"digest and signature checked (key {signer})"
