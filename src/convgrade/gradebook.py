"""A new nbgrader gradebook, stamped in this process.

nbgrader.api.Gradebook stamps a database it creates with the newest revision of nbgrader's
migrations, which it learns by running `alembic heads` in a subprocess: a Python start that imports
nbgrader, 2 to 4 s on this machine, and `make grade` creates two databases per run (the course's
gradebook and the assignment's template). `stamp_if_new` writes the same stamp first, the revision
read in this process from the same migration scripts (nbgrader.dbutil.ALEMBIC_DIR). nbgrader then
finds a database that exists and creates its tables as usual, so the result is the database
nbgrader would have made.
"""
import functools

from sqlalchemy import create_engine, inspect, text


@functools.cache
def newest_revision():
    """The head revision of nbgrader's migration scripts (what `alembic heads` prints first)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR
    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def stamp_if_new(db_url):
    """Give an empty database at db_url the alembic_version table nbgrader gives a new gradebook."""
    engine = create_engine(db_url, future=True)
    try:
        if inspect(engine).get_table_names():
            return False
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                               {"v": newest_revision()})
        return True
    finally:
        engine.dispose()
