"""Extensions, created unbound and attached to the app in ``create_app``; the models' declarative base."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter tables on SQLite in batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """SQLAlchemy 2.0 typed declarative mapping (``Mapped[...]``, ``mapped_column``), with named constraints.

    Flask-SQLAlchemy builds ``db.Model`` from it; models subclass ``Model`` below, which is ``db.Model``.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model maps one Table (DeclarativeBase types it as any FromClause, which has no insert()).
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # mypy cannot take an attribute (db.Model) as a base class (python/mypy#8603): to it, the models subclass the
    # declarative base db.Model is built from. db.Model's legacy ``query`` is left out on purpose: queries go
    # through ``db.session`` (and SearchLog has a column of that name).
    Model = Base
else:
    Model = db.Model

migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def in_list(values: Iterable[str | int]) -> str:
    """``values`` as the SQL list of a CHECK constraint's IN: strings quoted, numbers as they are.

    The values are the models' own constants (never user input), so they are written inline.
    """
    return "({})".format(", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values))


def utcnow() -> datetime:
    """The current time in UTC, naive, as every timestamp column stores it.

    SQLite drops time zones, so storing naive UTC everywhere keeps values
    comparable on both SQLite and PostgreSQL.
    """
    return datetime.now(UTC).replace(tzinfo=None)
