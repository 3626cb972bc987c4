"""The README's "A day with edi-engine" runs as written on the demo database: each command line of
its shell block, in order, in a folder laid out as the README says (the demo pack's X12 in inbox/,
its CSVs as pp.csv and fees.csv, the bank statement of its checks, the README's own office.toml),
after `edi-engine demo`. A command that fails, or that does nothing on the demo data (a batch of no
checks, a report of no lines), fails the test, so the README cannot drift from what the tool does."""

from __future__ import annotations

import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from edi_engine.cli import main
from edi_engine.simulate.bank import bank_credits, payments_in, write_bai2

ROOT = Path(__file__).resolve().parents[2]
MIXED = ROOT / "fixtures" / "mixed"


def _section(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {name}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def _commands() -> list[list[str]]:
    """The shell block's lines as argument lists, comments dropped (shlex keeps quoted notes whole)."""
    block = re.search(r"```sh\n(.*?)```", _section("A day with edi-engine"), re.S)
    assert block, "README's 'A day with edi-engine' lost its shell block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.strip()]


def _office_toml() -> str:
    block = re.search(r"```toml\n(.*?)```", _section("A day with edi-engine"), re.S)
    assert block, "README's 'A day with edi-engine' lost its office.toml"
    return block.group(1)


def _lay_out(folder: Path) -> None:
    inbox = folder / "inbox"
    inbox.mkdir()
    x12 = {p.name: p.read_bytes() for p in MIXED.iterdir() if p.suffix in (".835", ".837")}
    for name, data in x12.items():
        (inbox / name).write_bytes(data)
    shutil.copy(MIXED / "patient_payments.csv", folder / "pp.csv")
    shutil.copy(MIXED / "fee_schedule.csv", folder / "fees.csv")
    payments = payments_in(x12)
    (folder / "statement.bai2").write_bytes(write_bai2(bank_credits(payments), created=max(
        p.payment_date for p in payments)))
    (folder / "office.toml").write_text(_office_toml(), encoding="utf-8")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _serve_answers(args: list[str], folder: Path) -> None:
    """`serve` runs until stopped: start it as written, see the sign-in page, stop it."""
    proc = subprocess.Popen([sys.executable, "-m", "edi_engine", *args[1:]], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen("http://127.0.0.1:8080/login", timeout=2) as page:
                    assert page.status == 200 and b"password" in page.read().lower()
                    return
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                time.sleep(0.2)
        pytest.fail("edi-engine serve did not answer on 127.0.0.1:8080")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.skipif(not (MIXED / "expected.json").is_file(), reason="needs the checkout's fixtures/mixed")
def test_every_readme_command_runs_as_written_on_the_demo_database(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDI_ENGINE_DB", raising=False)
    monkeypatch.delenv("EDI_ENGINE_AS_OF", raising=False)
    _lay_out(tmp_path)
    runner = CliRunner()
    demo = runner.invoke(main, ["demo"])
    assert demo.exit_code == 0, demo.output
    commands = _commands()
    assert len(commands) >= 15 and all(c[0] == "edi-engine" for c in commands)
    outputs: dict[str, str] = {}
    for args in commands:
        if args[1] == "serve":
            if _port_free(8080):  # a developer's own server on 8080 is no failure of the README
                _serve_answers(args, tmp_path)
            continue
        result = runner.invoke(main, args[1:])
        line = shlex.join(args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        assert "Traceback" not in result.output, line
        outputs[" ".join(args[1:3])] = result.output
    # Each did something on the demo data, not merely exit 0.
    assert "0 checks" not in outputs["refunds batch"] and "1 checks" in outputs["refunds batch"]
    assert "1 refunds recorded" in outputs["refunds post"]
    assert (tmp_path / "refund-14.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "void.837").read_bytes().startswith(b"ISA")
    report = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "cms838.pdf").pages)
    assert "not configured" not in report, report
    # the demo pack holds open credits on Medicare Part A inpatient claims (837I): the report lists them
    assert "no lines" not in report, report
    assert re.search(r"\b[1-9]\d* lines?\b", report) and re.search(r"\b111\b", report), report  # TOB 111
    assert "imported" in outputs["import deposits"]
