"""`serve`, `users add|passwd|disable|list` and `users token create|revoke|list`: each parses its
arguments, calls edi_engine.web, prints."""

from __future__ import annotations

import socket
import sys

import click

from edi_engine.cli import LazyChoice, db_url, handle_errors, main
from edi_engine.errors import InputError, UsageError


def _roles() -> tuple[str, ...]:
    from edi_engine.web import ROLES

    return tuple(ROLES)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (when served over https, e.g. behind a proxy).")
@click.option("--trusted-proxies", default=0, show_default=True, type=click.IntRange(0, 5), metavar="N",
              help="Reverse proxies in front whose X-Forwarded-For is believed for sign-in throttling per "
                   "address (0: the connecting address). Never more than really append it.")
@click.option("--idle-timeout", "idle_minutes", default=30, show_default=True, type=click.IntRange(1, 720),
              metavar="MINUTES", help="Sign a session out after this long without a request (12 hours at most).")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False),
              help="The rule pack detect runs with (its aging buckets age the dashboard).")
@click.option("--api-rate-limit", default="120/minute", show_default=True, metavar="LIMIT",
              help="Requests per API token (or signed-in user) to /api/v1, e.g. 10/second;1000/hour.")
@click.option("--rate-limit-storage", default="memory://", show_default=True, metavar="URI",
              help="Where the API rate limit counts: memory:// in this process only; with several web processes, "
                   "one shared storage, e.g. redis://127.0.0.1:6379 (pip install 'edi-engine[redis]').")
@click.option("--api-ingest", type=click.Choice(["auto", "queue", "direct"]), default="auto", show_default=True,
              help="API uploads: queue them for the workers (PostgreSQL with the task queue), or ingest them in "
                   "the web app (direct); auto queues when the store has the queue.")
@click.pass_context
@handle_errors
def serve_cmd(ctx: click.Context, host: str, port: int, secure_cookies: bool, trusted_proxies: int,
              idle_minutes: int, rules_path: str | None, api_rate_limit: str, rate_limit_storage: str,
              api_ingest: str) -> None:
    """Start the review web app and its HTTP API (/api/v1) on the same database (sign in with a user from
    `users add`; API clients use a token from `users token create`).

    Example: edi-engine serve --port 8080
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web import serve
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UsageError(f"--host {host!r} is not an address or a name that resolves") from None
    from limits import parse_many

    from edi_engine.web import list_users
    try:
        parse_many(api_rate_limit)
    except ValueError:
        raise UsageError(f"--api-rate-limit {api_rate_limit!r} is not a limit such as 120/minute") from None
    engine = open_store(db_url(ctx))
    if not any(not u.disabled for u in list_users(engine)):
        click.echo("no user can sign in yet: add the first with `edi-engine users add NAME --role admin`", err=True)
    click.echo(f"edi-engine review app on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    try:
        serve(engine, host, port, secure_cookies=secure_cookies, trusted_proxies=trusted_proxies,
              idle_minutes=idle_minutes, rules_path=rules_path, api_rate_limit=api_rate_limit,
              rate_limit_storage=rate_limit_storage, api_ingest=api_ingest)
    except OSError as exc:  # waitress binds in its constructor: port in use, address not on this machine
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@main.group("users")
def users_group() -> None:
    """Manage the review app's users (reviewer, approver, admin)."""


def _new_password(given: str | None, from_stdin: bool) -> str:
    """The new password: from standard input (--password-stdin, one line), the environment, or a
    prompt typed twice on a terminal. Without a terminal and without either, a clear refusal rather
    than a prompt nobody can answer."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UsageError("--password-stdin read no password from standard input")
        return line
    if given:
        return given
    try:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    except click.Abort:  # standard input ended: no terminal, nothing piped
        raise UsageError("no password typed: pipe it with --password-stdin, or set EDI_ENGINE_NEW_PASSWORD") from None


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=LazyChoice(_roles), required=True, help="reviewer annotates and proposes; approver "
              "approves refunds and releases letters and corrected claims; admin also manages users.")
@click.option("--password", envvar="EDI_ENGINE_NEW_PASSWORD", default=None,
              help="The password (seen by others in the process list: prefer the prompt or --password-stdin).")
@click.option("--password-stdin", "password_stdin", is_flag=True,
              help="Read the password from standard input (scripts); else prompted for on a terminal, or the "
                   "env EDI_ENGINE_NEW_PASSWORD.")
@click.pass_context
@handle_errors
def users_add(ctx: click.Context, username: str, role: str, password: str | None, password_stdin: bool) -> None:
    """Add a user.

    Example: edi-engine users add alice --role approver
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web import add_user
    user = add_user(open_store(db_url(ctx)), username, _new_password(password, password_stdin), role)
    click.echo(f"added {user.username} ({user.role})")


