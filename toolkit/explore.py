"""`toolkit explore`: the facilitator's explorer, served as the coach app is: this laptop only, behind a secret.

It reads the store named by `--data` (a data folder) or `--db` (a database URL or folder), the same way every
other command does, and works from an installed package as from a source checkout (its notebook and the
toolkit's template are found by the package, not by the current folder).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from . import config
from .serve import (
    coach_token,
    stop_on_signals,
    stop_servers,
    voila_config,
    voila_environment,
    voila_process,
    wait_for_port,
)


def explore(data_dir: Path, url: str, port: int = 8868, host: str = "127.0.0.1", cull_after: int = 3600) -> None:
    """Serve notebooks/explore.ipynb on `url`'s store until Ctrl+C."""
    import sqlalchemy as sa

    from .database import normalise_url
    from .store import Store

    if url.startswith("sqlite"):
        db = sa.engine.make_url(normalise_url(url)).database
        if db and not Path(db).exists():
            raise click.ClickException(
                f"No store at {db}: name the data folder that `toolkit serve` used (--data DIR), or a database "
                "URL (--db); to try the explorer on invented results first: toolkit demo --series --data DIR")
    Store(url).close()  # a store that cannot be opened is said here, in words, not as a traceback on the page
    data_dir.mkdir(parents=True, exist_ok=True)
    token = coach_token(data_dir)
    env = voila_environment(dict(os.environ))
    env.update({config.ENV_DB: url, config.ENV_DATA: str(data_dir.resolve())})
    proc = voila_process("explore", config.notebooks_dir() / "explore.ipynb", data_dir,
                         voila_config(port, host, token=token, cull_after=cull_after, fork=False), env)
    stop_on_signals()
    try:
        if not wait_for_port(port, 90, host) or proc.poll() is not None:
            raise click.ClickException(f"The explorer did not start on port {port}; is the port in use?")
        click.echo(f"Explorer (this laptop only): http://{host}:{port}/?token={token}")
        click.echo(f"Store: {url}")
        click.echo("Press Ctrl+C to stop.")
        while proc.poll() is None:
            time.sleep(0.5)
        raise click.ClickException("The explorer stopped unexpectedly; see the messages above.")
    except KeyboardInterrupt:
        click.echo("Stopping…")
    finally:
        stop_servers([proc])
