"""The text of an uploaded file, kept for the search index.

PDF (pypdf), Word .docx (python-docx) and anything detected as text
(Markdown, plain text, CSV...) are read; other types have no text. Reading
is bounded (pages, characters, the size of the document's XML) so a large
or hostile upload cannot tie up the request, and any failure means "no
text": the file itself is stored all the same.
"""

import logging
import zipfile

from cop.library.filetypes import DOCX, PDF
from cop.library.models import TEXT_MIME

MAX_TEXT_CHARS = 200_000
MAX_PDF_PAGES = 300
MAX_DOCX_XML_BYTES = 30 * 1024 * 1024

log = logging.getLogger(__name__)


def extract_text(path: str, mime: str) -> str | None:
    """Up to ``MAX_TEXT_CHARS`` of the file's text, or None when there is none to read.

    Never raises: a file that cannot be parsed has no text.
    """
    reader = {PDF: _pdf_text, DOCX: _docx_text, TEXT_MIME: _plain_text}.get(mime)
    if reader is None:
        return None
    try:
        text = reader(path)
    except Exception:  # a damaged or hostile file: stored, but flagged as having no text
        log.info("could not extract text from a %s upload", mime, exc_info=True)
        return None
    text = (text or "").replace("\x00", "").strip()
    return text[:MAX_TEXT_CHARS] or None


def _pdf_text(path: str) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        return ""
    parts: list[str] = []
    total = 0
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES or total >= MAX_TEXT_CHARS:
            break
        text = page.extract_text() or ""
        parts.append(text)
        total += len(text)
    return "\n".join(parts)


def _docx_text(path: str) -> str:
    import docx

    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist() if info.filename.startswith("word/")) > MAX_DOCX_XML_BYTES:
            return ""  # a compression bomb, or simply too big to index
    document = docx.Document(path)
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _plain_text(path: str) -> str:
    with open(path, "rb") as handle:
        raw = handle.read(MAX_TEXT_CHARS * 4)
    return raw.decode("utf-8", "ignore").lstrip("\ufeff")
