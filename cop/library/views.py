import io
import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from cop import idempotency, permissions
from cop.forms import form_status, page_arg, showing_errors
from cop.library import services, storage
from cop.library.filetypes import label_for
from cop.library.forms import (
    BODY_HINT,
    DESCRIPTION_HINT,
    FILE_HINT,
    NEW_FORMS,
    NOTE_HINT,
    URL_HINT,
    EditForm,
    NewFileVersionForm,
    WriteForm,
)
from cop.library.models import KIND_LABELS, KINDS, Resource
from cop.search import services as search_services
from cop.textdiff import side_by_side
from cop.viewer import readable_community

bp = Blueprint("library", __name__)

# Whatever a download holds, the browser may only save it: no script, no
# plugin, no same-origin document, even if it is opened in a tab.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _resource(resource_id) -> Resource:
    """:raise 404: missing, deleted, or in a community the user may not read — the same answer for all three."""
    return permissions.readable_or_404(current_user, services.get_resource_or_none(resource_id))


def _version(resource, number):
    version = services.get_version(resource, number)
    if version is None:
        abort(404)
    return version


def _hints():
    return dict(
        description_hint=DESCRIPTION_HINT,
        body_hint=BODY_HINT,
        url_hint=URL_HINT,
        note_hint=NOTE_HINT,
        file_hint=FILE_HINT.format(mb=current_app.config["MAX_UPLOAD_MB"]),
    )


@bp.route("/c/<slug>/library")
def index(slug):
    community = readable_community(slug)
    kind = request.args.get("kind", "")[:20]
    tag = request.args.get("tag", "")[:40]
    sort = request.args.get("sort", "recent")
    sort = sort if sort in services.SORTS else "recent"
    pagination = services.library_page(community, kind=kind, tag=tag, sort=sort, page=page_arg(request))
    return render_template(
        "library/list.html",
        community=community,
        pagination=pagination,
        kind=kind,
        tag=tag,
        sort=sort,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        can_add=permissions.can_add_resource(current_user, community),
    )


@bp.route("/c/<slug>/library/new/<any(file, link, document):kind>", methods=["GET", "POST"])
def new_resource(slug, kind):
    community = readable_community(slug)
    permissions.require(permissions.can_add_resource(current_user, community))
    form = NEW_FORMS[kind]()
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args["title"][:200]  # from a knowledge gap
    if form.validate_on_submit():
        fields = dict(title=form.title.data, description=form.description.data, tags=form.tags.data)
        with showing_errors(form):  # the claim is a write too: a busy database is shown on the form
            if (again := idempotency.replay(form, url_for(".index", slug=community.slug))) is not None:
                return again
            if kind == "file":
                upload = form.file.data
                resource = services.add_file(
                    current_user,
                    community,
                    stream=upload.stream,
                    filename=upload.filename,
                    change_note=form.change_note.data,
                    **fields,
                )
            elif kind == "link":
                resource = services.add_link(current_user, community, url=form.url.data, **fields)
            else:
                resource = services.add_document(
                    current_user, community, body=form.body.data, change_note=form.change_note.data, **fields
                )
            search_services.close_gap(community, request.form.get("gap", ""))
            flash(f"“{resource.title}” added to the library.", "success")
            return idempotency.created(form, url_for(".resource", resource_id=resource.id))
    return render_template(
        "library/new.html",
        community=community,
        form=form,
        kind=kind,
        kind_label=KIND_LABELS[kind],
        gap=request.values.get("gap", "")[:200],
        **_hints(),
    ), form_status(form)


@bp.route("/r/<int:resource_id>")
def resource(resource_id):
    resource = _resource(resource_id)
    current = services.get_version(resource, resource.latest_version) if resource.latest_version else None
    return render_template(
        "library/resource.html",
        resource=resource,
        community=resource.community,
        current=current,
        versions=services.versions(resource),
        threads=services.linking_threads(resource, current_user),
        can_edit=permissions.can_edit_resource(current_user, resource),
        can_add_version=permissions.can_add_version(current_user, resource),
        can_curate=permissions.can_curate_resource(current_user, resource),
        label_for=label_for,
    )


