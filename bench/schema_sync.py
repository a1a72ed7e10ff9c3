"""Bring a benchmark data set made by an older revision up to the current models.

A seeded data set takes a while to make, so it is reused across bench runs; when
the models gained tables since, this creates them (empty) and adds missing
nullable or defaulted columns. A real deployment uses ``flask db upgrade``.

    COP_DATABASE_URL=... .venv/bin/python -m bench.schema_sync
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    from sqlalchemy import inspect, text
    from sqlalchemy.schema import CreateColumn

    from cop import create_app
    from cop.extensions import db

    app = create_app()
    with app.app_context():
        existing = set(inspect(db.engine).get_table_names())
        db.create_all()
        created = set(inspect(db.engine).get_table_names()) - existing
        added = []
        inspector = inspect(db.engine)
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                if table.name in created:
                    continue
                have = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in have:
                        continue
                    ddl = str(CreateColumn(column).compile(dialect=db.engine.dialect))
                    default = column.default.arg if column.default is not None and column.default.is_scalar else None
                    if not column.nullable and default is None and column.server_default is None:
                        print(f"cannot add {table.name}.{column.name} (NOT NULL without a default): reseed")
                        continue
                    if default is not None and "DEFAULT" not in ddl.upper():
                        literal = repr(default) if isinstance(default, str) else str(int(default)
                                                                                      if isinstance(default, bool)
                                                                                      else default)
                        ddl += f" DEFAULT {literal}"
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN {ddl}'))
                    added.append(f"{table.name}.{column.name}")
        print(f"created tables: {sorted(created) or 'none'}; added columns: {added or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
