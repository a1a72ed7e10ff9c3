"""Webhooks end to end (SQLite and PostgreSQL): a real HTTP receiver on loopback checks every signature.

Registration by a coordinator, deliveries queued in the change's transaction and sent after the
response, retries with the same delivery id, a day of failures switching an endpoint off, a process
killed after its commit delivering on the next run, and the SSRF refusals.
"""

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cop.discussions import services as discussions
from cop.errors import DomainError
from cop.extensions import db, utcnow
from cop.webhooks import sender, services
from cop.webhooks.models import WebhookDelivery, WebhookEndpoint
from cop.webhooks.ssrf import UnsafeAddress
from tests.builders import bearer, make_community, make_token, make_user

ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A loopback HTTP server recording each POST; ``plan`` holds the statuses of the next answers (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.plan: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.plan.pop(0) if receiver.plan else 200
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body, "status": status}
                )
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[dict]:
        return [r for r in self.requests if 200 <= r["status"] < 300]


def verified(request: dict, secret: str) -> dict:
    """The payload of a received request after checking its signature (fails the test otherwise)."""
    headers = request["headers"]
    timestamp = headers["Cop-Webhook-Timestamp"]
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    )
    assert hmac.compare_digest(headers["Cop-Webhook-Signature"], expected), "bad signature"
    payload = json.loads(request["body"])
    assert payload["id"] == headers["Cop-Webhook-Id"] and payload["event"] == headers["Cop-Webhook-Event"]
    return payload


@pytest.fixture
def app_config():
    return {"WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_ALLOW_HTTP": True}


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def people(app):
    coordinator = make_user("coord@example.com", "Cora Coordinator")
    member = make_user("member@example.com", "Mo Member")
    outsider = make_user("outsider@example.com")
    guild = make_community("guild", coordinators=[coordinator], members=[member])
    vault = make_community("vault", visibility="private", coordinators=[coordinator], members=[member])
    return dict(coordinator=coordinator, member=member, outsider=outsider, guild=guild, vault=vault)


def _endpoint(people, url, community="guild", events=("thread.created", "reply.created"), include_content=False):
    return services.create_endpoint(
        people["coordinator"], people[community], url=url, events=events, include_content=include_content
    )


def test_a_coordinator_registers_an_endpoint_and_changes_arrive_signed(client, login_as, people, receiver):
    login_as(people["member"])
    assert client.get("/c/guild/webhooks").status_code == 403
    client.post("/logout")
    login_as(people["coordinator"])
    page = client.post("/c/guild/webhooks", data={"url": receiver.url, "events": ["thread.created", "answer.accepted"]})
    assert page.status_code == 200
    secret = re.search(r'value="(whsec_[A-Za-z0-9_-]+)"', page.get_data(as_text=True)).group(1)
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert endpoint.events == "thread.created,answer.accepted"
    assert secret not in client.get(f"/c/guild/webhooks/{endpoint.id}").get_data(as_text=True)  # shown once

    client.post("/logout")
    login_as(people["member"])
    created = client.post(
        "/c/guild/threads/new",
        data={"title": "Deploy on Fridays?", "kind": "question", "priority": "2", "body": "Asking **for real**"},
    )
    assert created.status_code == 302
    assert receiver.requests == []  # queued, sent once the response is out (the server closes it)
    created.close()
    (request,) = receiver.requests
    payload = verified(request, secret)
    assert payload["event"] == "thread.created" and payload["thread"]["title"] == "Deploy on Fridays?"
    assert payload["content_included"] is True and payload["post"]["body_markdown"] == "Asking **for real**"
    assert payload["community"]["slug"] == "guild" and payload["actor"]["handle"] == people["member"].handle
    assert payload["created_at"].endswith("Z") and request["headers"]["Content-Type"] == "application/json"
    # A reply is not among its events: nothing sent, nothing queued.
    thread = db.session.scalar(select(discussions.Thread))
    client.post(f"/t/{thread.id}/reply", data={"parent_id": thread.opening_post_id, "body": "Never"}).close()
    assert len(receiver.requests) == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    client.post("/logout")
    login_as(people["coordinator"])
    log = client.get(f"/c/guild/webhooks/{endpoint.id}").get_data(as_text=True)
    assert payload["id"] in log and "delivered" in log and "thread.created" in log


