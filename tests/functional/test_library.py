"""The library through its views, on SQLite and PostgreSQL: uploads and their limits, safe
downloads, who may see and do what, links, documents with versions and diffs."""

import io
import os
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.http import parse_options_header

from cop.admin.models import AuditEntry
from cop.discussions import services as discussions
from cop.extensions import db
from cop.library import services
from cop.library.models import Resource, ResourceVersion
from tests import files
from tests.builders import make_community, make_user
from tests.conftest import login

MB = 1024 * 1024
DOWNLOAD_CSP = "default-src 'none'; sandbox"


@pytest.fixture
def app_config():
    """1 MB uploads keep the size-limit tests small."""
    return {"MAX_UPLOAD_MB": 1}


@pytest.fixture
def people(app):
    people = {
        n: make_user(email=f"{n}@example.com", name=n.title())
        for n in ("coord", "author", "member", "outsider", "sponsor")
    }
    people["guild"] = make_community(
        "guild", coordinators=[people["coord"]], members=[people["author"], people["member"]]
    )
    people["secret"] = make_community(
        "secret",
        visibility="private",
        coordinators=[people["coord"]],
        members=[people["author"]],
        sponsors=[people["sponsor"]],
    )
    people["closed"] = make_community("closed", visibility="restricted", coordinators=[people["coord"]])
    return people


def _multipart(client, fields: dict, data: bytes, disposition_filename: str) -> dict:
    """Keyword arguments for ``client.post`` with a multipart body written out in full.

    Werkzeug's test client spools a body over 500 KB to a temporary file it
    never closes (a ResourceWarning, an error here), and cannot send file
    names a browser would never send; bytes avoid both.
    """
    boundary = "cop-test-boundary"
    body = b""
    for name, value in {"csrf_token": client.csrf_token(), **fields}.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; {disposition_filename}\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return dict(data=body, csrf=False, content_type=f"multipart/form-data; boundary={boundary}")


def _upload(client, slug, data: bytes, filename="notes.txt", **fields):
    fields = {"title": "", "description": "", "tags": "", "change_note": "", **fields}
    return client.post(f"/c/{slug}/library/new/file", **_multipart(client, fields, data, f'filename="{filename}"'))


def _upload_version(client, resource_id, data: bytes, filename="notes.txt", change_note=""):
    return client.post(
        f"/r/{resource_id}/new-version",
        **_multipart(client, {"change_note": change_note}, data, f'filename="{filename}"'),
    )


@pytest.fixture
def sign_in(client):
    """``sign_in(user)``: log the client out (if need be) and in as ``user``."""

    def switch(user):
        client.post("/logout")
        login(client, user)

    return switch


def _resource_id(response) -> int:
    assert response.status_code == 302, response.status_code
    match = re.search(r"/r/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _blobs(app) -> list[str]:
    root = os.path.join(app.instance_path, "uploads")
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _dirs, names in os.walk(root) for f in names)