@bp.route("/r/<int:resource_id>/v/<int:number>")
def version(resource_id, number):
    resource = _resource(resource_id)
    version = _version(resource, number)
    return render_template(
        "library/version.html", resource=resource, community=resource.community, version=version, label_for=label_for
    )


@bp.route("/r/<int:resource_id>/download")
def download(resource_id):
    """The latest version as an attachment (a document's Markdown as a text file)."""
    resource = _resource(resource_id)
    if resource.kind == "link":
        abort(404)
    return _send_version(resource, _version(resource, resource.latest_version))


@bp.route("/r/<int:resource_id>/v/<int:number>/download")
def download_version(resource_id, number):
    resource = _resource(resource_id)
    if resource.kind == "link":
        abort(404)
    return _send_version(resource, _version(resource, number))


def _send_version(resource, version):
    """Send one version as an attachment that can never run in the site's origin.

    Text (HTML and SVG included) goes out as ``text/plain``; every download
    is ``attachment`` with the sanitized original name (RFC 6266
    ``filename``/``filename*``), ``nosniff`` and a sandboxing CSP.
    """
    if resource.kind == "document":
        name = services.safe_filename(f"{resource.title}.md")
        payload = _bytes_response(version.body_md.encode("utf-8"), name, version.served_mime)
    else:
        path = storage.blob_path(version.sha256)
        if not os.path.isfile(path):
            current_app.logger.error("blob %s of resource %s is missing", version.sha256, resource.id)
            abort(404)
        payload = send_file(
            path,
            mimetype=version.served_mime,
            as_attachment=True,
            download_name=services.safe_filename(version.original_filename),
            conditional=False,
            etag=False,
            max_age=0,
        )
    if request.method == "GET":  # a HEAD (a link checker, a preview) is not a use
        services.record_use(resource)
    payload.headers["Content-Type"] = version.served_mime  # as is: Werkzeug would add a second charset
    payload.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    payload.headers["X-Content-Type-Options"] = "nosniff"
    payload.headers["Cache-Control"] = "private, no-store"
    payload.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return payload


def _bytes_response(data: bytes, name: str, mimetype: str):
    return send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=name,
        conditional=False,
        etag=False,
        max_age=0,
    )


@bp.route("/r/<int:resource_id>/go")
def go(resource_id):
    """Follow a link (counted as a use); other kinds open their page."""
    resource = _resource(resource_id)
    if resource.kind != "link":
        return redirect(url_for(".resource", resource_id=resource.id))
    if resource.safe_url is None:  # a stored URL that no longer passes the check is never followed
        abort(404)
    services.record_use(resource)
    return redirect(resource.safe_url)


@bp.route("/r/<int:resource_id>/diff")
def diff(resource_id):
    resource = _resource(resource_id)
    if resource.kind != "document":
        abort(404)
    latest = resource.latest_version
    a = request.args.get("a", str(max(1, latest - 1)))
    b = request.args.get("b", str(latest))
    result = services.document_diff(resource, a, b)
    if result is None:
        abort(404)
    older, newer, lines = result
    if request.args.get("format") == "unified":  # the unified diff, as a download
        text = "".join(line + "\n" for line in [f"--- version {older.number}", f"+++ version {newer.number}", *lines])
        return _bytes_response(
            text.encode(), f"document-{resource.id}-v{older.number}-v{newer.number}.diff", "text/plain"
        )
    return render_template(
        "library/diff.html",
        resource=resource,
        community=resource.community,
        older=older,
        newer=newer,
        rows=side_by_side(older.body_md or "", newer.body_md or ""),
        versions=services.versions(resource),
    )


