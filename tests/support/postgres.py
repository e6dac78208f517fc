"""A fresh schema on the test PostgreSQL ($NETMON_TEST_PG_URL, see .ci/postgres.sh), dropped
afterwards: every connection made with the URL it yields lands in that schema, so tests never
see each other's tables."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from tests.support import missing_service


@contextlib.contextmanager
def fresh_schema() -> Iterator[str]:
    """The URL of an empty schema; skips (fails under NETMON_TEST_STRICT=1) without
    $NETMON_TEST_PG_URL."""
    from sqlalchemy import create_engine, make_url

    url = os.environ.get("NETMON_TEST_PG_URL")
    if not url:
        missing_service(
            'NETMON_TEST_PG_URL is not set: run `eval "$(bash .ci/postgres.sh)"` as root '
            "to start the local PostgreSQL and export it"
        )
    assert url is not None
    base = make_url(url)
    schema = f"netmon_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