def _fetch(client, path):
    """GET a download, reading the body and closing the response (its file, for stored blobs)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def _assert_safe_download(response):
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == DOWNLOAD_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    kind, options = parse_options_header(disposition)
    assert kind == "attachment" and disposition.count("attachment") == 1
    name = options["filename"]
    assert name and not any(ch in name for ch in '/\\"') and all(ord(ch) >= 32 and ord(ch) != 127 for ch in name)
    return name


def _file_resource(owner, community, data: bytes, filename: str) -> Resource:
    return services.add_file(owner, community, stream=io.BytesIO(data), filename=filename)


# --- the size limit ----------------------------------------------------------------------------------


def test_upload_at_the_limit_succeeds_one_byte_more_is_413_and_leaves_nothing(app, client, sign_in, people):
    sign_in(people["author"])
    resource_id = _resource_id(_upload(client, "guild", b"a" * MB, filename="exactly-one-megabyte.txt"))
    version = services.get_version(db.session.get(Resource, resource_id), 1)
    assert version.size == MB
    stored = _blobs(app)
    assert stored == [os.path.join(version.sha256[:2], version.sha256[2:4], version.sha256)]

    too_big = _upload(client, "guild", b"b" * (MB + 1), filename="one-byte-too-many.txt", title="Too big")
    assert too_big.status_code == 413
    assert "Too large" in too_big.get_data(as_text=True)
    assert _blobs(app) == stored
    assert db.session.scalar(select(Resource).where(Resource.title == "Too big")) is None

    new_version = _upload_version(client, resource_id, b"c" * (MB + 1), "v2.txt")
    assert new_version.status_code == 413
    assert _blobs(app) == stored
    db.session.expire_all()
    assert db.session.get(Resource, resource_id).latest_version == 1

    # Far over the request limit: Werkzeug refuses it before any view runs.
    way_over = _upload(client, "guild", b"d" * (3 * MB))
    assert way_over.status_code == 413 and _blobs(app) == stored


# --- file names and safe downloads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "disposition_filename, expected",
    [
        ('filename="../../../etc/passwd"', "passwd"),
        ('filename="..\\\\..\\\\boot.ini"', "boot.ini"),
        ("filename*=UTF-8''" + quote("../../evil\r\nX-Injected: 1\x07\x1b.txt", safe=""), "evilX-Injected 1.txt"),
        ("filename*=UTF-8''" + quote("/tmp/Übersicht\u202efdp.exe", safe=""), "Übersichtfdp.exe"),
    ],
)
def test_hostile_filenames_are_stored_safely_and_sent_back_as_one_attachment_name(
    app, client, sign_in, people, disposition_filename, expected
):
    sign_in(people["author"])
    resource_id = _resource_id(
        client.post(
            "/c/guild/library/new/file", **_multipart(client, {"title": ""}, b"plain text", disposition_filename)
        )
    )
    version = services.get_version(db.session.get(Resource, resource_id), 1)
    assert version.original_filename == expected
    # Stored by content hash only: the name never reached the disk.
    assert _blobs(app) == [os.path.join(version.sha256[:2], version.sha256[2:4], version.sha256)]
    response = _fetch(client, f"/r/{resource_id}/download")
    name = _assert_safe_download(response)
    assert name == expected
    assert response.get_data() == b"plain text"


def test_html_and_svg_uploads_are_never_rendered_inline(client, sign_in, people):
    sign_in(people["author"])
    for data, filename in ((files.HTML_WITH_SCRIPT, "page.html"), (files.SVG_WITH_SCRIPT, "drawing.svg")):
        resource_id = _resource_id(_upload(client, "guild", data, filename=filename))
        for path in (f"/r/{resource_id}/download", f"/r/{resource_id}/v/1/download"):
            response = _fetch(client, path)
            assert _assert_safe_download(response) == filename
            assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert response.get_data() == data
        page = client.get(f"/r/{resource_id}").get_data(as_text=True)
        assert "<script>" not in page and "onload=" not in page
        assert "Text ·" in page  # detected as text, whatever the name said


def test_binary_downloads_keep_their_type_but_are_still_attachments(client, sign_in, people):
    sign_in(people["author"])
    resource_id = _resource_id(_upload(client, "guild", files.PNG_1X1, filename="Übersicht – chart.png"))
    response = _fetch(client, f"/r/{resource_id}/download")
    _assert_safe_download(response)
    assert response.headers["Content-Type"] == "image/png"
    assert "filename*=UTF-8''%C3%9Cbersicht" in response.headers["Content-Disposition"]


def test_refused_file_types_get_a_form_error_and_nothing_is_stored(app, client, sign_in, people):
    sign_in(people["author"])
    for data, name in (
        (files.WINDOWS_EXE, "tool.exe"),
        (files.ELF_BINARY, "report.pdf"),
        (b"\x00\x01binary", "data.bin"),
    ):
        response = _upload(client, "guild", data, filename=name, title="Keep this title")
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "This kind of file cannot be shared here" in page
        assert 'value="Keep this title"' in page
    assert _upload(client, "guild", b"", filename="empty.txt").status_code == 400
    assert _blobs(app) == []
    assert db.session.scalar(select(Resource)) is None


def test_text_is_extracted_from_uploads_or_flagged_as_none(client, sign_in, people):
    sign_in(people["author"])
    pdf_id = _resource_id(_upload(client, "guild", files.pdf_bytes("Release checklist"), filename="checklist.pdf"))
    docx_id = _resource_id(_upload(client, "guild", files.docx_bytes("Onboarding plan"), filename="plan.docx"))
    broken_id = _resource_id(_upload(client, "guild", b"%PDF-1.4\nbroken", filename="broken.pdf"))
    versions = {rid: services.get_version(db.session.get(Resource, rid), 1) for rid in (pdf_id, docx_id, broken_id)}
    assert "Release checklist" in versions[pdf_id].text_content
    assert "Onboarding plan" in versions[docx_id].text_content
    assert (versions[broken_id].has_text, versions[broken_id].mime_type) == (False, "application/pdf")
    assert "text indexed for search" in client.get(f"/r/{pdf_id}").get_data(as_text=True)
    assert "no text" in client.get(f"/r/{broken_id}").get_data(as_text=True)


# --- who may see --------------------------------------------------------------------------------------


def test_private_files_and_their_old_versions_are_404_for_non_members(client, sign_in, people):
    resource = _file_resource(people["author"], people["secret"], b"version one", "plan.txt")
    services.upload_version(people["author"], resource, stream=io.BytesIO(b"version two"), filename="plan.txt")
    rid = resource.id
    paths = [
        f"/r/{rid}",
        f"/r/{rid}/download",
        f"/r/{rid}/v/1/download",
        f"/r/{rid}/v/2/download",
        f"/r/{rid}/v/1",
        f"/r/{rid}/go",
        f"/r/{rid}/diff",
        f"/r/{rid}/edit",
        f"/r/{rid}/new-version",
        "/c/secret/library",
        "/c/secret/library/new/file",
    ]
    for who in ("outsider", "member"):  # "member" belongs to the open guild only
        sign_in(people[who])
        for path in paths:
            assert client.get(path).status_code == 404, (who, path)
        for action in ("feature", "delete"):
            assert client.post(f"/r/{rid}/{action}", data={"featured": "1"}).status_code == 404
    # A guessed id that does not exist reads the same.
    assert _fetch(client, f"/r/{rid + 1000}/download").status_code == 404

    sign_in(people["sponsor"])
    assert _fetch(client, f"/r/{rid}/v/1/download").get_data() == b"version one"
    sign_in(people["author"])
    assert _fetch(client, f"/r/{rid}/v/1/download").get_data() == b"version one"
    assert _fetch(client, f"/r/{rid}/download").get_data() == b"version two"
    assert _fetch(client, f"/r/{rid}/v/3/download").status_code == 404
    db.session.expire_all()
    assert db.session.get(Resource, rid).use_count == 3


def test_restricted_library_is_404_for_non_members(client, sign_in, people):
    sign_in(people["member"])
    assert client.get("/c/closed").status_code == 200  # listed...
    assert client.get("/c/closed/library").status_code == 404  # ...but its content is for members


def test_only_members_add_and_the_open_library_is_readable(client, sign_in, people):
    sign_in(people["outsider"])
    page = client.get("/c/guild/library")
    assert page.status_code == 200 and "Upload a file" not in page.get_data(as_text=True)
    for kind in ("file", "link", "document"):
        assert client.get(f"/c/guild/library/new/{kind}").status_code == 403
    assert (
        client.post("/c/guild/library/new/link", data={"title": "x", "url": "https://example.com"}).status_code == 403
    )
    assert client.get("/c/guild/library/new/script").status_code == 404
    sign_in(people["member"])
    assert "Upload a file" in client.get("/c/guild/library").get_data(as_text=True)
    assert client.get("/c/guild/library/new/file").status_code == 200


def test_deleted_resources_are_gone_for_everyone(client, sign_in, people):
    doc = services.add_document(people["author"], people["guild"], title="Old guide", body="text")
    sign_in(people["coord"])
    response = client.post(f"/r/{doc.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/c/guild/library")
    for path in (f"/r/{doc.id}", f"/r/{doc.id}/v/1", f"/r/{doc.id}/download"):
        assert client.get(path).status_code == 404
    assert "Old guide" not in client.get("/c/guild/library").get_data(as_text=True)
    assert [e.action for e in db.session.scalars(select(AuditEntry))] == ["resource.delete"]


# --- links ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JAVASCRIPT:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://files.example.com/a",
    ],
)
def test_links_with_other_schemes_are_refused_with_a_form_error(client, sign_in, people, url):
    sign_in(people["author"])
    response = client.post(
        "/c/guild/library/new/link", data={"title": "Handy tool", "url": url, "description": "Try it", "tags": "tools"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="url-error"' in page and "Only web addresses starting with http:// or https://" in page
    assert 'value="Handy tool"' in page and "Try it" in page  # what was typed is kept
    assert db.session.scalar(select(Resource)) is None


def test_editing_a_link_to_another_scheme_is_refused(client, sign_in, people):
    link = services.add_link(people["author"], people["guild"], title="Docs", url="https://example.com")
    sign_in(people["author"])
    response = client.post(
        f"/r/{link.id}/edit", data={"title": "Docs", "url": "javascript:alert(1)", "description": "", "tags": ""}
    )
    assert response.status_code == 400 and 'id="url-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Resource, link.id).url == "https://example.com"


def test_links_are_shown_and_followed_only_while_they_are_http(client, sign_in, people):
    link = services.add_link(people["author"], people["guild"], title="Docs", url="https://docs.example.com/a?b=1")
    sign_in(people["member"])
    page = client.get(f"/r/{link.id}").get_data(as_text=True)
    assert "https://docs.example.com/a?b=1" in page and f'href="/r/{link.id}/go"' in page
    followed = client.get(f"/r/{link.id}/go")
    assert followed.status_code == 302 and followed.headers["Location"] == "https://docs.example.com/a?b=1"
    client.get(f"/r/{link.id}")  # page views are not uses
    db.session.expire_all()
    assert db.session.get(Resource, link.id).use_count == 1

    db.session.get(Resource, link.id).url = "javascript:alert(1)"  # as if written around the services
    db.session.commit()
    page = client.get(f"/r/{link.id}").get_data(as_text=True)
    assert "javascript:" not in page and "is not an http or https address" in page
    assert client.get(f"/r/{link.id}/go").status_code == 404
    assert _fetch(client, f"/r/{link.id}/download").status_code == 404


# --- documents ----------------------------------------------------------------------------------------------------


def test_documents_are_written_edited_compared_and_downloaded(client, sign_in, people):
    sign_in(people["author"])
    created = client.post(
        "/c/guild/library/new/document",
        data={
            "title": "Code review checklist",
            "body": "# Checklist\n\n- Tests pass\n",
            "description": "How we review",
            "tags": "reviews, Python",
            "change_note": "",
        },
    )
    rid = _resource_id(created)
    page = client.get(f"/r/{rid}").get_data(as_text=True)
    assert "<h1>Checklist</h1>" in page and "reviews" in page and "Version" in page

    sign_in(people["member"])  # documents are written together
    editor = client.get(f"/r/{rid}/new-version").get_data(as_text=True)
    assert "- Tests pass" in editor and 'name="base_version" type="hidden" value="1"' in editor
    saved = client.post(
        f"/r/{rid}/new-version",
        data={"base_version": "1", "body": "# Checklist\n\n- Tests pass\n- Docs updated\n", "change_note": "Docs"},
    )
    assert saved.status_code == 302

    stale = client.post(
        f"/r/{rid}/new-version", data={"base_version": "1", "body": "# Checklist\n\n- Lint clean\n", "change_note": ""}
    )
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone saved version 2" in text and "- Lint clean" in text
    assert 'name="base_version" type="hidden" value="2"' in text

    diff = client.get(f"/r/{rid}/diff?a=1&b=2")
    assert diff.status_code == 200
    shown = diff.get_data(as_text=True)
    assert '<span class="visually-hidden">Added: </span><ins>- Docs updated</ins>' in shown and "@@" not in shown
    without_token = re.compile(r'<meta name="csrf-token"[^>]*>')  # the token's timestamp may tick between pages
    assert without_token.sub("", client.get(f"/r/{rid}/diff").get_data(as_text=True)) == without_token.sub("", shown)
    unified = client.get(f"/r/{rid}/diff?a=1&b=2&format=unified")
    assert unified.mimetype == "text/plain" and "attachment" in unified.headers["Content-Disposition"]
    assert unified.get_data(as_text=True).splitlines()[:2] == ["--- version 1", "+++ version 2"]
    assert "+- Docs updated" in unified.get_data(as_text=True).splitlines()
    assert client.get(f"/r/{rid}/diff?a=1&b=7").status_code == 404
    assert client.get(f"/r/{rid}/diff?a=x&b=2").status_code == 404

    old = client.get(f"/r/{rid}/v/1")
    assert old.status_code == 200 and "Docs updated" not in old.get_data(as_text=True)
    download = _fetch(client, f"/r/{rid}/v/1/download")
    assert _assert_safe_download(download) == "Code review checklist.md"
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert download.get_data(as_text=True) == "# Checklist\n\n- Tests pass\n"

    sign_in(people["outsider"])
    assert client.get(f"/r/{rid}/new-version").status_code == 403


def test_bad_document_input_is_refused_and_kept(client, sign_in, people):
    sign_in(people["author"])
    response = client.post(
        "/c/guild/library/new/document",
        data={"title": "Draft", "body": "  ", "tags": "", "description": "", "change_note": ""},
    )
    assert response.status_code == 400 and 'value="Draft"' in response.get_data(as_text=True)
    response = client.post(
        "/c/guild/library/new/document",
        data={"title": "Brackets", "body": "[" * 5000, "tags": "", "description": "", "change_note": ""},
    )
    assert response.status_code == 400 and "unclosed brackets" in response.get_data(as_text=True)
    assert db.session.scalar(select(Resource)) is None


def test_file_versions_by_the_author_and_coordinators(client, sign_in, people):
    resource = _file_resource(people["author"], people["guild"], b"first", "notes.txt")
    sign_in(people["member"])
    assert client.get(f"/r/{resource.id}/new-version").status_code == 403
    assert client.get(f"/r/{resource.id}/edit").status_code == 403
    sign_in(people["coord"])
    response = _upload_version(client, resource.id, b"second", "notes-v2.txt", change_note="Typos")
    assert response.status_code == 302
    page = client.get(f"/r/{resource.id}").get_data(as_text=True)
    assert "Typos" in page and f"/r/{resource.id}/v/1/download" in page
    assert _fetch(client, f"/r/{resource.id}/v/1/download").get_data() == b"first"
    assert _fetch(client, f"/r/{resource.id}/download").get_data() == b"second"
    missing = client.post(
        f"/r/{resource.id}/new-version", content_type="multipart/form-data", data={"change_note": "no file"}
    )
    assert missing.status_code == 400 and "Choose a file to upload." in missing.get_data(as_text=True)


# --- curation and the community page --------------------------------------------------------------------------------


def test_coordinators_feature_resources_shown_on_the_community_page(client, sign_in, people):
    doc = services.add_document(people["author"], people["guild"], title="Onboarding guide", body="Welcome")
    services.add_link(people["member"], people["guild"], title="Style guide", url="https://peps.python.org/pep-0008/")
    sign_in(people["author"])
    assert client.post(f"/r/{doc.id}/feature", data={"featured": "1"}).status_code == 403
    sign_in(people["coord"])
    assert client.post(f"/r/{doc.id}/feature", data={"featured": "1"}).status_code == 302
    home = client.get("/c/guild").get_data(as_text=True)
    practice = home[home.index('id="practice-h"') :]
    assert "Featured" in practice and "Onboarding guide" in practice and "Style guide" in practice
    assert 'href="/c/guild/library"' in practice
    library = client.get("/c/guild/library?sort=title").get_data(as_text=True)
    assert library.index("Onboarding guide") < library.index("Style guide")  # featured first
    assert client.post(f"/r/{doc.id}/feature", data={"featured": "0"}).status_code == 302
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "resource.feature",
        "resource.unfeature",
    ]
    sign_in(people["outsider"])
    assert "Onboarding guide" in client.get("/c/guild").get_data(as_text=True)  # open community


def test_library_rows_follow_every_change(client, sign_in, people):
    """A retitle, featuring, a new tag or a renamed author shows in the library's row on the next view."""
    doc = services.add_document(
        people["author"], people["guild"], title="Onboarding guide", body="Welcome", tags="onboarding"
    )
    doc_id = doc.id
    sign_in(people["member"])

    def row():
        page = client.get("/c/guild/library").get_data(as_text=True)
        start = page.index(f'href="/r/{doc_id}"')
        return page[start : page.index("</li>\n", start)]

    assert "Onboarding guide" in row() and ">onboarding<" in row()
    resource, author = db.session.get(Resource, doc_id), db.session.get(type(people["author"]), people["author"].id)
    resource.title, resource.is_featured, author.display_name = "Onboarding handbook", True, "Ann Author"
    db.session.commit()
    assert "Onboarding handbook" in row() and "Featured" in row() and "Ann Author" in row()
    services.update_resource(
        people["author"], db.session.get(Resource, doc_id), title="Onboarding handbook", tags="onboarding, hr"
    )
    assert ">hr<" in row() and ">onboarding<" in row()