@bp.route("/r/<int:resource_id>/edit", methods=["GET", "POST"])
def edit(resource_id):
    resource = _resource(resource_id)
    permissions.require(permissions.can_edit_resource(current_user, resource))
    form = EditForm()
    if request.method == "GET":
        form.process(
            data=dict(
                title=resource.title,
                description=resource.description_md,
                url=resource.url or "",
                tags=", ".join(t.name for t in resource.tags),
            )
        )
    if form.validate_on_submit():
        with showing_errors(form):
            services.update_resource(
                current_user,
                resource,
                title=form.title.data,
                description=form.description.data,
                tags=form.tags.data,
                url=form.url.data,
            )
            flash("Resource saved.", "success")
            return redirect(url_for(".resource", resource_id=resource.id))
    return render_template(
        "library/edit.html", resource=resource, community=resource.community, form=form, **_hints()
    ), form_status(form)


@bp.route("/r/<int:resource_id>/new-version", methods=["GET", "POST"])
def new_version(resource_id):
    """Upload a file's next version, or write a document's (links have no versions: edit them)."""
    resource = _resource(resource_id)
    if resource.kind == "link":
        return redirect(url_for(".edit", resource_id=resource.id))
    permissions.require(permissions.can_add_version(current_user, resource))
    if resource.kind == "file":
        return _upload_version(resource)
    return _write_version(resource)


def _upload_version(resource):
    form = NewFileVersionForm()
    if form.validate_on_submit():
        upload = form.file.data
        with showing_errors(form):  # the claim is a write too: a busy database is shown on the form
            if (again := idempotency.replay(form, url_for(".resource", resource_id=resource.id))) is not None:
                return again
            version = services.upload_version(
                current_user,
                resource,
                stream=upload.stream,
                filename=upload.filename,
                change_note=form.change_note.data,
            )
            flash(f"Version {version.number} uploaded.", "success")
            return idempotency.created(form, url_for(".resource", resource_id=resource.id))
    return render_template(
        "library/new_version.html", resource=resource, community=resource.community, form=form, **_hints()
    ), form_status(form)


def _write_version(resource):
    form = WriteForm()
    current = services.get_version(resource, resource.latest_version)
    if request.method == "GET":
        form.body.data = current.body_md if current else ""
        form.base_version.data = str(resource.latest_version)
    status = 200
    if form.validate_on_submit():
        base = form.base_version.data
        with showing_errors(form):
            version = services.save_document(
                current_user,
                resource,
                body=form.body.data,
                change_note=form.change_note.data,
                base_version=int(base) if str(base).isdigit() else None,
            )
            flash(f"Version {version.number} saved.", "success")
            return redirect(url_for(".resource", resource_id=resource.id))
        if str(base) != str(resource.latest_version):  # not saved (the error is on the form)
            status = 409  # someone saved meanwhile; the next save is based on what is now the latest
        form.base_version.data = str(resource.latest_version)
    return render_template(
        "library/new_version.html", resource=resource, community=resource.community, form=form, **_hints()
    ), (status if status != 200 else form_status(form))


@bp.route("/r/<int:resource_id>/feature", methods=["POST"])
def feature(resource_id):
    resource = _resource(resource_id)
    permissions.require(permissions.can_curate_resource(current_user, resource))
    featured = request.form.get("featured") == "1"
    services.set_featured(current_user, resource, featured)
    flash("Resource featured." if featured else "Resource no longer featured.", "success")
    return redirect(url_for(".resource", resource_id=resource.id))


@bp.route("/r/<int:resource_id>/delete", methods=["POST"])
def delete(resource_id):
    resource = _resource(resource_id)
    permissions.require(permissions.can_curate_resource(current_user, resource))
    community = resource.community
    services.delete_resource(current_user, resource)
    flash(f"“{resource.title}” deleted from the library.", "info")
    return redirect(url_for(".index", slug=community.slug))
