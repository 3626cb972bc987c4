"""Real X12 files as a sender re-sends them: new control numbers (ISA13/IEA02, GS06/GE02, ST02/SE02),
other delimiters, several sets or interchanges in one file, a file cut short.

Works on the text (one character per byte, Latin-1), so every other byte of the file stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Delims", "VARIANTS", "cut", "interchange_of_sets", "reenvelope", "segments"]


@dataclass(frozen=True)
class Delims:
    element: str
    component: str
    terminator: str  # what ends a segment; may add a newline ("~\n")
    repetition: str = "^"  # ISA11


VARIANTS = [Delims("*", ":", "~"), Delims("|", ":", "~"), Delims("^", ">", "~", "{"), Delims("*", "^", "~\n", "{"),
            Delims("|", ">", "\n", "^")]


def segments(data: bytes) -> list[tuple[Delims, list[list[str]]]]:
    """Each interchange of the file: its delimiters and its segments as element lists."""
    text = data.decode("latin-1")
    out: list[tuple[Delims, list[list[str]]]] = []
    pos = text.index("ISA")
    while pos >= 0:
        e = text[pos + 3]
        at = pos
        for _ in range(16):  # ISA16 follows the 16th element separator, then the terminator (any ISA width)
            at = text.index(e, at + 1)
        c, t = text[at + 1], text[at + 2]
        rep = text[pos:at].split(e)[11]
        end = text.find("IEA" + e, pos)
        stop = text.find(t, end) if end >= 0 else len(text)
        body = text[pos:stop if stop >= 0 else len(text)]
        segs = [s.strip("\r\n") for s in body.split(t)]
        out.append((Delims(e, c, t, rep), [s.split(e) for s in segs if s.strip("\r\n")]))
        pos = text.find("ISA", stop) if stop >= 0 else -1
    return out


def _write(delims: Delims, segs: list[list[str]], old: Delims) -> str:
    lines = []
    for els in segs:
        els = list(els)
        if els[0] == "ISA":
            els[11], els[16] = delims.repetition, delims.component
        else:
            els = [x.replace(old.component, delims.component) for x in els]
        lines.append(delims.element.join(els))
    return delims.terminator.join(lines) + delims.terminator


def reenvelope(data: bytes, control: int, delims: Delims | None = None) -> bytes:
    """The same file under new control numbers (every interchange, group and set), optionally other delimiters."""
    out = []
    group = st = 0
    for i, (old, segs) in enumerate(segments(data)):
        isa13 = f"{(control + i) % 10**9:09d}"
        new: list[list[str]] = []
        for els in segs:
            els = list(els)
            sid = els[0]
            if sid == "ISA":
                els[13] = isa13
            elif sid == "IEA":
                els[2] = isa13
            elif sid == "GS":
                group += 1
                els[6] = str(control % 10**6 * 100 + group)
            elif sid == "GE":
                els[2] = str(control % 10**6 * 100 + group)
            elif sid == "ST":
                st += 1
                els[2] = f"{control % 10**4:04d}{st:04d}"
            elif sid == "SE":
                els[2] = f"{control % 10**4:04d}{st:04d}"
            new.append(els)
        out.append(_write(delims or old, new, old))
    return "".join(out).encode("latin-1")


def interchange_of_sets(files: list[bytes], control: int = 1) -> bytes:
    """One interchange, one group, holding every transaction set of `files` (each a single-interchange file
    with the same delimiters): a multi-set 835 or 837 as a clearinghouse batches them."""
    first_delims, first = segments(files[0])[0]
    isa, gs = first[0], first[1]
    body: list[list[str]] = []
    for data in files:
        for _d, segs in segments(data):
            body += [s for s in segs if s[0] not in ("ISA", "GS", "GE", "IEA")]
    sets = sum(1 for s in body if s[0] == "ST")
    segs = [isa, gs, *body, ["GE", str(sets), gs[6]], ["IEA", "1", isa[13]]]
    return reenvelope(_write(first_delims, segs, first_delims).encode("latin-1"), control)


def cut(data: bytes, points: int = 10) -> list[bytes]:
    """The file cut short at `points` places spread over it (never at its very end)."""
    n = len(data.rstrip(b"\r\n~"))
    return [data[: n * k // (points + 1)] for k in range(1, points + 1)]