def test_library_filters_and_pagination(client, sign_in, people):
    for n in range(23):
        services.add_link(
            people["author"],
            people["guild"],
            title=f"Link {n:02d}",
            url=f"https://example.com/{n}",
            tags="even" if n % 2 == 0 else "odd",
        )
    services.add_document(people["author"], people["guild"], title="The only document", body="x")
    sign_in(people["member"])
    page = client.get("/c/guild/library").get_data(as_text=True)
    assert "24 resources" in page and "Page 1 of 2" in page
    assert "Link 00" not in page and "The only document" in page
    second = client.get("/c/guild/library?page=2").get_data(as_text=True)
    assert "Link 00" in second
    assert "1 resource<" in client.get("/c/guild/library?kind=document").get_data(as_text=True)
    assert "12 resources" in client.get("/c/guild/library?tag=even").get_data(as_text=True)
    assert client.get("/c/guild/library?sort=bogus&kind=bogus&page=x").status_code == 200


def test_threads_linking_to_a_resource_are_listed_when_readable(client, sign_in, people):
    doc = services.add_document(people["author"], people["guild"], title="Guide", body="text")
    discussions.create_thread(
        people["member"],
        people["guild"],
        title="Open discussion of the guide",
        body=f"Read http://localhost/r/{doc.id} first",
    )
    discussions.create_thread(
        people["author"], people["secret"], title="Private take on the guide", body=f"Compare with /r/{doc.id}"
    )
    sign_in(people["member"])
    page = client.get(f"/r/{doc.id}").get_data(as_text=True)
    assert "Open discussion of the guide" in page and "Private take on the guide" not in page
    sign_in(people["author"])
    page = client.get(f"/r/{doc.id}").get_data(as_text=True)
    assert "Open discussion of the guide" in page and "Private take on the guide" in page


def test_document_version_rows_are_unique(people):
    doc = services.add_document(people["author"], people["guild"], title="Guide", body="one")
    db.session.add(ResourceVersion(resource_id=doc.id, number=1, body_md="dup", body_html="dup"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_demo_data_fills_the_python_guild_library_once(app, runner):
    assert runner.invoke(args=["cop", "demo"]).exit_code == 0
    resources = db.session.scalars(select(Resource).order_by(Resource.id)).all()
    assert [(r.kind, r.latest_version) for r in resources] == [("link", 0), ("document", 2), ("file", 1)]
    assert {r.community.slug for r in resources} == {"python-guild"}
    upload = services.get_version(resources[2], 1)
    assert upload.has_text and os.path.isfile(
        os.path.join(app.instance_path, "uploads", upload.sha256[:2], upload.sha256[2:4], upload.sha256)
    )
    assert runner.invoke(args=["cop", "demo"]).exit_code == 0
    assert len(db.session.scalars(select(Resource)).all()) == 3
