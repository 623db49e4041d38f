"""The same agreement read from PDF and DOCX gives the same answer; unreadable files are refused."""

from __future__ import annotations

import textwrap
from pathlib import Path

import docx
import pytest

from ariane.compliance.check import check_file
from ariane.compliance.text import load_document
from ariane.errors import InputError, UsageError

DATA = Path(__file__).resolve().parents[2] / "data" / "dpa"
MAINTENANCE = DATA / "contrat_maintenance_fr.txt"
MISSING = {"28.3.a", "28.3.g", "28.3.h"}


def pdf_bytes(pages: list[list[str]]) -> bytes:
    """A minimal PDF (Helvetica, WinAnsi) with one text line per entry: enough for pypdf."""
    objects: list[bytes] = []
    n_pages = len(pages)
    page_ids = [4 + 2 * i for i in range(n_pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids).encode()
    objects.append(
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(n_pages).encode() + b" >>"
    )
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for i, lines in enumerate(pages):
        body = b"BT /F1 9 Tf 11 TL 40 800 Td\n"
        for line in lines:
            esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            body += b"(" + esc.encode("cp1252") + b") '\n"
        body += b"ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {page_ids[i] + 1}"
            f" 0 R /Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(
            b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream"
        )
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def missing(report):
    return {e.id for e in report.elements if e.status == "missing"}


def test_pdf_with_wrapped_lines_and_pages(tmp_path):
    # Wrap every paragraph at 90 columns, as a PDF does, and split the text over two pages.
    lines: list[str] = []
    for paragraph in MAINTENANCE.read_text("utf-8").splitlines():
        lines += textwrap.wrap(paragraph, 90) or [""]
    half = next(i for i, line in enumerate(lines) if line.startswith("Article 6"))
    path = tmp_path / "contrat.pdf"
    path.write_bytes(pdf_bytes([lines[:half], lines[half:]]))
    report = check_file(path)
    assert missing(report) == MISSING
    deadline = next(f for f in report.findings if f.kind == "contradictory-deadline")
    assert [loc.page for loc in deadline.locations] == [1, 2]
    assert {f.subject for f in report.findings if f.kind == "dangling-reference"} == {
        "Annexe 3",
        "Article 12",
    }


def test_docx_with_heading_styles_and_a_table(tmp_path):
    document = docx.Document()
    table_rows: list[str] = []
    for line in MAINTENANCE.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith(("Article ", "Annexe ")):
            document.add_heading(line, level=2)
        elif line.startswith(
            (
                "Objet du traitement",
                "Durée du traitement",
                "Nature des",
                "Finalité du",
                "Catégories de",
            )
        ):
            table_rows.append(line)  # the description as a two-column table
            if len(table_rows) == 6:
                table = document.add_table(rows=6, cols=2)
                for row, text in zip(table.rows, table_rows, strict=True):
                    label, value = text.split(" : ", 1)
                    row.cells[0].text, row.cells[1].text = f"{label} :", value
        else:
            document.add_paragraph(line)
    path = tmp_path / "contrat.docx"
    document.save(str(path))
    report = check_file(path)
    assert missing(report) == MISSING
    assert report.element("duration").status == "present"
    assert report.element("infringement-alert").evidence[0].heading.startswith("Article 5")


def test_unsupported_missing_empty_and_corrupt_files(tmp_path):
    with pytest.raises(UsageError, match="unsupported document type"):
        load_document(tmp_path / "contract.odt")
    with pytest.raises(UsageError, match="not found"):
        load_document(tmp_path / "absent.txt")
    (tmp_path / "scan.pdf").write_bytes(pdf_bytes([[]]))
    with pytest.raises(InputError, match="no text"):
        load_document(tmp_path / "scan.pdf")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable DOCX") as err:
        load_document(tmp_path / "broken.docx")
    assert "PK" not in err.value.message
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage")
    with pytest.raises(InputError):
        load_document(tmp_path / "broken.pdf")


def test_latin1_text_file_is_read(tmp_path):
    path = tmp_path / "ancien.txt"
    path.write_bytes(MAINTENANCE.read_text("utf-8").replace("œ", "oe").encode("cp1252"))
    assert missing(check_file(path)) == MISSING
