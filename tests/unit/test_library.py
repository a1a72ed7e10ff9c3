"""Library services, storage, type sniffing and text extraction against a real database and disk."""

import io
import os

import pytest
from sqlalchemy import select

from cop.admin.models import AuditEntry
from cop.discussions import services as discussions
from cop.errors import DomainError, NotAllowed
from cop.extensions import db
from cop.library import extract, filetypes, services, storage
from cop.library.models import Resource, ResourceVersion
from cop.library.urls import clean_link_url, is_safe_link, resource_ids_in
from cop.textdiff import unified_diff
from tests import files
from tests.builders import make_community, make_user


@pytest.fixture
def crowd(app):
    people = {
        n: make_user(email=f"{n}@example.com", name=n.title())
        for n in ("coord", "author", "member", "outsider", "sponsor", "admin")
    }
    people["admin"].is_admin = True
    db.session.commit()
    community = make_community("guild", coordinators=[people["coord"]], members=[people["author"], people["member"]])
    secret = make_community(
        "secret",
        visibility="private",
        coordinators=[people["coord"]],
        members=[people["author"]],
        sponsors=[people["sponsor"]],
    )
    return people, community, secret


def _upload(people, community, data: bytes, filename="notes.txt", who="author", **fields):
    return services.add_file(people[who], community, stream=io.BytesIO(data), filename=filename, **fields)


def _files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _dirs, names in os.walk(root) for f in names)


def _write(tmp_path, data: bytes, name="sample") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# --- storage -------------------------------------------------------------------------------------


def test_blobs_are_stored_by_content_hash_and_deduplicated(app):
    import hashlib

    data = b"the same bytes"
    digest = hashlib.sha256(data).hexdigest()
    for _ in range(2):
        with storage.receive(io.BytesIO(data)) as blob:
            path = blob.keep()
    root = storage.uploads_root()
    assert root == os.path.join(app.instance_path, "uploads")
    assert path == os.path.join(root, digest[:2], digest[2:4], digest)
    assert blob.sha256 == digest and blob.size == len(data)
    assert _files_under(root) == [os.path.join(digest[:2], digest[2:4], digest)]
    with open(path, "rb") as handle:
        assert handle.read() == data


def test_receive_accepts_the_limit_and_refuses_one_byte_more_leaving_nothing(app):
    with storage.receive(io.BytesIO(b"x" * 1000), max_bytes=1000) as blob:
        blob.keep()
    assert blob.size == 1000
    kept = _files_under(storage.uploads_root())
    with pytest.raises(storage.UploadTooLarge):
        storage.receive(io.BytesIO(b"y" * 1001), max_bytes=1000)
    assert _files_under(storage.uploads_root()) == kept


def test_a_blob_not_kept_is_removed(app):
    with storage.receive(io.BytesIO(b"refused")) as blob:
        assert os.path.exists(blob.temp_path)
    assert _files_under(storage.uploads_root()) == []


def test_blob_paths_are_only_ever_built_from_a_hash(app):
    for bad in ("../../etc/passwd", "A" * 64, "", "0" * 63):
        with pytest.raises(ValueError):
            storage.blob_path(bad)


# --- file names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\evil.dll", "evil.dll"),
        ("C:\\Users\\me\\plan.docx", "plan.docx"),
        ("bad\r\nX-Header: 1.txt", "badX-Header 1.txt"),
        ("tab\there\x1b[31m.txt", "tabhere[31m.txt"),
        ("report.pdf\x00.html", "report.pdf"),  # a NUL ends the name (issue 14, item 7): never "report.pdf.html"
        ("invoice\u202etxt.exe", "invoicetxt.exe"),
        ('quote"s<and>pipes|?*.md', "quotesandpipes.md"),
        (".htaccess", "htaccess"),
        ("...", "download"),
        ("", "download"),
        (None, "download"),
        ("  spaced   out  .txt ", "spaced out .txt"),
        ("Übersicht – Plan.pdf", "Übersicht – Plan.pdf"),
    ],
)
def test_safe_filename(raw, expected):
    assert services.safe_filename(raw) == expected


def test_safe_filename_caps_length_and_keeps_the_extension():
    name = services.safe_filename("a" * 400 + ".xlsx")
    assert len(name) == services.FILENAME_MAX and name.endswith(".xlsx")
    assert len(services.safe_filename("b" * 400)) == services.FILENAME_MAX


