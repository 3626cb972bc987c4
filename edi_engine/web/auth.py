"""Who may do what in the review app: users and roles, the password policy and hashing, sessions
(lifetime and idle timeout), sign-in throttling by delay and the devices it lets through.

Owns what the web_user, web_session, login_attempt and login_device rows mean (edi_engine/store/users.py reads
and writes them) and the role table below. Knows nothing of HTTP: app.py turns these answers into cookies, redirects and
status codes. Roles are cumulative: an approver may do what a reviewer may, an admin what an
approver may, and only an admin manages users.

Passwords are argon2id (argon2-cffi's defaults); a session or device is a random token whose
SHA-256 is stored, so the database alone cannot be replayed as a cookie. Messages never carry
passwords, and nothing here logs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import UsageError
from edi_engine.rules.approvals import ROLES
from edi_engine.store import users as stored

__all__ = [
    "ACTIONS", "ACTION_WORDS", "ROLES", "PasswordPolicy", "RateLimit", "SessionInfo", "User", "add_user", "allowed",
    "change_password", "check_password", "create_session", "disable_user", "set_password", "end_session",
    "list_users", "rate_limited", "record_attempt", "session_for", "verify_login", "address_key",
    "remember_device", "sign_in_wait", "IDLE_TIMEOUT", "SESSION_LIFETIME",
]

# The roles are the approval chain's (rules/approvals.py: its steps name them), least first.
# The least role each server-side action needs; checked in app.py before any route body runs.
ACTIONS = {
    "view": "reviewer",
    "note": "reviewer",
    "propose": "reviewer",
    "approve": "approver",  # the default chain's one step; a configured chain's steps name their own roles
    "offset": "approver",
    "dismiss": "approver",
    "mark-refunded": "approver",
    "investigate": "approver",
    "letter": "approver",
    "corrected-claim": "approver",
    "match": "approver",  # a payment matched to a claim by hand, and undone: who may decide findings
    "users": "admin",
}
# Each action as the end of "Your role (reviewer) may not ...".
ACTION_WORDS = {
    "view": "view findings",
    "note": "add notes",
    "propose": "propose decisions",
    "approve": "approve refunds",
    "offset": "approve offsets",
    "dismiss": "dismiss findings",
    "mark-refunded": "mark findings refunded",
    "investigate": "record investigations that suspend a deadline",
    "letter": "download letters",
    "corrected-claim": "download corrected claims",
    "match": "match payments to claims",
    "users": "manage users",
}
SESSION_HOURS = 12
SESSION_LIFETIME = timedelta(hours=SESSION_HOURS)  # however active, a session ends after this
IDLE_TIMEOUT = timedelta(minutes=30)  # and after this long unused
TOUCH_EVERY = timedelta(seconds=30)  # how stale a session's last-seen time may get before it is written
_hasher = PasswordHasher()
_dummy_hashes: dict[int, str] = {}


def _dummy_hash() -> str:
    """Verified against when the username is unknown, so an unknown name costs as long as a wrong password."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash("not a password " + secrets.token_hex(8))
    return _dummy_hashes[key]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user: User
    csrf_token: str


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Sign-in throttling by delay, never by lockout.

    After `per_username` failed sign-ins for one username (or `per_address` from one client address;
    an IPv6 address counts by its /64) inside `window`, each further attempt must wait `first_delay`,
    doubling with every failure up to `max_delay`, counted from the latest failure; an attempt made
    sooner is answered 429 without looking at the password. So a guesser gets about one try per
    `max_delay` and the owner at worst waits `max_delay` once. A browser holding the device cookie of
    an earlier sign-in as that user is not held back at all, until `device_failures` wrong passwords
    from it in a row.
    """

    per_username: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=30)
    device_failures: int = 5
    device_lifetime: timedelta = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a new password must be: `min_length` to `max_length` characters and a zxcvbn score of at
    least `min_score`. zxcvbn (Dropbox's estimator, PyPI `zxcvbn`) ranks a password against lists of
    the most common passwords from public breach corpora, English words, names and keyboard patterns,
    plus the username; score 3 means about 10^8 guesses or more ("safely unguessable"). NIST SP 800-63B
    asks for exactly this: a length floor and a check against breached and common passwords, with
    no composition rules."""

    min_length: int = 12
    max_length: int = 256
    min_score: int = 3


