"""Naming a store as people do (a folder or a URL, once per command), and `toolkit explore`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import free_port

from toolkit import config
from toolkit.cli import main
from toolkit.errors import StoreError
from toolkit.serve import wait_for_port


def test_a_store_is_named_by_a_folder_a_url_or_an_sqlite_file(tmp_path):
    assert config.store_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/toolkit.db"
    assert config.store_url("postgresql://trainer@office/toolkit") == "postgresql://trainer@office/toolkit"
    (tmp_path / "old.db").write_bytes(b"")
    assert config.store_url(tmp_path / "old.db") == f"sqlite:///{(tmp_path / 'old.db').resolve()}"


@pytest.mark.parametrize("bad", ["postgresql:/office/toolkit", "postgresql://office:notaport/x", ""])
def test_a_store_that_is_neither_folder_nor_url_is_refused_in_words(bad):
    with pytest.raises(StoreError, match="database URL|No store named"):
        config.store_url(bad)


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "participants.xlsx").write_bytes(b"PK")
    with pytest.raises(StoreError, match="is a file, not a data folder"):
        config.store_url(tmp_path / "participants.xlsx")


def test_the_kernels_store_may_be_a_folder(monkeypatch, series):
    """TOOLKIT_DB set to a folder (as the README's "default ./toolkit-data" suggests) opens its toolkit.db."""
    from toolkit.apps.explorer import ExplorerApp

    folder = Path(series.sqlite_path).parent
    monkeypatch.setenv(config.ENV_DB, str(folder))
    app = ExplorerApp(out_dir=folder / "files")
    assert app.store.url == f"sqlite:///{folder.resolve()}/toolkit.db"
    assert any("Quetta" in label for label, _ in app.workshop.options)
    app.store.close()


def test_every_command_takes_the_store_as_a_folder_given_to_db(series, tmp_path):
    folder = Path(series.sqlite_path).parent
    result = CliRunner().invoke(main, ["report", "--workshop", "demo series 2026", "--out", str(tmp_path / "r.html"),
                                       "--db", str(folder)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.html").stat().st_size > 10_000


def test_a_url_given_to_data_is_pointed_to_db(tmp_path):
    result = CliRunner().invoke(main, ["report", "--workshop", "x", "--out", str(tmp_path / "r.html"),
                                       "--data", "postgresql://office/toolkit"])
    assert result.exit_code == 2 and "pass it as --db" in result.output


def test_explore_names_a_missing_store_and_creates_nothing(tmp_path):
    result = CliRunner().invoke(main, ["explore", "--data", str(tmp_path / "typo"), "--port", str(free_port())])
    assert result.exit_code == 1 and "No store at" in result.output and "toolkit demo --series" in result.output
    assert not (tmp_path / "typo").exists()


def test_explore_serves_the_explorer_behind_the_secret_in_a_browser(series, tmp_path, browser):
    folder = Path(series.sqlite_path).parent
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "explore", "--data", str(folder), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            cwd=tmp_path)  # not the source checkout: the notebook is found by the package
    try:
        assert wait_for_port(port, 90), "toolkit explore did not start"
        bare = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60)
        assert "/login" in bare.url and b"tk-explorer" not in bare.read()
        token = (folder / "coach-token").read_text().strip()
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/?token={token}", timeout=90_000)
        page.wait_for_selector(".tk-explorer", timeout=120_000)
        assert "Demo data: invented" in page.inner_text(".tk-explorer")
        assert "Quetta" in page.inner_text(".tk-explorer")
        page.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
