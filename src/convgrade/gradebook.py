"""A new nbgrader gradebook, stamped in this process.

nbgrader.api.Gradebook stamps a database it creates with the newest revision of nbgrader's
migrations, which it learns by running `alembic heads` in a subprocess: a Python start that imports
nbgrader, 2 to 4 s on this machine, and `make grade` creates two databases per run (the course's
gradebook and the assignment's template). `stamp_if_new` stamps it first, with alembic's own
public API (MigrationContext.stamp) and the revision read in this process from the same migration
scripts (nbgrader.dbutil.ALEMBIC_DIR). nbgrader then finds a database that exists and creates its
tables as usual, so the result is the database nbgrader would have made.

Not `alembic.command.stamp`: it runs nbgrader's migration env.py, whose logging.config.fileConfig
switches off every logger that exists in the process (the driver's included).
"""
import functools

from sqlalchemy import create_engine, inspect


@functools.cache
def migration_scripts():
    """nbgrader's alembic migration scripts."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR
    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config)


def newest_revision():
    """The head revision of nbgrader's migration scripts (what `alembic heads` prints first)."""
    return migration_scripts().get_current_head()


def stamp_if_new(db_url):
    """Give an empty database at db_url the alembic_version table nbgrader gives a new gradebook."""
    from alembic.runtime.migration import MigrationContext
    engine = create_engine(db_url, future=True)
    try:
        if inspect(engine).get_table_names():
            return False
        with engine.begin() as connection:
            MigrationContext.configure(connection).stamp(migration_scripts(), newest_revision())
        return True
    finally:
        engine.dispose()
