"""What an uploaded file is, judged by its content, and whether the library accepts it.

The name and the type the browser sends are ignored: both are the
uploader's to choose. Binary formats are recognised by their magic bytes
(``filetype``); ZIP containers are then told apart by their directory
(``[Content_Types].xml`` + ``word/``... for Office, the ``mimetype`` entry
for OpenDocument), because a magic-byte look at the first few kilobytes
cannot always see which one it is. Anything that decodes as UTF-8 with no
NUL byte is text — Markdown, CSV, but also HTML and SVG, which is why text
is only ever served as ``text/plain``.
"""

import codecs
import zipfile
from dataclasses import dataclass

import filetype

from cop.errors import DomainError
from cop.library.models import TEXT_MIME

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
ZIP = "application/zip"
PDF = "application/pdf"

ALLOWED = {
    PDF: "PDF",
    "application/msword": "Word document",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/vnd.ms-powerpoint": "PowerPoint presentation",
    DOCX: "Word document",
    XLSX: "Excel spreadsheet",
    PPTX: "PowerPoint presentation",
    ODT: "OpenDocument text",
    ODS: "OpenDocument spreadsheet",
    ODP: "OpenDocument presentation",
    "application/rtf": "Rich text document",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/bmp": "BMP image",
    "image/tiff": "TIFF image",
    "image/avif": "AVIF image",
    "image/heic": "HEIC image",
    ZIP: "ZIP archive",
    "application/gzip": "Gzip archive",
    "application/x-tar": "Tar archive",
    "application/x-bzip2": "Bzip2 archive",
    "application/x-xz": "XZ archive",
    "application/zstd": "Zstandard archive",
    "application/x-7z-compressed": "7-Zip archive",
    "application/x-rar-compressed": "RAR archive",
    TEXT_MIME: "Text",
}
# Containers that ``filetype`` reports from a peek at the first entries; re-read from the directory.
_ZIP_FAMILY = {ZIP, DOCX, XLSX, PPTX, ODT, ODS, ODP, "application/epub+zip"}
# Signatures so short that ordinary text may start with them ("BMW fleet.csv" is not a bitmap).
_WEAK_SIGNATURES = {"image/bmp"}
_OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
_SNIFF_BYTES = 8192
_TEXT_CHUNK = 256 * 1024

REFUSED_MESSAGE = (
    "This kind of file cannot be shared here. Upload a PDF, an office document, an image, a text file or an archive."
)


@dataclass(frozen=True)
class FileType:
    mime: str
    label: str


def label_for(mime: str | None) -> str:
    return ALLOWED.get(mime or "", "File")


def detect(path: str) -> FileType:
    """The type of the file at ``path``, if the library accepts it.

    :raise DomainError: (field ``file``) for an empty file, a damaged
        archive, an executable, or any type not on the allowlist.
    """
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head:
        raise DomainError("The file is empty.", field="file")
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in _ZIP_FAMILY:
        mime = _zip_type(path)
    if mime in ALLOWED and mime not in _WEAK_SIGNATURES:
        return FileType(mime, ALLOWED[mime])
    if is_utf8_text(path):
        return FileType(TEXT_MIME, ALLOWED[TEXT_MIME])
    if mime in ALLOWED:
        return FileType(mime, ALLOWED[mime])
    raise DomainError(REFUSED_MESSAGE, field="file")


def _zip_type(path: str) -> str:
    """Office Open XML, OpenDocument or a plain ZIP archive, from the archive's directory.

    :raise DomainError: when the archive cannot be read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                for part, mime in _OOXML_PARTS:
                    if part in names:
                        return mime
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared in (ODT, ODS, ODP):
                    return declared
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise DomainError("This archive is damaged or incomplete; it cannot be shared.", field="file") from None
    return ZIP


def is_utf8_text(path: str) -> bool:
    """True when the whole file decodes as UTF-8 and holds no NUL byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_TEXT_CHUNK):
                if b"\x00" in chunk:
                    return False
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
