"""Start-up: `import edi_engine.cli`, `--version` and `--help` load none of the heavy libraries.

Each command imports what it uses when it runs (issue 14, item 3), so the check runs in a fresh
interpreter: in this one the other tests have long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "flask", "werkzeug", "jinja2", "fpdf", "lxml", "pyx12", "msgspec")
ROOT = Path(__file__).resolve().parents[2]


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\n"
             f"import json; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import edi_engine.cli") == []


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["users", "--help"], ["report", "--help"],
                                  ["validate", "--help"], ["ingest", "--help"]])
def test_help_and_version_load_no_heavy_library(args: list[str]) -> None:
    code = ("from edi_engine.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code")
    assert _loaded_after(code) == []
    # (`findings --help` lists the categories and `users add --help` the roles: those load the
    # rules and the web app, as their command does.)


def test_a_command_still_loads_what_it_uses(tmp_path: Path) -> None:
    # `users list` over a missing folder: the store is imported, and the boundary maps its error.
    code = ("from edi_engine.cli import main\n"
            f"try:\n    main(['--db', 'sqlite:///{tmp_path}/no/such/x.db', 'users', 'list'])\n"
            "except SystemExit as exc:\n    assert exc.code == 1, exc.code")
    assert "sqlalchemy" in _loaded_after(code)
