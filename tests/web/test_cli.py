"""`edi-engine users add|disable|list` and `serve --help` through click's runner."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from edi_engine.cli import main
from edi_engine.store import open_store, tables
from edi_engine.web.auth import verify_login


def test_users_add_list_disable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'u.db'}"
    run = CliRunner().invoke
    r = run(main, ["--db", url, "users", "add", "alice", "--role", "approver"],
            input="a long password\na long password\n")
    assert r.exit_code == 0, r.output
    assert "added alice (approver)" in r.output and "a long password" not in r.output
    engine = open_store(url)
    with engine.connect() as conn:
        stored = conn.execute(select(tables.web_user.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "a long password" not in stored
    assert verify_login(engine, "alice", "a long password") is not None
    r = run(main, ["--db", url, "users", "add", "alice", "--role", "admin", "--password", "another password"])
    assert r.exit_code == 2 and "exists already" in r.output
    r = run(main, ["--db", url, "users", "add", "bob", "--role", "reviewer", "--password", "short"])
    assert r.exit_code == 2 and "at least 12" in r.output
    r = run(main, ["--db", url, "users", "add", "bob", "--role", "reviewer", "--password", "aaaaaaaaaaaaaa"])
    assert r.exit_code == 2 and "too easy to guess" in r.output
    r = run(main, ["--db", url, "users", "add", "bob", "--role", "boss", "--password", "x" * 12])
    assert r.exit_code == 2
    run(main, ["--db", url, "users", "add", "bob", "--role", "reviewer"],
        env={"EDI_ENGINE_NEW_PASSWORD": "tulip ferry copper 41"})
    r = run(main, ["--db", url, "users", "passwd", "alice", "--password", "password1234"])
    assert r.exit_code == 2 and "too easy to guess" in r.output
    r = run(main, ["--db", url, "users", "passwd", "alice"], input="a new longer passphrase\na new longer passphrase\n")
    assert r.exit_code == 0 and "password of alice changed" in r.output
    assert verify_login(engine, "alice", "a long password") is None
    assert verify_login(engine, "alice", "a new longer passphrase") is not None
    r = run(main, ["--db", url, "users", "disable", "alice"])
    assert r.exit_code == 0 and "disabled alice" in r.output
    assert verify_login(engine, "alice", "a new longer passphrase") is None
    r = run(main, ["--db", url, "users", "list"])
    lines = r.output.splitlines()
    assert [ln.split()[:3] for ln in lines] == [["alice", "approver", "disabled"], ["bob", "reviewer", "active"]]
    r = run(main, ["--db", url, "users", "disable", "nobody"])
    assert r.exit_code == 2 and "no user nobody" in r.output


def test_serve_has_help_with_an_example() -> None:
    r = CliRunner().invoke(main, ["serve", "--help"])
    assert r.exit_code == 0 and "--port" in r.output and "Example:" in r.output


def test_serve_answers_on_the_given_port_and_sends_strangers_to_sign_in(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "edi_engine", "--db", f"sqlite:///{tmp_path / 's.db'}", "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        for _ in range(100):
            try:
                opener.open(f"http://127.0.0.1:{port}/findings", timeout=2)
            except urllib.error.HTTPError as exc:
                assert exc.code == 302 and exc.headers["Location"].startswith("/login")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve did not answer")
        assert b"Sign in" in urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_users_add_takes_the_password_on_stdin_and_refuses_clearly_without_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'u.db'}"
    run = CliRunner().invoke
    r = run(main, ["--db", url, "users", "add", "carol", "--role", "admin", "--password-stdin"],
            input="tulip ferry copper 41\n")
    assert r.exit_code == 0 and "added carol (admin)" in r.output and "tulip" not in r.output
    assert verify_login(open_store(url), "carol", "tulip ferry copper 41") is not None
    r = run(main, ["--db", url, "users", "add", "dave", "--role", "reviewer"], input="")  # no terminal, nothing piped
    assert r.exit_code == 2 and "--password-stdin" in r.output and "Aborted" not in r.output
    r = run(main, ["--db", url, "users", "add", "dave", "--role", "reviewer", "--password-stdin"], input="")
    assert r.exit_code == 2 and "read no password" in r.output


def test_serve_says_how_to_add_the_first_user(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import edi_engine.web
    monkeypatch.setattr(edi_engine.web, "serve", lambda *a, **k: None)  # not listening: only what it says first
    url = f"sqlite:///{tmp_path / 'u.db'}"
    r = CliRunner().invoke(main, ["--db", url, "serve", "--port", "8099"])
    assert r.exit_code == 0 and "users add NAME --role admin" in r.output
    CliRunner().invoke(main, ["--db", url, "users", "add", "erin", "--role", "admin", "--password-stdin"],
                       input="tulip ferry copper 41\n")
    r = CliRunner().invoke(main, ["--db", url, "serve", "--port", "8099"])
    assert r.exit_code == 0 and "users add" not in r.output
