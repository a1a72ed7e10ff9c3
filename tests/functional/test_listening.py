"""The report's sentiment section through the views: figures, limits stated, Needs attention, CSV, print."""

import csv
import io

import pytest

from cop.discussions import services as discussions
from tests.builders import PASSWORD, make_community, make_user


@pytest.fixture
def backend():
    """The figures are checked on both databases in tests/unit/test_listening_report.py."""
    return "sqlite"


def _login(client, user):
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_a_sponsor_sees_the_mood_and_what_needs_attention(app, client):
    sponsor, author, helper = make_user(name="Sam"), make_user(name="Ann"), make_user(name="Hal")
    guild = make_community("guild", sponsors=[sponsor], members=[author, helper])
    angry = discussions.create_thread(
        author,
        guild,
        title="Deploys keep failing",
        body="The deploy failed again and the logs are useless. Very frustrating.",
        kind="problem",
    )
    fine = discussions.create_thread(author, guild, title="Room booking", body="This is not good at all.")
    discussions.reply(helper, fine, fine.opening_post, "Thanks a lot, this fixed it! Great answer.")
    _login(client, sponsor)
    page = client.get("/c/guild/report").get_data(as_text=True)
    assert 'id="sentiment-h"' in page and "sarcasm" in page and "English" in page
    attention = page.split('id="needs-attention"')[1].split("</table>")[0]
    assert "Deploys keep failing" in attention and "Room booking" not in attention
    assert f'href="/t/{angry.id}"' in attention
    assert 'id="chart-sentiment-negative-title"' in page and 'id="trend-sentiment_negative"' in page
    assert 'id="five-ws-share">0.0 % <span class="muted">(0 of 1)' in page
    printable = client.get("/c/guild/report/print").get_data(as_text=True)
    assert "Deploys keep failing" in printable and f'href="/t/{angry.id}"' not in printable
    rows = list(csv.reader(io.StringIO(client.get("/c/guild/report.csv").get_data(as_text=True))))
    assert ["Sentiment mix", "This period", "2", "0", "1", "0"] in rows
    assert ["Sentiment", "Negative posts", "%", "66.7", "", ""] in rows
