"""Small files of known types, made by the tests themselves (no binary fixtures in the repository)."""

import io
import zipfile

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5d6b1d10000000049454e44ae426082"
)


def pdf_bytes(*lines: str) -> bytes:
    """A minimal, valid one-page PDF showing ``lines`` in Helvetica (built by hand, xref offsets included)."""

    def escape(text):
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    commands = ["BT", "/F1 18 Tf", "72 720 Td", "22 TL"]
    commands += [f"({escape(line)}) Tj T*" for line in lines]
    commands.append("ET")
    content = "\n".join(commands).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n" % (len(objects) + 1))
    out.write(b"0000000000 65535 f \n")
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bytes(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    """A Word document written with python-docx."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bytes(entries: list[tuple[str, str]], *, stored_first: str | None = None) -> bytes:
    """A ZIP archive; ``stored_first`` is written uncompressed as the first entry (as ODF's ``mimetype``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first is not None:
            archive.writestr(zipfile.ZipInfo("mimetype"), stored_first, compress_type=zipfile.ZIP_STORED)
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def xlsx_bytes() -> bytes:
    return zip_bytes(
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", "<r/>"),
            ("xl/workbook.xml", "<workbook/>"),
            ("xl/worksheets/sheet1.xml", "<sheet/>"),
        ]
    )


def pptx_bytes() -> bytes:
    return zip_bytes(
        [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", "<r/>"), ("ppt/presentation.xml", "<presentation/>")]
    )


def odt_bytes() -> bytes:
    return zip_bytes(
        [("content.xml", "<office:document-content/>")], stored_first="application/vnd.oasis.opendocument.text"
    )


def docx_late_parts_bytes() -> bytes:
    """A .docx whose ``word/`` part comes after many others (magic-byte peeks miss it)."""
    return zip_bytes(
        [("[Content_Types].xml", CONTENT_TYPES)]
        + [(f"customXml/item{i}.xml", "<x/>") for i in range(8)]
        + [("word/document.xml", "<w:document/>")]
    )


def plain_zip_bytes() -> bytes:
    return zip_bytes([("readme.txt", "hello"), ("src/tool.py", "print('hi')")])


HTML_WITH_SCRIPT = b"<!doctype html><html><body><h1>hi</h1><script>document.title='pwned'</script></body></html>"
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script><circle r='5'/></svg>"
)
WINDOWS_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
)
ELF_BINARY = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
