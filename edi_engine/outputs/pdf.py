"""PDF rendering with fpdf2 (pure Python, no system libraries).

Owns laying text out on pages: a letter is a business letter (letterhead, date, recipient block,
heading, a reference block, tables and paragraphs, signature block, a footer with the reference
and page number on every page: `letter_document`); an office's own text template is set line by
line (`text_pdf`); reports are a title and a table. The core PDF fonts cover Latin-1 only, so other
characters are replaced rather than failing. Knows nothing of findings or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout

__all__ = ["LetterDocument", "Paragraph", "Section", "Subheading", "Table", "letter_document", "sections_pdf",
           "table_pdf", "text_pdf"]

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


# -- letters ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Subheading:
    text: str


@dataclass(frozen=True, slots=True)
class Table:
    """A ruled table; `align` per column (L or R), `widths` relative; `bold_rows` counted from the end
    (the totals)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: Sequence[str] = ()
    widths: Sequence[int] = ()
    bold_rows: int = 0
    font_size: float = 8.5


@dataclass(frozen=True, slots=True)
class LetterDocument:
    title: str
    sender: str  # the letterhead's name
    sender_lines: Sequence[str]  # address, phone, identifiers
    date: str
    recipient: Sequence[str]
    heading: str
    facts: Sequence[tuple[str, str]]  # the reference block: label, value
    blocks: Sequence[Paragraph | Subheading | Table]
    signature: Sequence[str]  # name, title, organisation
    footer: str  # every page: the reference the recipient quotes
    closing: str = "Sincerely,"
    notes: Sequence[str] = field(default=())  # small print after the signature (enclosures)


_BODY = 9.5  # points: the letter's text
_INK = (33, 37, 41)
_RULE = (120, 130, 140)
_ACCENT = (31, 78, 121)


class _LetterPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7.5)
        self.set_text_color(*_RULE)
        self.cell(0, 4, _latin1(self.footer_text), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*_INK)


def letter_document(doc: LetterDocument) -> bytes:
    """A business letter on US Letter paper, in Helvetica."""
    pdf = _LetterPDF(orientation="P", unit="mm", format="Letter")
    pdf.footer_text = doc.footer
    pdf.alias_nb_pages()
    pdf.set_title(_latin1(doc.title))
    pdf.set_creator("edi-engine")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 16, 20)
    pdf.add_page()
    pdf.set_text_color(*_INK)
    # Letterhead: the name large, the lines small, a rule under them.
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 7, _latin1(doc.sender), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_INK)
    pdf.set_font("Helvetica", size=8.5)
    for line in doc.sender_lines:
        pdf.cell(0, 4, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*_RULE)
    pdf.ln(5)
    pdf.set_font("Helvetica", size=_BODY)
    pdf.cell(0, 5, _latin1(doc.date), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for line in doc.recipient:
        pdf.cell(0, 4.6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.cell(0, 6, _latin1(doc.heading), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if doc.facts:
        _facts(pdf, doc.facts)
        pdf.ln(3)
    # The paragraphs after the last table close the letter: kept on one page with the signature, so
    # a page never holds a signature alone.
    tail = len(doc.blocks)
    while tail > 0 and isinstance(doc.blocks[tail - 1], Paragraph):
        tail -= 1
    if tail > 0 and isinstance(doc.blocks[tail - 1], Subheading):  # and the heading over them
        tail -= 1
    for block in doc.blocks[:tail]:
        _block(pdf, block)
    closing = doc.blocks[tail:]
    needed = sum(_paragraph_height(pdf, b) if isinstance(b, Paragraph) else 6 for b in closing) + 3 + 5 + 10.5 + \
        4.6 * len(doc.signature) + \
        (4 + 4 * len(doc.notes) if doc.notes else 0)
    if pdf.will_page_break(needed):
        pdf.add_page()
    for block in closing:
        _block(pdf, block)
    pdf.ln(3)
    pdf.set_font("Helvetica", size=_BODY)
    pdf.cell(0, 5, _latin1(doc.closing), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(9)  # room to sign
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 65, pdf.get_y())
    pdf.ln(1.5)
    for i, line in enumerate(doc.signature):
        pdf.set_font("Helvetica", style="B" if i == 0 else "", size=_BODY)
        pdf.cell(0, 4.6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    if doc.notes:
        pdf.ln(4)
        pdf.set_font("Helvetica", size=8.5)
        for note in doc.notes:
            pdf.multi_cell(0, 4, _latin1(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _paragraph_height(pdf: FPDF, block: Paragraph) -> float:
    pdf.set_font("Helvetica", style="B" if block.bold else "", size=_BODY)
    height = pdf.multi_cell(0, 4.6, _latin1(block.text), align="L", dry_run=True, output="HEIGHT")
    assert isinstance(height, float | int)
    return float(height) + 1.8


def _facts(pdf: FPDF, facts: Sequence[tuple[str, str]]) -> None:
    """Label/value pairs two to a row, the labels bold: the block a refund desk keys the claim from."""
    pdf.set_font("Helvetica", size=9)
    pairs = list(facts)
    rows = [pairs[i:i + 2] for i in range(0, len(pairs), 2)]
    with pdf.table(col_widths=(24, 34, 24, 34), text_align=("LEFT",) * 4, first_row_as_headings=False,
                   borders_layout=TableBordersLayout.NONE, line_height=4.6, padding=(0.6, 1, 0.6, 0),
                   cell_fill_color=(242, 245, 248), cell_fill_mode="ALL") as table:
        for pair in rows:
            row = table.row()
            for label, value in pair + [("", "")] * (2 - len(pair)):
                row.cell(_latin1(label), style=FontFace(emphasis="BOLD"))
                row.cell(_latin1(value))


def _block(pdf: FPDF, block: Paragraph | Subheading | Table) -> None:
    if isinstance(block, Subheading):
        if pdf.will_page_break(16):
            pdf.add_page()
        pdf.ln(1)
        pdf.set_font("Helvetica", style="B", size=_BODY)
        pdf.set_text_color(*_ACCENT)
        pdf.cell(0, 5, _latin1(block.text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*_INK)
        pdf.ln(0.5)
    elif isinstance(block, Paragraph):
        pdf.set_font("Helvetica", style="B" if block.bold else "", size=_BODY)
        pdf.multi_cell(0, 4.6, _latin1(block.text), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.8)
    else:
        pdf.set_font("Helvetica", size=block.font_size)
        align = tuple("RIGHT" if a == "R" else "LEFT" for a in block.align) or "LEFT"
        bold_from = len(block.rows) - block.bold_rows
        with pdf.table(col_widths=tuple(block.widths) if block.widths else None, text_align=align,
                       borders_layout=TableBordersLayout.HORIZONTAL_LINES, line_height=4.1,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(226, 232, 238)),
                       repeat_headings=1) as table:
            for i, cells in enumerate([list(block.headers), *[list(r) for r in block.rows]]):
                row = table.row()
                bold = i - 1 >= bold_from and i > 0
                for value in cells:
                    row.cell(_latin1(str(value)), style=FontFace(emphasis="BOLD") if bold else None)
        pdf.ln(2.5)
