"""Print the SQL statements one page runs (to find a query inside a loop), with their time.

COP_DATABASE_URL=... .venv/bin/python -m bench.querylog /search?q=team --as someone@example.com
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bench.client import _CSRF
    from cop.seed.data import SEED_PASSWORD

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--as", dest="email", help="sign in as this account first")
    parser.add_argument("--password", default=SEED_PASSWORD)
    parser.add_argument("--full", action="store_true", help="print whole statements")
    args = parser.parse_args(argv)
    from bench.wsgi import app

    http = app.test_client()
    if args.email:
        token = _CSRF.search(http.get("/login").get_data(as_text=True))
        response = http.post(
            "/login",
            data={"email": args.email, "password": args.password, "csrf_token": token.group(1) or token.group(2)},
        )
        assert response.status_code == 302, response.status_code
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append(((time.perf_counter() - conn.info["started"]) * 1000, statement, parameters))

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    started = time.perf_counter()
    response = http.get(args.path)
    total = (time.perf_counter() - started) * 1000
    for ms, statement, parameters in statements:
        text = " ".join(statement.split())
        print(f"{ms:8.2f} ms  {text if args.full else text[:160]}  {str(parameters)[:80] if args.full else ''}")
    print(
        f"HTTP {response.status_code}; {len(statements)} statements, "
        f"{sum(s[0] for s in statements):.1f} ms in SQL; {total:.1f} ms in all"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
