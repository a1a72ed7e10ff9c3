"""The floor: the fastest a page of this app can be on this machine.

``/__bench/floor`` renders a thread-like page — the site's base layout and the
real post macros for 50 posts of the seeded length — from data held in
memory: no database, no session lookup, no search. Only the benchmark's WSGI
entry point (``bench.wsgi``) registers it; production never has it.
"""

import random
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import Flask, render_template
from jinja2 import ChoiceLoader, DictLoader

from cop import access
from cop.seed.text import TextGenerator, paragraphs_html

FLOOR_PATH = "/__bench/floor"
FLOOR_TEMPLATE = "__bench/floor.html"
POSTS = 50

TEMPLATE = """{% extends "base.html" %}
{% from "discussions/_macros.html" import post_tree, post_header with context %}
{% block title %}{{ thread.title }}{% endblock %}
{% block content %}
<article class="thread" aria-labelledby="thread-title">
  <header><h1 id="thread-title">{{ thread.title }}</h1>
    <p class="meta"><span class="badge kind-{{ thread.kind }}">{{ thread.kind_label }}</span></p></header>
</article>
<section aria-labelledby="replies-h" class="replies-section">
  <h2 id="replies-h">{{ thread.reply_count }} replies</h2>
  {{ post_tree(tree, thread, False, False, False) }}
</section>
{% endblock %}
"""


def _fixture():
    rng = random.Random(7)
    text = TextGenerator(random.Random(8))
    community = SimpleNamespace(id=1, slug="floor", name="Floor Guild")
    thread = SimpleNamespace(
        id=1,
        title=text.title(),
        kind="discussion",
        kind_label="Discussion",
        reply_count=POSTS,
        accepted_post_id=None,
        is_locked=False,
        status="open",
        community=community,
    )
    started = datetime(2024, 1, 1)
    nodes, by_id = [], {}
    for number in range(1, POSTS + 1):
        author = SimpleNamespace(
            id=number % 17 + 1, handle=f"person{number % 17}", display_name=f"Person {number % 17}"
        )
        post = SimpleNamespace(
            id=number,
            author=author,
            author_id=author.id,
            is_deleted=False,
            is_hidden=False,
            edited_at=None,
            created_at=started + timedelta(minutes=number * 7),
            body_html=paragraphs_html(text.paragraphs(text.post_length())),
        )
        node = {"post": post, "children": [], "in_reply_to": None}
        parent = by_id.get(rng.randint(1, number - 1)) if number > 1 and rng.random() < 0.5 else None
        (parent["children"] if parent and len(parent["children"]) < 4 else nodes).append(node)
        by_id[number] = node
    return thread, nodes


def register(app: Flask) -> None:
    thread, tree = _fixture()

    # A named template, compiled once and cached like every page's (``render_template_string``
    # compiled it on every request: 3.5 ms of a 6 ms floor, which flattered every ratio).
    app.jinja_env.loader = ChoiceLoader([DictLoader({FLOOR_TEMPLATE: TEMPLATE}), app.jinja_env.loader])

    def floor():
        # Every post rendered on every request, as the thread page renders them: the cost of rendering.
        return render_template(FLOOR_TEMPLATE, thread=thread, tree=tree)

    app.add_url_rule(FLOOR_PATH, "bench_floor", floor)
    access.allow(app, "bench_floor")  # asked without a session, like the bare Flask page it stands for
