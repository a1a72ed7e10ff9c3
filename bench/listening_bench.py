"""Cold timings of the listening and value sections and the experts ranking, in-process, one client.

    COP_DATABASE_URL=... .venv/bin/python -m bench.listening_bench [--n 20]

Each subject is asked once (distinct communities for the report sections, distinct tags for the
experts), beside the existing report (``community_report``) and tag page (``tag_page``) for the same
subjects in the same run, as an administrator (every community readable: the widest evidence).
Prints the median and the slowest in milliseconds. Targets: report < 300 ms, tag page < 50 ms.
"""

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _time(fn, subjects) -> list[float]:
    out = []
    for subject in subjects:
        started = time.perf_counter()
        fn(subject)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args(argv)
    from sqlalchemy import func, select

    from bench.wsgi import app
    from cop.accounts.models import User
    from cop.communities.models import Community
    from cop.discussions.models import thread_tags
    from cop.extensions import db
    from cop.oversight import listening, periods, reports, value
    from cop.tags import experts, services as tags
    from cop.tags.models import Tag

    rng = random.Random(7)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.is_admin.is_(True)).limit(1))
        communities = list(db.session.scalars(select(Community)))
        by_use = list(
            db.session.execute(
                select(thread_tags.c.tag_id, func.count()).group_by(thread_tags.c.tag_id).order_by(func.count().desc())
            )
        )
        popular = [db.session.get(Tag, tid) for tid, _n in by_use[: args.n]]
        period = periods.Period.last(90)
        picks = [rng.sample(communities, min(args.n, len(communities))) for _ in range(4)]
        rows = {
            "report (existing sections)": _time(lambda c: reports.community_report(c, period, admin), picks[0]),
            "sentiment + 5 W's sections": _time(lambda c: listening.listening_report(c, period, admin), picks[1]),
            "value section": _time(lambda c: value.value_report(c, period), picks[2]),
            "tag page (existing)": _time(lambda t: tags.tag_page(admin, t), popular),
            "experts on the most used tags": _time(lambda t: experts.experts_on(admin, t), popular[::-1]),
        }
    for name, times in rows.items():
        print(f"{name:34} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms   (n={len(times)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