_SCORED_CHARS = 100  # zxcvbn's time grows quickly with length; a strong prefix makes a strong password


def check_password(password: str, username: str = "", policy: PasswordPolicy | None = None) -> None:
    """UsageError saying what is wrong with `password` under `policy`; nothing when it passes."""
    policy = policy or PasswordPolicy()
    if len(password) < policy.min_length:
        raise UsageError(f"a password needs at least {policy.min_length} characters")
    if len(password) > policy.max_length:
        raise UsageError(f"a password has at most {policy.max_length} characters")
    from zxcvbn import zxcvbn  # its word lists load on first use, not with every CLI command

    result = zxcvbn(password[:_SCORED_CHARS], user_inputs=[username, "edi-engine", "billing"] if username else [])
    if int(result["score"]) < policy.min_score:
        warning = str(result["feedback"].get("warning") or "").rstrip(".")
        why = f" ({warning.lower()})" if warning else ""
        raise UsageError(f"this password is too easy to guess{why}; use a longer one, e.g. four or more "
                         "unrelated words")


def allowed(role: str, action: str) -> bool:
    need = ACTIONS.get(action)
    if need is None or role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(need)


def _user(row: stored.UserRow) -> User:
    return User(row.id, row.username, row.role, row.disabled, row.created_at)


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise UsageError("a username is 1-64 characters without spaces")
    return name


def add_user(engine: Engine, username: str, password: str, role: str, policy: PasswordPolicy | None = None) -> User:
    """UsageError for a taken or malformed name, an unknown role, or a password `policy` refuses."""
    name = _check_username(username)
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}")
    check_password(password, name, policy)
    with engine.begin() as conn:
        if stored.user_by_name(conn, name) is not None:
            raise UsageError(f"user {name} exists already")
        return _user(stored.insert_user(conn, username=name, password_hash=_hasher.hash(password), role=role,
                                        created_at=_now()))


def disable_user(engine: Engine, username: str) -> User:
    """Disable a user and end their sessions at once."""
    with engine.begin() as conn:
        row = stored.user_by_name(conn, username)
        if row is None:
            raise UsageError(f"no user {username}")
        stored.set_disabled(conn, row.id)
        stored.delete_sessions_of(conn, row.id)
        stored.delete_devices_of(conn, row.id)
        return _user(stored.user_by_id(conn, row.id))


def set_password(engine: Engine, username: str, password: str, policy: PasswordPolicy | None = None) -> User:
    """Give `username` a new password (under `policy`) and end all their sessions."""
    check_password(password, username, policy)
    with engine.begin() as conn:
        row = stored.user_by_name(conn, username)
        if row is None:
            raise UsageError(f"no user {username}")
        stored.set_password_hash(conn, row.id, _hasher.hash(password))
        stored.delete_sessions_of(conn, row.id)
        stored.delete_devices_of(conn, row.id)
        return _user(row)


def change_password(engine: Engine, user: User, current: str, new: str, policy: PasswordPolicy | None = None) -> None:
    """A signed-in user's own change: the current password first, then `new` under `policy`."""
    if verify_login(engine, user.username, current) is None:
        raise UsageError("the current password is not right")
    if new == current:
        raise UsageError("the new password is the current one")
    set_password(engine, user.username, new, policy)


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in stored.users(conn)]


