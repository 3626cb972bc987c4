"""PDF rendering with fpdf2 (pure Python, no system libraries).

Owns laying text out on pages: a letter is its text rendering set in a fixed-pitch font, so the
columns of the text template line up and what pypdf extracts is what the text letter says;
reports are a title and a table. The core PDF fonts cover Latin-1 only, so other characters are
replaced rather than failing. Knows nothing of findings or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

__all__ = ["Section", "sections_pdf", "table_pdf", "text_pdf"]

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


@dataclass(frozen=True, slots=True)
class Section:
    """One table of a report, under its own heading, starting on a new page."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    footer: str = ""
    widths: Sequence[int] = ()  # relative column widths; equal when empty


def _table(pdf: FPDF, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] = ()) -> None:
    pdf.set_font("Helvetica", size=7 if len(headers) > 10 else 8)
    with pdf.table(text_align="LEFT", repeat_headings=1, line_height=4,
                   col_widths=tuple(widths) if widths else None) as table:
        for cells in [list(headers), *[list(r) for r in rows]]:
            row = table.row()
            for value in cells:
                row.cell(_latin1(str(value)))


def _lines(pdf: FPDF, text: str) -> None:
    for line in text.splitlines():
        pdf.multi_cell(0, _LINE_MM, _latin1(line), new_x="LMARGIN", new_y="NEXT")


def table_pdf(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, footer: str = "") -> bytes:
    """A report: a title, then the table with a header row repeated on each page."""
    pdf = _document(title, landscape=len(headers) > 8)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    _table(pdf, headers, rows)
    if footer:
        pdf.ln(3)
        _lines(pdf, footer)
    return bytes(pdf.output())


def sections_pdf(title: str, heading: Sequence[str], sections: Sequence[Section], *, footer: str = "") -> bytes:
    """A form-like report: the title and heading lines on every section's first page, then each
    section's table on pages of its own (the CMS-838 keeps Part A and Part B apart)."""
    pdf = _document(title, landscape=True)

    def top() -> None:
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        _lines(pdf, "\n".join(heading))
        pdf.ln(2)

    top()
    for i, section in enumerate(sections):
        if i:
            pdf.add_page()
            top()
        pdf.set_font("Helvetica", style="B", size=10)
        pdf.cell(0, 6, _latin1(section.title), new_x="LMARGIN", new_y="NEXT")
        _table(pdf, section.headers, section.rows, section.widths)
        if section.footer:
            pdf.ln(2)
            pdf.set_font("Helvetica", size=8)
            _lines(pdf, section.footer)
    if not sections:
        pdf.set_font("Helvetica", size=9)
        _lines(pdf, "No lines.")
    if footer:
        pdf.ln(3)
        pdf.set_font("Helvetica", size=8)
        _lines(pdf, footer)
    return bytes(pdf.output())
