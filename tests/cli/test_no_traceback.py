"""Every command, with bad paths, bad database URLs and busy ports, ends in one line and an exit code.

The commands are enumerated from the click group (edi_engine.cli.reference.iter_commands), so a new
command is covered without touching this file. Each gets arguments built from its parameters'
types: good ones (a real 835, an empty folder, an output in a temporary folder) as the base, then
one parameter at a time made bad. Whatever happens, no "Traceback", no internal error (exit 70),
and a failure is one `edi-engine: ...` or click `Error: ...` line on stderr.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from edi_engine.cli import EXIT_BUG, main
from edi_engine.cli.reference import iter_commands

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REMIT = FIXTURES / "patient_exact" / "20241018-835-NSB02-24101850128452.835"

# Commands that never open the database: with a bad --db URL they may still succeed. Every other
# command must fail on one (a new command that does not need the database is added here).
NO_DATABASE = {"parse", "validate", "simulate", "replay"}

BAD_DATABASES = {
    "postgres-unreachable": "postgresql+psycopg://postgres@127.0.0.1:1/x",
    "sqlite-missing-folder": "sqlite:////nonexistent-folder-edi/x/edi.db",
    "not-a-url": "nosuch://x",
    "unsupported-driver": "mysql://u@h/x",
}

COMMANDS = [(name, cmd) for name, cmd in iter_commands()
            if not isinstance(cmd, click.Group) or cmd.invoke_without_command]


@dataclass
class Places:
    tmp: Path
    busy_port: int

    @property
    def good_db(self) -> str:
        return "sqlite:///" + str(self.tmp / "store.db")

    def good_input(self) -> str:
        return str(self.tmp / "in" / REMIT.name)

    def good_folder(self) -> str:
        return str(self.tmp / "empty")

    def good_output(self) -> str:
        return str(self.tmp / "out" / "result.pdf")

    def good_output_folder(self) -> str:
        return str(self.tmp / "out" / "folder")

    def missing_input(self) -> str:
        return str(self.tmp / "missing" / "in.835")

    def missing_output(self) -> str:
        return str(self.tmp / "missing" / "out.pdf")

    def file_as_folder(self) -> str:
        return self.good_input()  # an existing regular file given where a folder is wanted


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture
def places(tmp_path: Path, busy_port: int) -> Places:
    (tmp_path / "in").mkdir()
    shutil.copy(REMIT, tmp_path / "in" / REMIT.name)
    (tmp_path / "empty").mkdir()
    (tmp_path / "out").mkdir()
    return Places(tmp_path, busy_port)


def _kind(param: click.Parameter) -> str:
    """input-file, input-folder, output-file, output-folder, port, host, or value."""
    name = param.name or ""
    if name == "port":
        return "port"
    if name == "host":
        return "host"
    t = param.type
    output = name in ("out", "output") or (isinstance(t, click.Path) and t.writable)
    if isinstance(t, click.Path):
        return ("output" if output else "input") + ("-folder" if not t.file_okay else "-file")
    return "output-file" if output else "value"


def _value(param: click.Parameter, kind: str, p: Places) -> str:
    if kind == "port":
        return str(p.busy_port)
    if kind == "host":
        return "127.0.0.1"
    if kind == "input-file":
        return p.good_input()
    if kind == "input-folder":
        return p.good_folder()
    if kind == "output-file":
        return p.good_output()
    if kind == "output-folder":
        return p.good_output_folder()
    t = param.type
    if isinstance(t, click.Choice):
        return str(t.choices[0])
    if isinstance(t, click.types.IntParamType):
        return "1"
    if isinstance(t, click.types.FloatParamType):
        return "0.01"
    return "X1"


def _bad(kind: str, p: Places) -> str | None:
    return {"input-file": p.missing_input(), "input-folder": p.missing_input(), "output-file": p.missing_output(),
            "output-folder": p.file_as_folder(), "host": "999.1.1.1"}.get(kind)


def _params(command: click.Command) -> list[tuple[click.Parameter, str]]:
    return [(param, _kind(param)) for param in command.params
            if not (isinstance(param, click.Option) and (param.is_flag or param.hidden)) and param.name != "help"]


def _argv(name: str, command: click.Command, p: Places, *, replace: click.Parameter | None = None,
          with_value: str | None = None) -> list[str]:
    """The command line: required parameters (and ports, hosts and the one replaced) with values."""
    argv = name.split()[1:]
    for param, kind in _params(command):
        wanted = param.required or kind in ("port", "host") or param is replace
        wanted = wanted or (isinstance(param, click.Argument) and param.nargs == -1)  # `ingest PATHS...`
        if not wanted:
            continue
        value = with_value if param is replace and with_value is not None else _value(param, kind, p)
        if isinstance(param, click.Option):
            argv += [param.opts[0], value]
        else:
            argv.append(value)
    return argv


def _run(db: str, argv: list[str]) -> Result:
    env = {"EDI_ENGINE_NEW_PASSWORD": "a long enough password 1", "EDI_ENGINE_DB": None, "EDI_ENGINE_DEBUG": None}
    return CliRunner().invoke(main, ["--db", db, *argv], env=env)


def _assert_clean(result: Result, what: str) -> None:
    assert "Traceback" not in result.output, f"{what}:\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{what}: {type(result.exception).__name__} escaped the CLI")
    assert result.exit_code != EXIT_BUG, f"{what}: {result.stderr}"
    if result.exit_code != 0:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        if not lines:  # `validate` reports on stdout and exits 1 when a file is invalid
            assert result.stdout.strip(), f"{what}: exit {result.exit_code} without a message"
            return
        assert lines[-1].startswith(("edi-engine: ", "Error: ")), f"{what}: {result.stderr}"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
@pytest.mark.parametrize("db_kind", sorted(BAD_DATABASES))
def test_a_bad_database_is_one_line(name: str, command: click.Command, db_kind: str, places: Places) -> None:
    result = _run(BAD_DATABASES[db_kind], _argv(name, command, places))
    _assert_clean(result, f"{name} with {db_kind}")
    short = name.split()[1]
    if short not in NO_DATABASE:
        assert result.exit_code != 0, f"{name} succeeded with {db_kind}"
        # The database named, or a usage error found before it was needed.
        assert "database" in result.stderr or result.exit_code == 2, result.stderr


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_bad_paths_hosts_and_busy_ports_are_one_line(name: str, command: click.Command, places: Places) -> None:
    ran = 0
    for param, kind in _params(command):
        bad = _bad(kind, places)
        if bad is None and kind != "port":
            continue
        argv = _argv(name, command, places, replace=param, with_value=bad)
        result = _run(places.good_db, argv)
        _assert_clean(result, " ".join(argv))
        assert result.exit_code != 0, f"{' '.join(argv)} succeeded"
        ran += 1
    if not ran:  # no path, host or port: the plain command on an empty database, which may succeed
        if name.split()[1] in ("demo", "detect"):  # these do the whole job on an empty database
            return
        _assert_clean(_run(places.good_db, _argv(name, command, places)), name)


def test_the_matrix_covers_every_command_with_a_path() -> None:
    with_paths = {n for n, c in COMMANDS if any(k.endswith(("-file", "-folder")) for _, k in _params(c))}
    assert {"edi-engine letter", "edi-engine correct", "edi-engine parse", "edi-engine validate",
            "edi-engine ingest", "edi-engine import patient-payments"} <= with_paths


# The cases the issue names, with what the message must say.

def test_serve_on_a_port_in_use(places: Places) -> None:
    result = _run(places.good_db, ["serve", "--port", str(places.busy_port)])
    _assert_clean(result, "serve")
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{places.busy_port}" in result.stderr
    assert "in use" in result.stderr


@pytest.mark.parametrize("host", ["999.1.1.1", "no such host", "-x"])
def test_serve_on_an_invalid_host(places: Places, host: str) -> None:
    result = _run(places.good_db, ["serve", "--host", host, "--port", str(places.busy_port)])
    _assert_clean(result, "serve")
    assert result.exit_code == 2 and "--host" in result.stderr


def test_an_unreachable_postgresql_names_the_url(places: Places) -> None:
    result = _run("postgresql+psycopg://postgres:secret@127.0.0.1:1/x", ["findings"])
    assert result.exit_code == 1
    assert result.stderr.startswith("edi-engine: database postgresql+psycopg://postgres:***@127.0.0.1:1/x: ")
    assert "secret" not in result.output and len(result.stderr.splitlines()) == 1


def test_sqlite_in_a_missing_folder_names_the_folder(places: Places) -> None:
    result = _run("sqlite:///" + str(places.tmp / "nope" / "edi.db"), ["findings"])
    assert result.exit_code == 1 and f"folder {places.tmp / 'nope'} does not exist" in result.stderr
    assert not (places.tmp / "nope").exists()


def test_ingest_watch_of_a_missing_folder_creates_nothing(places: Places) -> None:
    result = _run(places.good_db, ["ingest", "--watch", str(places.tmp / "nope")])
    assert result.exit_code == 2 and not (places.tmp / "nope").exists()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = "sqlite:///" + str(tmp_path_factory.mktemp("demo") / "demo.db")
    result = _run(url, ["demo", "--as-of", "2025-03-31"])
    assert result.exit_code == 0, result.output
    return url


def test_letter_to_a_missing_folder_fails_before_any_work(demo_db: str, tmp_path: Path) -> None:
    before = _run(demo_db, ["audit", "--json"]).output
    result = _run(demo_db, ["letter", "1", "-o", "/missing/dir/x.pdf"])
    assert result.exit_code == 2
    assert result.stderr == "edi-engine: cannot write /missing/dir/x.pdf: folder /missing/dir does not exist\n"
    assert _run(demo_db, ["audit", "--json"]).output == before  # no letter recorded as written


def test_letters_into_a_file_and_report_to_a_missing_folder(demo_db: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for argv in (["letters", "--status", "open", "-o", str(tmp_path / "file")],
                 ["report", "credit-balances", "-o", str(tmp_path / "missing" / "r.csv")],
                 ["correct", "--finding", "1", "-o", str(tmp_path)]):
        result = _run(demo_db, argv)
        _assert_clean(result, " ".join(argv))
        assert result.exit_code != 0


def test_validate_ack_with_a_non_ascii_isa13_and_a_ta1_due(tmp_path: Path) -> None:
    data = REMIT.read_bytes()
    isa = data[:106].split(b"*")
    isa[13] = "ZÄÖ123456".encode("latin-1")
    isa[14] = b"1"  # TA1 requested
    bad = tmp_path / "non-ascii.835"
    bad.write_bytes(b"*".join(isa) + data[106:])
    ack = tmp_path / "out.999"
    result = CliRunner().invoke(main, ["validate", str(bad), "--ack", str(ack)])
    _assert_clean(result, "validate --ack")
    assert result.exit_code == 1 and "ISA13 is not a nine-digit control number" in result.output
    text = ack.read_bytes().decode("ascii")
    assert "TA1*000000000*" in text and "Ä" not in text


def test_a_bug_is_one_line_without_its_message(places: Places, monkeypatch: pytest.MonkeyPatch) -> None:
    import edi_engine.rules as rules  # the command imports it when it runs

    def broken(*_a: object, **_k: object) -> None:
        raise KeyError("ZZPHIMARK-IN-A-BUG")

    monkeypatch.setattr(rules, "list_findings", broken)
    result = _run(places.good_db, ["findings"])
    assert result.exit_code == EXIT_BUG and "ZZPHIMARK" not in result.output and "Traceback" not in result.output
    assert "internal error: KeyError at edi_engine/cli/" not in result.stderr  # raised in the test, not the package
    assert result.stderr.startswith("edi-engine: internal error: KeyError at ")
    monkeypatch.setenv("EDI_ENGINE_DEBUG", "1")
    assert isinstance(CliRunner().invoke(main, ["--db", places.good_db, "findings"]).exception, KeyError)


def test_no_command_escaped_the_environment() -> None:
    assert not Path("/missing").exists() and not Path("/nonexistent-folder-edi").exists()
    assert os.environ.get("EDI_ENGINE_DEBUG") is None


def test_a_missing_postgresql_database_is_named(places: Places) -> None:
    base = os.environ.get("EDI_ENGINE_TEST_PG_URL")
    if not base:
        pytest.skip("needs EDI_ENGINE_TEST_PG_URL")
    from sqlalchemy.engine import make_url

    url = make_url(base).set(database="edi_engine_no_such_database").render_as_string(hide_password=False)
    result = _run(url, ["findings"])
    assert result.exit_code == 1 and "edi_engine_no_such_database" in result.stderr
    assert len(result.stderr.splitlines()) == 1