# --- type sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, mime",
    [
        (files.pdf_bytes("Hi"), filetypes.PDF),
        (files.docx_bytes("Hi"), filetypes.DOCX),
        (files.docx_late_parts_bytes(), filetypes.DOCX),
        (files.xlsx_bytes(), filetypes.XLSX),
        (files.pptx_bytes(), filetypes.PPTX),
        (files.odt_bytes(), filetypes.ODT),
        (files.plain_zip_bytes(), filetypes.ZIP),
        (files.PNG_1X1, "image/png"),
        (b"# Notes\n\nSome *Markdown*.\n", "text/plain"),
        ("Grüße, naïve café\n".encode(), "text/plain"),
        (b"name,score\nada,3\n", "text/plain"),
        (b"BMW fleet report\n", "text/plain"),
        (files.HTML_WITH_SCRIPT, "text/plain"),
        (files.SVG_WITH_SCRIPT, "text/plain"),
    ],
)
def test_detect_by_content(tmp_path, data, mime):
    assert filetypes.detect(_write(tmp_path, data)).mime == mime


@pytest.mark.parametrize(
    "data",
    [
        files.WINDOWS_EXE,
        files.ELF_BINARY,
        b"text with a NUL\x00 byte",
        b"\xff\xfe\xfa not utf-8",
        b"PK\x03\x04 a truncated archive",
        b"",
    ],
)
def test_detect_refuses_executables_binaries_and_damaged_archives(tmp_path, data):
    with pytest.raises(DomainError) as info:
        filetypes.detect(_write(tmp_path, data))
    assert info.value.field == "file"


# --- text extraction ---------------------------------------------------------------------------------------


def test_extracts_text_from_a_pdf(tmp_path):
    path = _write(tmp_path, files.pdf_bytes("Quarterly retrospective", "Action items (three)"))
    text = extract.extract_text(path, filetypes.PDF)
    assert "Quarterly retrospective" in text and "Action items (three)" in text


def test_extracts_text_from_a_docx(tmp_path):
    path = _write(
        tmp_path,
        files.docx_bytes("Onboarding guide", "Step two: pair up.", table=[["Owner", "Lena"], ["Due", "Friday"]]),
    )
    text = extract.extract_text(path, filetypes.DOCX)
    assert "Onboarding guide" in text and "Step two: pair up." in text
    assert "Owner\tLena" in text and "Due\tFriday" in text


def test_extracts_markdown_and_plain_text_capped(tmp_path, monkeypatch):
    path = _write(tmp_path, "\ufeff# Título\n\nBody".encode())
    assert extract.extract_text(path, "text/plain") == "# Título\n\nBody"
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", 10)
    assert extract.extract_text(_write(tmp_path, b"x" * 100, "long"), "text/plain") == "x" * 10


def test_unparseable_or_textless_files_have_no_text(tmp_path):
    assert extract.extract_text(_write(tmp_path, b"%PDF-1.4 not really a pdf"), filetypes.PDF) is None
    assert extract.extract_text(_write(tmp_path, b"PK\x03\x04 broken", "d"), filetypes.DOCX) is None
    assert extract.extract_text(_write(tmp_path, files.PNG_1X1, "p"), "image/png") is None
    assert extract.extract_text(_write(tmp_path, b"  \n ", "blank"), "text/plain") is None


# --- links ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "mailto:a@example.com",
        "//example.com/x",
        "http://",
        "https:///path",
        "https://user:secret@example.com/",
        "example.com",
        "http://exa mple.com",
        "https://example.com/\x00",
    ],
)
def test_unsafe_link_urls_are_refused(url):
    assert not is_safe_link(url)
    with pytest.raises(DomainError) as info:
        clean_link_url(url)
    assert info.value.field == "url"


def test_http_and_https_links_are_accepted():
    assert (
        clean_link_url("  https://docs.python.org/3/library/unittest.html#module-unittest ")
        == "https://docs.python.org/3/library/unittest.html#module-unittest"
    )
    assert clean_link_url("HTTP://Example.com:8080/a?b=c") == "HTTP://Example.com:8080/a?b=c"


def test_resource_ids_in_post_text():
    text = (
        "See /r/12, (/r/13) and [the guide](https://cop.example/r/14?x=1) or <http://localhost:5000/r/15>. "
        "Not /docs/r/16, example.com/r/17 or /r/18abc."
    )
    assert resource_ids_in(text) == {12, 13, 14, 15}


# --- services -------------------------------------------------------------------------------------------------


def test_only_members_add_resources(crowd):
    people, community, secret = crowd
    for who, where in (("outsider", community), ("sponsor", secret), ("admin", community)):
        with pytest.raises(NotAllowed):
            services.add_link(people[who], where, title="x", url="https://example.com")
        db.session.rollback()
    assert db.session.scalar(select(Resource)) is None


