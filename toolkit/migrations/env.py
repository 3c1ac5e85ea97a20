"""Alembic's entry point. The toolkit passes an open connection (see toolkit/migrations/__init__.py);
a developer generating a revision passes a database URL with `-x url=…` instead."""

from __future__ import annotations

from alembic import context

from toolkit.schema import metadata


def _include(obj, name, type_, reflected, compare_to) -> bool:
    # Alembic keeps its own version table; schema.py declares it only so drop_all removes it.
    return not (type_ == "table" and name == "alembic_version")


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    options = dict(target_metadata=metadata, include_object=_include, compare_type=True)
    if context.is_offline_mode():
        url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    from toolkit.store import make_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as c:
        context.configure(connection=c, **options)
        with context.begin_transaction():
            context.run_migrations()
        c.commit()
    engine.dispose()


run()