def test_private_communities_send_titles_and_links_without_text_unless_asked(people, receiver):
    _endpoint(people, receiver.url, community="vault")
    _endpoint(people, receiver.url + "?content=1", community="vault", include_content=True)
    discussions.create_thread(people["member"], people["vault"], title="Secret plan", body="zqbodycanary")
    sender.deliver_due()
    by_path = {r["path"]: json.loads(r["body"]) for r in receiver.requests}
    plain, full = by_path["/hook"], by_path["/hook?content=1"]
    assert plain["thread"]["title"] == "Secret plan" and plain["thread"]["url"].endswith(f"/t/{plain['thread']['id']}")
    assert plain["content_included"] is False and plain["post"]["body_markdown"] is None
    assert "zqbodycanary" not in json.dumps(plain)
    assert full["content_included"] is True and full["post"]["body_markdown"] == "zqbodycanary"


def test_a_refused_change_queues_nothing(people, receiver):
    _endpoint(people, receiver.url)
    thread = discussions.create_thread(people["member"], people["guild"], title="Locked", body="x")
    discussions.moderate_thread(people["coordinator"], thread, "lock")
    with pytest.raises(DomainError):
        discussions.reply(people["member"], thread, thread.opening_post, "too late")
    db.session.rollback()
    assert [d.event for d in db.session.scalars(select(WebhookDelivery))] == ["thread.created"]


def test_fail_twice_then_succeed_is_received_once_by_id(people, receiver):
    _endpoint_row, secret = _endpoint(people, receiver.url)
    receiver.plan = [500, 503]
    discussions.create_thread(people["member"], people["guild"], title="Retry me", body="x")
    start = utcnow()
    assert sender.deliver_due(now=start) == {"delivered": 0, "retry": 1, "failed": 0}
    assert sender.deliver_due(now=start + timedelta(seconds=10)) == {"delivered": 0, "retry": 0, "failed": 0}
    assert sender.deliver_due(now=start + timedelta(seconds=31)) == {"delivered": 0, "retry": 1, "failed": 0}
    assert sender.deliver_due(now=start + timedelta(seconds=92)) == {"delivered": 1, "retry": 0, "failed": 0}
    assert sender.deliver_due(now=start + timedelta(hours=3)) == {"delivered": 0, "retry": 0, "failed": 0}
    assert [r["status"] for r in receiver.requests] == [500, 503, 200]
    ids = {verified(r, secret)["id"] for r in receiver.requests}
    assert len(ids) == 1 and len(receiver.accepted()) == 1
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    assert db.session.get(WebhookEndpoint, _endpoint_row.id).failing_since is None
    # The log keeps a delivered delivery for 30 days, then `webhooks run` prunes it.
    assert sender.prune(now=start + timedelta(days=29)) == 0
    assert sender.prune(now=start + timedelta(days=31)) == 1


def test_redirects_are_not_followed(people, receiver):
    _endpoint(people, receiver.url)
    receiver.plan = [302]
    discussions.create_thread(people["member"], people["guild"], title="Moved", body="x")
    assert sender.deliver_due()["retry"] == 1
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    assert "redirects are not followed" in db.session.scalar(select(WebhookDelivery.last_error))


def test_an_endpoint_failing_for_a_day_is_switched_off_and_its_coordinators_told(app, people, receiver):
    endpoint, _secret = _endpoint(people, receiver.url)
    receiver.plan = [500] * 50
    discussions.create_thread(people["member"], people["guild"], title="Down", body="x")
    start = utcnow()
    sender.deliver_due(now=start)
    assert sender.deliver_due(now=start + timedelta(hours=12)) == {"delivered": 0, "retry": 1, "failed": 0}
    assert db.session.scalar(select(WebhookEndpoint.is_active))  # failing half a day: still on
    # A day after the first failure: the delivery is given up and the endpoint switched off.
    assert sender.deliver_due(now=start + timedelta(days=1, seconds=1)) == {"delivered": 0, "retry": 0, "failed": 1}
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert not endpoint.is_active and "Failed for a day" in endpoint.disabled_reason
    mails = list((Path(app.instance_path) / "mail").glob("*.eml"))
    assert len(mails) == 1 and "Webhook switched off in Guild" in mails[0].read_text()
    assert "coord@example.com" in mails[0].read_text()
    # Switched off: its events are no longer queued, until a coordinator switches it on again.
    discussions.create_thread(people["member"], people["guild"], title="Not for it", body="x")
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    services.enable_endpoint(people["coordinator"], endpoint)
    receiver.plan = []
    discussions.create_thread(people["member"], people["guild"], title="Back", body="x")
    assert sender.deliver_due()["delivered"] == 1
    assert json.loads(receiver.requests[-1]["body"])["thread"]["title"] == "Back"