def test_add_link_validates_and_tags(crowd):
    people, community, _ = crowd
    with pytest.raises(DomainError) as info:
        services.add_link(people["author"], community, title="Bad", url="javascript:alert(1)")
    assert info.value.field == "url"
    db.session.rollback()
    with pytest.raises(DomainError) as info:
        services.add_link(people["author"], community, title="  ", url="https://example.com")
    assert info.value.field == "title"
    db.session.rollback()
    link = services.add_link(
        people["author"],
        community,
        title="  Pytest   docs ",
        url="https://docs.pytest.org",
        description="The **manual**.",
        tags="Testing, python",
    )
    assert (link.kind, link.title, link.latest_version, link.safe_url) == (
        "link",
        "Pytest docs",
        0,
        "https://docs.pytest.org",
    )
    assert "<strong>manual</strong>" in link.description_html
    assert [t.name for t in link.tags] == ["python", "testing"]


def test_a_stored_url_that_is_not_http_is_never_offered(crowd):
    people, community, _ = crowd
    link = services.add_link(people["author"], community, title="Docs", url="https://example.com")
    link.url = "javascript:alert(1)"  # as if written by something that skipped the check
    db.session.commit()
    assert link.safe_url is None


def test_add_file_keeps_metadata_text_and_versions(crowd):
    people, community, _ = crowd
    resource = _upload(
        people,
        community,
        files.pdf_bytes("Incident review template"),
        filename="../x/review.pdf",
        title="",
        tags="incidents",
    )
    assert resource.title == "review.pdf" and resource.latest_version == 1
    first = services.get_version(resource, 1)
    assert (first.original_filename, first.mime_type, first.has_text) == ("review.pdf", filetypes.PDF, True)
    assert "Incident review template" in first.text_content
    assert os.path.isfile(storage.blob_path(first.sha256))

    broken = b"%PDF-1.7\n this will not parse"
    second = services.upload_version(
        people["author"],
        resource,
        stream=io.BytesIO(broken),
        filename="review-v2.pdf",
        change_note="Added the timeline",
    )
    assert (second.number, second.has_text, second.text_content, second.size) == (2, False, None, len(broken))
    assert resource.latest_version == 2
    assert [v.number for v in services.versions(resource)] == [2, 1]
    assert os.path.isfile(storage.blob_path(first.sha256))  # old versions stay downloadable


def test_refused_upload_stores_nothing(crowd):
    people, community, _ = crowd
    with pytest.raises(DomainError) as info:
        _upload(people, community, files.WINDOWS_EXE, filename="setup.exe")
    assert info.value.field == "file"
    db.session.rollback()
    assert _files_under(storage.uploads_root()) == []
    assert db.session.scalar(select(ResourceVersion)) is None


def test_upload_over_the_limit_raises_and_stores_nothing(crowd, app):
    people, community, _ = crowd
    app.config["MAX_UPLOAD_MB"] = 1
    with pytest.raises(storage.UploadTooLarge):
        _upload(people, community, b"a" * (1024 * 1024 + 1))
    db.session.rollback()
    assert _files_under(storage.uploads_root()) == []


def test_who_may_upload_a_new_file_version(crowd):
    people, community, _ = crowd
    resource = _upload(people, community, b"v1")
    with pytest.raises(NotAllowed):
        services.upload_version(people["member"], resource, stream=io.BytesIO(b"v2"), filename="x.txt")
    db.session.rollback()
    services.upload_version(people["coord"], resource, stream=io.BytesIO(b"v2"), filename="x.txt")
    assert resource.latest_version == 2


def test_documents_are_written_together_with_versions_and_diffs(crowd):
    people, community, _ = crowd
    doc = services.add_document(
        people["author"], community, title="Review checklist", body="# Checklist\n- tests pass\n", tags="reviews"
    )
    assert doc.latest_version == 1 and services.get_version(doc, 1).change_note == "First version"
    v2 = services.save_document(
        people["member"], doc, body="# Checklist\n- tests pass\n- docs updated\n", change_note="Docs", base_version=1
    )
    assert (v2.number, v2.author_id, doc.latest_version) == (2, people["member"].id, 2)
    assert "<li>docs updated</li>" in v2.body_html

    with pytest.raises(DomainError) as info:  # written from version 1 while version 2 was saved
        services.save_document(people["coord"], doc, body="# Checklist\n- lint\n", base_version=1)
    assert info.value.field == "body" and "version 2" in info.value.message
    db.session.rollback()
    with pytest.raises(DomainError):
        services.save_document(people["member"], doc, body="# Checklist\n- tests pass\n- docs updated\n")
    db.session.rollback()
    with pytest.raises(NotAllowed):
        services.save_document(people["outsider"], doc, body="vandalism")
    db.session.rollback()

    older, newer, lines = services.document_diff(doc, 1, 2)
    assert (older.number, newer.number) == (1, 2)
    assert "+- docs updated" in lines and not any(line.startswith("-") for line in lines)
    assert services.document_diff(doc, 1, 9) is None
    assert services.document_diff(doc, "x", 2) is None


