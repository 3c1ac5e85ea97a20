"""`toolkit serve`: the participant app and the coach app as two Voila servers on one store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

from . import config


def lan_address() -> str:
    """This laptop's address on the local network (no packet is sent: UDP connect only picks a route)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


TEMPLATE = "toolkit"


def voila_command(notebook: Path, port: int, ip: str) -> list[str]:
    return [
        sys.executable, "-m", "voila", str(notebook),
        f"--port={port}", f"--Voila.ip={ip}", "--no-browser",
        f"--template={TEMPLATE}",
        "--VoilaConfiguration.show_tracebacks=False",
    ]


def voila_environment(base: dict[str, str]) -> dict[str, str]:
    """The environment for Voila: the toolkit's template found through JUPYTER_PATH."""
    env = dict(base)
    share = str(config.PACKAGE_DIR / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (share, base.get("JUPYTER_PATH", "")) if p)
    return env


def wait_for_port(port: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def serve(data_dir: Path, db_url: str | None = None, demo: bool = False, port: int = 8866,
          coach_port: int = 8867, host: str = "0.0.0.0", banks_dir: Path | None = None) -> None:
    from .store import Store

    data_dir.mkdir(parents=True, exist_ok=True)
    url = db_url or config.sqlite_url(data_dir)
    store = Store(url)
    if demo:
        from .demo import seed_demo

        session = seed_demo(store, banks_dir)
        click.echo(f"Seeded a demo session; join code {session['join_code']}.")
    store.close()

    shown_host = lan_address() if host in ("0.0.0.0", "") else host
    join_url = f"http://{shown_host}:{port}/"
    env = voila_environment(dict(os.environ))
    env.update({config.ENV_DB: url, config.ENV_DATA: str(data_dir.resolve()), config.ENV_JOIN_URL: join_url})
    if banks_dir:
        env[config.ENV_BANKS] = str(banks_dir.resolve())
    notebooks = config.notebooks_dir()
    procs = [
        subprocess.Popen(voila_command(notebooks / "participant.ipynb", port, host), env=env, cwd=data_dir),
        subprocess.Popen(voila_command(notebooks / "coach.ipynb", coach_port, "127.0.0.1"), env=env, cwd=data_dir),
    ]
    try:
        for p, name in ((port, "participant"), (coach_port, "coach")):
            if not wait_for_port(p):
                raise click.ClickException(f"The {name} app did not start on port {p}; is the port in use?")
        click.echo("")
        click.echo(f"Participants (phones on this network): {join_url}")
        click.echo(f"Coach (this laptop only):              http://127.0.0.1:{coach_port}/")
        click.echo(f"Store: {url}")
        click.echo("Press Ctrl+C to stop. Every answer is already saved.")
        _show_qr(join_url)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        raise click.ClickException("A server stopped unexpectedly; see the messages above.")
    except KeyboardInterrupt:
        click.echo("Stopping…")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def _show_qr(url: str) -> None:
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    click.echo(out.getvalue())
