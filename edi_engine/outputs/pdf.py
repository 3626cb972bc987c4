"""PDF rendering with fpdf2 (pure Python, no system libraries).

Owns laying text out on pages: a letter is its text rendering set in a fixed-pitch font, so the
columns of the text template line up and what pypdf extracts is what the text letter says;
reports are a title and a table. The core PDF fonts cover Latin-1 only, so other characters are
replaced rather than failing. Knows nothing of findings or the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

__all__ = ["table_pdf", "text_pdf"]

_LINE_MM = 4.2


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _document(title: str, landscape: bool = False) -> FPDF:
    pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="Letter")
    pdf.set_title(_latin1(title))
    pdf.set_creator("edi-engine")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(18, 15, 18)
    pdf.add_page()
    return pdf


def text_pdf(text: str, *, title: str = "") -> bytes:
    """Each line of `text` as one line of the page, in Courier; long lines wrap."""
    pdf = _document(title)
    pdf.set_font("Courier", size=9)
    for line in text.splitlines():
        if line.strip():
            pdf.multi_cell(0, _LINE_MM, _latin1(line.rstrip()), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(_LINE_MM)
    return bytes(pdf.output())


def table_pdf(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, footer: str = "") -> bytes:
    """A report: a title, then the table with a header row repeated on each page."""
    pdf = _document(title, landscape=len(headers) > 8)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=7 if len(headers) > 10 else 8)
    with pdf.table(text_align="LEFT", repeat_headings=1, line_height=4) as table:
        for cells in [list(headers), *[list(r) for r in rows]]:
            row = table.row()
            for value in cells:
                row.cell(_latin1(str(value)))
    if footer:
        pdf.ln(3)
        pdf.multi_cell(0, _LINE_MM, _latin1(footer), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