def test_a_process_killed_after_its_commit_delivers_on_the_next_run(app, runner, people, receiver):
    _endpoint_row, secret = _endpoint(people, receiver.url)
    token = make_token(people["member"], scopes=("read", "write"))
    script = f"""
import os, signal
from config import Config
from cop import create_app

class Settings(Config):
    SQLALCHEMY_DATABASE_URI = {app.config["SQLALCHEMY_DATABASE_URI"]!r}
    INSTANCE_PATH = {app.instance_path!r}
    SECRET_KEY = {app.config["SECRET_KEY"]!r}
    WEBHOOK_ALLOW_PRIVATE = WEBHOOK_ALLOW_HTTP = True
    SEARCH_INDEX_ON_COMMIT = False

client = create_app(Settings).test_client()
response = client.post("/api/v1/communities/guild/threads", headers={bearer(token)!r},
                       json={{"title": "Written before the crash", "body": "x"}})
assert response.status_code == 201, response.get_data(as_text=True)
os.kill(os.getpid(), signal.SIGKILL)  # committed; the response was never closed, so nothing was sent
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert receiver.requests == []
    db.session.expire_all()
    assert db.session.scalar(select(WebhookDelivery.status)) == "pending"
    result = runner.invoke(args=["cop", "webhooks", "run"])
    assert result.exit_code == 0 and "Delivered 1" in result.output
    (request,) = receiver.requests
    assert verified(request, secret)["thread"]["title"] == "Written before the crash"


class TestSSRF:
    @pytest.fixture
    def app_config(self):
        return {"WEBHOOK_ALLOW_PRIVATE": False, "WEBHOOK_ALLOW_HTTP": False}

    @pytest.mark.parametrize(
        "url",
        [
            "https://127.0.0.1/hook",
            "https://10.1.2.3/hook",
            "https://169.254.169.254/latest",
            "https://localhost:8443/hook",
            "https://[::1]/hook",
            "https://192.168.0.10/",
            "https://0.0.0.0/",
            "https://[::ffff:127.0.0.1]/",
        ],
    )
    def test_internal_addresses_are_refused(self, people, url):
        with pytest.raises(UnsafeAddress) as refused:
            _endpoint(people, url)
        assert refused.value.field == "url"
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0

    def test_plain_http_and_credentials_are_refused(self, people):
        for url in ("http://8.8.8.8/hook", "https://user:pw@8.8.8.8/", "ftp://8.8.8.8/", "javascript:alert(1)"):
            with pytest.raises(UnsafeAddress):
                _endpoint(people, url)

    def test_the_address_is_checked_again_when_sending(self, app, people, receiver):
        app.config.update(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_ALLOW_HTTP=True)
        _endpoint(people, receiver.url)
        app.config.update(WEBHOOK_ALLOW_PRIVATE=False)  # as if the name now resolved inside the network
        discussions.create_thread(people["member"], people["guild"], title="Rebound", body="x")
        assert sender.deliver_due()["retry"] == 1
        assert receiver.requests == []
        assert "loopback" in db.session.scalar(select(WebhookDelivery.last_error))


def test_api_writes_queue_deliveries_too(people, receiver, app):
    from flask.testing import FlaskClient

    _endpoint_row, secret = _endpoint(
        people, receiver.url, events=("resource.created", "resource.versioned", "meeting.created")
    )
    api = FlaskClient(app, app.response_class)
    headers = bearer(make_token(people["member"], scopes=("read", "write")))
    response = api.post(
        "/api/v1/communities/guild/resources",
        headers=headers,
        json={"kind": "document", "title": "Runbook", "body": "step one"},
    )
    assert response.status_code == 201
    response.close()
    (request,) = receiver.requests
    payload = verified(request, secret)
    assert payload["event"] == "resource.created" and payload["resource"]["title"] == "Runbook"
    assert payload["resource"]["version"] == 1