def test_metadata_edits_by_author_and_coordinators_only(crowd):
    people, community, _ = crowd
    link = services.add_link(people["author"], community, title="Docs", url="https://example.com")
    with pytest.raises(NotAllowed):
        services.update_resource(people["member"], link, title="Mine now", url="https://evil.example")
    db.session.rollback()
    with pytest.raises(DomainError) as info:
        services.update_resource(people["author"], link, title="Docs", url="data:text/html,hi")
    assert info.value.field == "url"
    db.session.rollback()
    services.update_resource(people["author"], link, title="Better docs", url="https://example.org", tags="docs")
    services.update_resource(people["coord"], link, title="Best docs", url="https://example.org")
    assert (link.title, link.url) == ("Best docs", "https://example.org")
    assert [e.action for e in db.session.scalars(select(AuditEntry))] == ["resource.edit"]


def test_coordinators_feature_and_soft_delete_with_audit(crowd):
    people, community, _ = crowd
    doc = services.add_document(people["author"], community, title="Guide", body="text")
    for who in ("author", "member"):
        with pytest.raises(NotAllowed):
            services.set_featured(people[who], doc, True)
        with pytest.raises(NotAllowed):
            services.delete_resource(people[who], doc)
    services.set_featured(people["coord"], doc, True)
    assert [r.id for r in services.featured(community)] == [doc.id]
    assert services.newest(community) == []
    services.delete_resource(people["admin"], doc)
    assert services.get_resource_or_none(doc.id) is None
    assert db.session.get(Resource, doc.id).is_deleted  # soft: the row and its versions stay
    assert services.featured(community) == [] and services.library_page(community).total == 0
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.target_type, e.target_id, e.community_id) for e in entries] == [
        ("resource.feature", "resource", doc.id, community.id),
        ("resource.delete", "resource", doc.id, community.id),
    ]


def test_library_page_filters_sorts_and_paginates(crowd):
    people, community, secret = crowd
    link = services.add_link(people["author"], community, title="beta link", url="https://example.com", tags="ops")
    doc = services.add_document(people["member"], community, title="Alpha doc", body="x", tags="ops, python")
    upload = _upload(people, community, b"data", title="Gamma file")
    services.add_link(people["author"], secret, title="Secret", url="https://example.com")
    services.record_use(link)
    services.record_use(link)
    services.record_use(upload)

    def titles(**kw):
        return [r.title for r in services.library_page(community, **kw).items]

    assert titles() == ["Gamma file", "Alpha doc", "beta link"]
    assert titles(sort="title") == ["Alpha doc", "beta link", "Gamma file"]
    assert titles(sort="used") == ["beta link", "Gamma file", "Alpha doc"]
    assert titles(kind="document") == ["Alpha doc"]
    assert titles(tag="OPS", sort="title") == ["Alpha doc", "beta link"]
    assert titles(tag="nothing") == []
    services.set_featured(people["coord"], link, True)
    assert titles(sort="title") == ["beta link", "Alpha doc", "Gamma file"]
    page = services.library_page(community, sort="title", page=2, per_page=2)
    assert (page.pages, [r.title for r in page.items]) == (2, ["Gamma file"])
    db.session.refresh(link)
    assert link.use_count == 2 and doc.use_count == 0


def test_posts_linking_to_a_resource_are_listed_for_those_who_may_read_them(crowd):
    people, community, secret = crowd
    doc = services.add_document(people["author"], community, title="Guide", body="text")
    open_thread = discussions.create_thread(
        people["member"],
        community,
        title="Using the guide",
        body=f"Start with [the guide](http://localhost/r/{doc.id}).",
    )
    secret_thread = discussions.create_thread(people["author"], secret, title="Secret plans", body="Nothing yet.")
    reply = discussions.reply(people["coord"], secret_thread, secret_thread.opening_post, f"See /r/{doc.id} and /r/999")
    other = discussions.create_thread(people["member"], community, title="Unrelated", body="No links")

    assert services.linking_threads(doc, people["member"]) == [open_thread]
    assert {t.id for t in services.linking_threads(doc, people["author"])} == {open_thread.id, secret_thread.id}
    assert {t.id for t in services.linking_threads(doc, people["admin"])} == {open_thread.id, secret_thread.id}

    discussions.edit_post(people["coord"], reply, "No link any more")
    discussions.edit_post(people["member"], other.opening_post, f"Actually, see /r/{doc.id}")
    assert {t.id for t in services.linking_threads(doc, people["author"])} == {open_thread.id, other.id}
    discussions.delete_post(people["member"], open_thread.opening_post)
    assert services.linking_threads(doc, people["author"]) == [other]


def test_textdiff_helper():
    lines = unified_diff("a\nb\nc\n", "a\nB\nc\nd\n")
    assert lines[0].startswith("@@") and "-b" in lines and "+B" in lines and "+d" in lines
    assert unified_diff("same", "same") == []
