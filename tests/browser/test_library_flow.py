"""The library in real Chromium: upload a file, download it, upload a new version, write a
document, edit it and compare the versions; and axe on the library's pages."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.extensions import db
from cop.library import services as library
from tests.browser.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser

NOTES_V1 = b"# Retro notes\n\n- Pairing went well\n"
NOTES_V2 = b"# Retro notes\n\n- Pairing went well\n- Action: shorter stand-ups\n"


def _file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "text/markdown", "buffer": data}


def _downloaded(page, link) -> tuple[str, bytes]:
    with page.expect_download() as info:
        link.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_upload_download_new_version_then_write_edit_and_diff_a_document(page_as, live_server):
    server = live_server
    page = page_as(server.member)
    page.goto(f"{server.url}/c/{server.open_slug}")
    page.get_by_role("link", name="The library").click()
    expect(page.get_by_role("heading", name="Library", level=1)).to_be_visible()

    # Upload a file; its page offers the download.
    page.get_by_role("link", name="Upload a file").click()
    page.get_by_label("File", exact=True).set_input_files(_file("retro-notes.md", NOTES_V1))
    page.get_by_label("Title (optional: the file's name is used)").fill("Sprint retro notes")
    page.get_by_label("Tags (comma-separated)").fill("retros, agile")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("“Sprint retro notes” added to the library.")
    expect(page.get_by_role("heading", name="Sprint retro notes", level=1)).to_be_visible()
    expect(
        page.get_by_text(f"Text · {len(NOTES_V1)} bytes · retro-notes.md · text indexed for search").first
    ).to_be_visible()

    name, data = _downloaded(page, page.get_by_role("link", name="Download retro-notes.md"))
    assert (name, data) == ("retro-notes.md", NOTES_V1)

    # A new version; the first stays downloadable.
    page.get_by_role("link", name="Upload a new version").click()
    page.get_by_label("New version of the file").set_input_files(_file("retro-notes.md", NOTES_V2))
    page.get_by_label("Change note").fill("Added the action item")
    page.get_by_role("button", name="Upload version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 uploaded.")
    expect(page.get_by_role("cell", name="Added the action item")).to_be_visible()
    assert _downloaded(page, page.get_by_role("link", name="Download version 1")) == ("retro-notes.md", NOTES_V1)
    assert _downloaded(page, page.get_by_role("link", name="Download version 2")) == ("retro-notes.md", NOTES_V2)

    # Write a document, edit it, and compare the two versions.
    page.get_by_role("link", name=f"← Library of {server.open_name}").click()
    page.get_by_role("link", name="Write a document").click()
    page.get_by_label("Title").fill("Onboarding checklist")
    page.get_by_label("Text", exact=True).fill("# Onboarding\n\n- Get a laptop\n- Meet your buddy\n")
    page.get_by_role("button", name="Save document").click()
    expect(page.get_by_role("heading", name="Onboarding checklist", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Onboarding", exact=True)).to_be_visible()  # the rendered Markdown

    page.get_by_role("link", name="Edit the document").click()
    text = page.get_by_label("Text", exact=True)
    expect(text).to_have_value("# Onboarding\n\n- Get a laptop\n- Meet your buddy\n")
    text.fill("# Onboarding\n\n- Get a laptop\n- Meet your buddy\n- Join the Python Guild\n")
    page.get_by_label("Change note").fill("Join us")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 saved.")
    expect(page.get_by_role("listitem").filter(has_text="Join the Python Guild")).to_be_visible()

    page.get_by_role("link", name="Compare versions").click()
    expect(page.get_by_role("heading", name="Compare versions of “Onboarding checklist”")).to_be_visible()
    # Side by side: the added line on the right (as <ins>), nothing removed; the unified diff downloads.
    changes = page.get_by_role("region", name="Changes between version 1 and version 2")
    expect(changes.locator("ins")).to_have_text("- Join the Python Guild")
    expect(changes.locator("del")).to_have_count(0)
    expect(changes.get_by_role("row").filter(has_text="Join the Python Guild").get_by_role("cell").nth(2)).to_have_text(
        "5"
    )
    assert_no_serious_violations(page)
    name, unified = _downloaded(page, page.get_by_role("link", name="Download as a unified diff"))
    assert name.endswith("-v1-v2.diff") and "+- Join the Python Guild" in unified.decode().splitlines()

    # Compare the other way round with the form.
    page.get_by_label("From version").select_option("2")
    page.get_by_label("To version").select_option("1")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator(".diff-table del")).to_have_text("- Join the Python Guild")


def _seed_library(server) -> dict:
    """A file, a link and a two-version document in the open community (through the services)."""
    import io

    with server.app.app_context():
        community = db.session.scalar(select(Community).where(Community.slug == server.open_slug))
        member = db.session.scalar(select(User).where(User.email == server.member.email))
        coordinator = db.session.scalar(select(User).where(User.email == server.coordinator.email))
        upload = library.add_file(
            member,
            community,
            stream=io.BytesIO(b"name,score\nada,3\n"),
            filename="scores.csv",
            title="Kata scores",
            tags="katas",
        )
        library.add_link(member, community, title="Python docs", url="https://docs.python.org/3/", tags="python")
        document = library.add_document(coordinator, community, title="Pairing guide", body="# Pairing\n\nSwap often.")
        library.save_document(member, document, body="# Pairing\n\nSwap every 25 minutes.", change_note="Timing")
        library.set_featured(coordinator, document, True)
        ids = {"file": upload.id, "document": document.id}
        db.session.remove()
    return ids


def test_library_pages_have_no_serious_accessibility_problems(page_as, live_server):
    ids = _seed_library(live_server)
    page = page_as(live_server.member)
    pages = [
        (f"/c/{live_server.open_slug}/library", "Library"),
        (f"/r/{ids['file']}", "Kata scores"),
        (f"/r/{ids['document']}", "Pairing guide"),
        (f"/r/{ids['document']}/v/1", "Pairing guide: version 1"),
        (f"/c/{live_server.open_slug}/library/new/link", "Share a link"),
    ]
    for path, heading in pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        assert_no_serious_violations(page)

    # A refused link: the error is announced and tied to its field.
    page.get_by_label("Title").fill("Sneaky")
    page.get_by_label("Address").fill("javascript:alert(1)")
    page.get_by_role("button", name="Share link").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the field marked below.")
    expect(page.get_by_label("Address")).to_have_accessible_description(
        "Only web addresses starting with http:// or https:// (with a host name and no password in them) can be shared."
    )
    expect(page.get_by_label("Title")).to_have_value("Sneaky")
    assert_no_serious_violations(page)

    page.goto(f"{live_server.url}/c/{live_server.open_slug}")
    practice = page.get_by_role("region", name="Practice")
    expect(practice.get_by_role("link", name="Pairing guide")).to_be_visible()
    assert_no_serious_violations(page)