def address_key(address: str) -> str:
    """The per-address key: the address itself, or for IPv6 its /64 (one subscriber's usual allocation)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _backoff(failures: stored.Failures, free: int, limit: RateLimit, now: datetime) -> timedelta:
    if failures.count < free or failures.latest is None:
        return timedelta(0)
    delay = min(limit.first_delay * (1 << min(failures.count - free, 20)), limit.max_delay)
    return max(failures.latest + delay - now, timedelta(0))


def _device(conn: Connection, token: str | None, username: str, limit: RateLimit) -> stored.DeviceRow | None:
    """The device row of this cookie token when it is a trusted device of `username`."""
    if not token:
        return None
    device = stored.device_by_digest(conn, _digest(token))
    user = stored.user_by_name(conn, username)
    if device is None or user is None or device.user_id != user.id:
        return None
    if device.failures >= limit.device_failures or device.last_used_at < _now() - limit.device_lifetime:
        return None
    return device


def sign_in_wait(engine: Engine, username: str, address: str, limit: RateLimit, device: str | None = None) -> timedelta:
    """How long this sign-in attempt must still wait (zero: go ahead). A trusted device never waits."""
    now = _now()
    since = now - limit.window
    with engine.connect() as conn:
        if _device(conn, device, username, limit) is not None:
            return timedelta(0)
        by_name = stored.failures_since(conn, since, username=username)
        by_address = stored.failures_since(conn, since, address=address_key(address))
    return max(_backoff(by_name, limit.per_username, limit, now), _backoff(by_address, limit.per_address, limit, now))


def rate_limited(engine: Engine, username: str, address: str, limit: RateLimit, device: str | None = None) -> bool:
    return sign_in_wait(engine, username, address, limit, device) > timedelta(0)


def record_attempt(engine: Engine, username: str, address: str, succeeded: bool, device: str | None = None,
                   limit: RateLimit | None = None) -> None:
    """Note the attempt; a failure from a trusted device also counts against that device's trust."""
    limit = limit or RateLimit()
    now = _now()
    with engine.begin() as conn:
        stored.insert_attempt(conn, username=username[:64], address=address_key(address), at=now, succeeded=succeeded)
        trusted = _device(conn, device, username, limit)
        if trusted is not None and not succeeded:
            stored.device_failed(conn, trusted.id)
        if succeeded:  # the table only serves throttling and a short record: keep about a month
            stored.delete_attempts_before(conn, now - timedelta(days=30))


def remember_device(engine: Engine, user: User, device: str | None, limit: RateLimit | None = None) -> str:
    """After a successful sign-in: the device cookie token to set (this one again when it is already
    `user`'s trusted device, else a new one)."""
    limit = limit or RateLimit()
    now = _now()
    with engine.begin() as conn:
        known = _device(conn, device, user.username, limit)
        if known is not None and device:
            stored.device_signed_in(conn, known.id, now)
            return device
        token = secrets.token_urlsafe(32)
        stored.delete_stale_devices(conn, now - limit.device_lifetime)
        stored.insert_device(conn, token_hash=_digest(token), user_id=user.id, at=now)
        return token


def verify_login(engine: Engine, username: str, password: str) -> User | None:
    """The enabled user with this password, or None (same answer and cost for every kind of failure)."""
    with engine.connect() as conn:
        row = stored.user_by_name(conn, username)
    try:
        _hasher.verify(row.password_hash if row is not None else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            stored.set_password_hash(conn, row.id, _hasher.hash(password))
    return _user(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(engine: Engine, user: User, lifetime: timedelta = SESSION_LIFETIME,
                   idle: timedelta = IDLE_TIMEOUT) -> str:
    """A new session for `user`; returns the token for the cookie (stored only as its digest)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with engine.begin() as conn:
        stored.delete_expired_sessions(conn, now, now - idle)
        stored.insert_session(conn, token_hash=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                              created_at=now, expires_at=now + lifetime)
    return token


def session_for(engine: Engine, token: str | None, idle: timedelta = IDLE_TIMEOUT) -> SessionInfo | None:
    """The live session of an enabled user for this cookie token, else None: past its lifetime, or
    unused for `idle`, it is over. Each use moves its idle clock (written at most every TOUCH_EVERY)."""
    if not token:
        return None
    digest, now = _digest(token), _now()
    with engine.connect() as conn:
        row = stored.session_by_digest(conn, digest)
    if row is None or row.user.disabled or row.expires_at < now or row.last_seen_at < now - idle:
        return None
    if row.last_seen_at < now - TOUCH_EVERY:
        with engine.begin() as conn:
            stored.touch_session(conn, digest, now)
    return SessionInfo(_user(row.user), row.csrf_token)


def end_session(engine: Engine, token: str | None) -> None:
    if token:
        with engine.begin() as conn:
            stored.delete_session(conn, _digest(token))
