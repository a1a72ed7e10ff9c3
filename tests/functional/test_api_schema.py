"""The API against its own OpenAPI document: schemathesis on a live server on loopback, with a token.

Every operation gets generated requests (valid and invalid); each answer must not be a 5xx, must use
a documented status and content type, and must match its documented schema. A stateful run follows
the document's links: create a thread, read it, reply to it, read and edit the reply. Bounded by
``max_examples`` so the module stays within about a minute on two busy cores (SQLite only: the
functional tests cover PostgreSQL through the test client).
"""

import io
import threading
from datetime import time, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from cop import create_app
from cop.discussions import services as discussions
from cop.events import services as events
from cop.extensions import db, utcnow
from cop.library import services as library
from tests.builders import make_community, make_token, make_user
from tests.conftest import make_config

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 6
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The app served by a real WSGI server on 127.0.0.1 (SQLite file), with data and a member's token."""
    base = tmp_path_factory.mktemp("api-live")
    app = create_app(
        make_config(f"sqlite:///{base / 'live.db'}", str(base / "instance"), API_RATE_LIMIT="100000 per minute")
    )
    with app.app_context():
        db.create_all()
        member = make_user("member@example.com", "Mo Member")
        sponsor = make_user("sponsor@example.com", "Sam Sponsor")
        guild = make_community("guild", coordinators=[member], sponsors=[sponsor])
        make_community("secret", visibility="private", coordinators=[sponsor])
        thread = discussions.create_thread(
            member, guild, title="Kettle practice", body="Descale monthly", kind="question", tags="kettle"
        )
        discussions.reply(member, thread, thread.opening_post, "With vinegar")
        library.add_file(member, guild, stream=io.BytesIO(b"notes\n"), filename="notes.txt")
        events.schedule_meeting(
            member,
            guild,
            events.MeetingDetails(
                title="Sync",
                date=(utcnow() + timedelta(days=2)).date(),
                start_time=time(9),
                end_time=time(10),
                timezone="UTC",
                location="Room 1",
            ),
        )
        token = make_token(member, scopes=("read", "write", "report"))
        from cop.search import index

        index.catch_up()
        db.session.remove()
    # The index is built; changes the run makes wait in the outbox (one writer, no lock contention).
    app.config["SEARCH_INDEX_ON_COMMIT"] = False
    # One request at a time (schemathesis sends them in sequence): the search index has one writer.
    server = make_server("127.0.0.1", 0, app, threaded=False)
    runner = threading.Thread(target=server.serve_forever, daemon=True)
    runner.start()
    yield f"http://127.0.0.1:{server.server_port}", token
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def api_schema(live):
    base_url, _token = live
    return schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")


def _operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_matches_its_document(live, api_schema, mode):
    """Each operation with generated requests (a Hypothesis test per operation; schemathesis's own pytest
    plugin loader does not run under pytest 9, so the strategies are used directly)."""
    base_url, token = live
    headers = {"Authorization": f"Bearer {token}"}
    operations = _operations(api_schema)
    assert len(operations) == 32  # every operation of the document (a new one must be tested too)
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @SETTINGS
        def check(case):
            if "slug" in (case.path_parameters or {}) and case.path_parameters["slug"].startswith(("g", "s")):
                case.path_parameters["slug"] = "guild"  # a real community too (the rest stay generated)
            case.headers = {**(case.headers or {}), **headers}  # the generated bearer value is replaced
            case.call_and_validate(base_url=base_url, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then fail once with all of them
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def _by_ref(api_schema, ref: str):
    """The operation an OpenAPI ``operationRef`` (``#/paths/~1api~1v1~1threads~1{thread_id}/get``) names."""
    _paths, encoded_path, method = ref.lstrip("#/").split("/")
    path = encoded_path.replace("~1", "/").replace("~0", "~")
    return next(op for op in _operations(api_schema) if op.path == path and op.method.lower() == method)


def test_stateful_links_create_read_reply(live, api_schema):
    """Create a thread (a generated body), then follow the document's links from the 201: read the thread,
    list and post replies, and from a reply's 201 read and edit it, each with generated data and validated."""
    base_url, token = live
    headers = {"Authorization": f"Bearer {token}"}
    create = next(
        op
        for op in _operations(api_schema)
        if op.path == "/api/v1/communities/{slug}/threads" and op.method.lower() == "post"
    )
    followed = []

    def call(case):
        case.headers = {**(case.headers or {}), **headers}
        return case.call_and_validate(base_url=base_url, checks=CHECKS)

    def follow(data, operation, response, depth=0):
        links = operation.definition.raw["responses"].get(str(response.status_code), {}).get("links", {})
        body = response.json()
        for name, link in sorted(links.items()):
            target = _by_ref(api_schema, link["operationRef"])
            values = {param: body[expression.split("#/", 1)[1]] for param, expression in link["parameters"].items()}
            answer = call(data.draw(target.as_strategy(path_parameters=values), label=name))
            followed.append((name, answer.status_code))
            if answer.status_code == 201 and depth == 0:
                follow(data, target, answer, depth + 1)

    @given(data=st.data())
    @settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def scenario(data):
        response = call(data.draw(create.as_strategy(path_parameters={"slug": "guild"}), label="create"))
        if response.status_code == 201:
            follow(data, create, response)

    scenario()
    succeeded = {name for name, status in followed if status in (200, 201)}
    assert {"GetThread", "ListReplies", "ReplyToThread", "GetPost"} <= succeeded, followed
