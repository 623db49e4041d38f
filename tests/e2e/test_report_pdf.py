"""The procedure report as a PDF, as a person receives it: it renders (page 1 as an image), its
text holds the run's counts, and none of the generated patients' names or NIRs."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess

import pytest
from pypdf import PdfReader

from ariane.compliance.report import render_pdf
from ariane.demo.run import run_demo
from ariane.engine.workspace import Workspace

pytestmark = pytest.mark.slow


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} (poppler-utils) is required in CI", pytrace=False)
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils)")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "demo"
    result = run_demo(folder, 300)
    ws = Workspace.open(folder / "workspace")
    pdf = folder / "report.pdf"
    pdf.write_bytes(render_pdf(ws, result.manifest_id))
    extract = json.loads((ws.migration_dir(result.manifest_id) / "extract.json").read_text("utf-8"))
    return folder, pdf, extract


@pytest.fixture(scope="module")
def text(run):
    _, pdf, _ = run
    out = subprocess.run(
        [tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    return " ".join(out.split())  # a value may wrap across lines in the layout


def test_pdf_renders_page_one_as_an_image(run, tmp_path):
    _, pdf, _ = run
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert len(PdfReader(pdf).pages) >= 3
    subprocess.run(
        [tool("pdftoppm"), "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    [png] = list(tmp_path.glob("p-*.png"))
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a page with text, not a blank


def test_pdf_text_holds_the_run_counts(run, text):
    _, _, extract = run
    counts = extract["counts"]
    result = counts["result"]
    # The summary strip: results transferred, out of the source's.
    assert re.search(
        rf"RESULTS .* {result['transferred']:,} .* of {result['source_rows']:,} ", text
    )
    for name, part in counts.items():
        assert f"{part['source_rows']:,}" in text, name
        for reason, rows in part["excluded"].items():
            assert f"{reason}: {rows:,}" in text
    for category, rows in result["by_category"].items():
        assert re.search(rf"{re.escape(category)} {rows:,}\b", text), category
    assert "Migration procedure report" in text and "signature verified" in text
    assert "chain, head and every checkpoint signature verified" in text


def test_pdf_text_holds_no_patient_name_or_nir(run, text):
    folder, pdf, _ = run
    con = sqlite3.connect(folder / "source" / "lis.db")
    rows = con.execute("SELECT PAT_NOM, PAT_PRENOM, PAT_NIR FROM PAT_PATIENT").fetchall()
    con.close()
    assert len(rows) == 300
    flat = text
    raw = pdf.read_bytes().decode("latin-1")  # metadata and any uncompressed stream
    for nom, prenom, nir in rows:
        assert nir is None or (nir not in flat and nir not in raw)
        for name in (f"{prenom} {nom}", f"{nom} {prenom}"):
            assert name.casefold() not in flat.casefold()
        if len(nom) >= 8:  # shorter family names are ordinary words too often
            assert not re.search(rf"\b{re.escape(nom)}\b", flat, re.I)
