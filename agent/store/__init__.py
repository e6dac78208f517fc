"""netmon's store: typed SQLAlchemy models, Alembic migrations and the functions that write.

``open_store()`` picks the database (see ``agent.store.engine`` for the order: ``--url``,
``$NETMON_DB_URL``, else SQLite in the state directory); ``Store.session()`` is one
transaction; ``agent.store.repository`` holds the reads and writes the daemon and the reports
use; ``agent.store.schema`` migrates (``netmon db upgrade``).
"""

from agent.store.engine import Store, StoreError, default_state_dir, open_store, resolve_url

__all__ = ["Store", "StoreError", "default_state_dir", "open_store", "resolve_url"]