@users_group.command("passwd")
@click.argument("username")
@click.option("--password", envvar="EDI_ENGINE_NEW_PASSWORD", default=None,
              help="The password (seen by others in the process list: prefer the prompt or --password-stdin).")
@click.option("--password-stdin", "password_stdin", is_flag=True,
              help="Read the password from standard input (scripts); else prompted for on a terminal, or the "
                   "env EDI_ENGINE_NEW_PASSWORD.")
@click.pass_context
@handle_errors
def users_passwd(ctx: click.Context, username: str, password: str | None, password_stdin: bool) -> None:
    """Set a user's password (the same policy as `users add`) and end their sessions.

    Example: edi-engine users passwd alice
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web import set_password
    user = set_password(open_store(db_url(ctx)), username, _new_password(password, password_stdin))
    click.echo(f"password of {user.username} changed; their sessions are ended")


@users_group.command("disable")
@click.argument("username")
@click.pass_context
@handle_errors
def users_disable(ctx: click.Context, username: str) -> None:
    """Disable a user and end their sessions.

    Example: edi-engine users disable alice
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web import disable_user
    user = disable_user(open_store(db_url(ctx)), username)
    click.echo(f"disabled {user.username}")


@users_group.command("list")
@click.pass_context
@handle_errors
def users_list(ctx: click.Context) -> None:
    """List users.

    Example: edi-engine users list
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web import list_users
    for u in list_users(open_store(db_url(ctx))):
        click.echo(f"{u.username:<24} {u.role:<9} {'disabled' if u.disabled else 'active':<9} "
                   f"{u.created_at:%Y-%m-%d}")


@users_group.group("token")
def token_group() -> None:
    """HTTP API tokens (Authorization: Bearer), acting with their user's role."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (shown by `users token list`).")
@click.option("--by", default="cli", show_default=True, help="Who creates it (audit trail).")
@click.pass_context
@handle_errors
def token_create(ctx: click.Context, username: str, name: str, by: str) -> None:
    """Create an API token for USERNAME; its secret is printed once, on stdout, and stored only hashed.

    Example: edi-engine users token create alice --name clearinghouse-sftp
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web.tokens import create_token
    token, secret = create_token(open_store(db_url(ctx)), username, name=name, by=by)
    click.echo(f"created API token {token.id} for {token.username} ({token.name}); it is shown only now:", err=True)
    click.echo(secret)


@token_group.command("revoke")
@click.argument("token_id", type=click.IntRange(1))
@click.option("--by", default="cli", show_default=True, help="Who revokes it (audit trail).")
@click.pass_context
@handle_errors
def token_revoke(ctx: click.Context, token_id: int, by: str) -> None:
    """Revoke API token TOKEN_ID (the id `users token list` shows); it stops working at once.

    Example: edi-engine users token revoke 3
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web.tokens import revoke_token
    token = revoke_token(open_store(db_url(ctx)), token_id, by=by)
    click.echo(f"revoked API token {token.id} of {token.username}")


@token_group.command("list")
@click.argument("username", required=False)
@click.pass_context
@handle_errors
def token_list(ctx: click.Context, username: str | None) -> None:
    """List API tokens (never their secrets), all or USERNAME's.

    Example: edi-engine users token list alice
    """
    from edi_engine.store.engine import open_store
    from edi_engine.web.tokens import list_tokens
    for t in list_tokens(open_store(db_url(ctx)), username):
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        click.echo(f"{t.id:>4}  {t.username:<24} {'active' if t.active else 'revoked':<8} "
                   f"{t.created_at:%Y-%m-%d}  {used:<16}  {t.name}")
