"""The probe findings of issue 13 as HTTP tests: sign-in redirects only to same-site paths, status
messages only from server-known keys, 403 wording, bad path ids, sign-in throttling without
lockout, the password policy, idle sessions, proxy headers."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask

from edi_engine.web.safety import MESSAGES, safe_next
from tests.web.conftest import PASSWORD, login_token

REDIRECT_ATTACKS = [
    "//evil.example/", "/%09/evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
    "\t//evil.example", " //evil.example", "/\\evil.example", "\\\\evil.example", "/%5Cevil.example",
    "/%2F/evil.example", "/%252F%252Fevil.example", "/%2509/evil.example", "https://evil.example/",
    "javascript:alert(1)", "/\x00/evil.example", "/\x0b/evil.example", "evil.example", "%2F%2Fevil.example",
    "/findings\r\nSet-Cookie: x=1", "http:/evil.example", "/\u3002/evil.example"[:1] + "/evil.example",
]


def _browser_target(location: str) -> tuple[str, str]:
    """(scheme, host) a browser would go to from this Location on our own page (WHATWG: tabs and
    newlines removed, backslashes read as slashes)."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").strip().replace("\\", "/")
    parts = urlsplit(cleaned)
    return parts.scheme, parts.netloc


@pytest.mark.parametrize("target", REDIRECT_ATTACKS)
def test_safe_next_keeps_only_same_site_paths(target: str) -> None:
    got = safe_next(target)
    assert got.startswith("/") and not got.startswith("//") and _browser_target(got) == ("", "")
    assert "\n" not in got and "\r" not in got and "\t" not in got


def test_safe_next_keeps_a_real_path_with_its_query() -> None:
    assert safe_next("/findings/3") == "/findings/3"
    assert safe_next("/findings?status=all&payer=HWT05") == "/findings?status=all&payer=HWT05"
    assert safe_next("/dashboard\t") == "/dashboard"  # what the browser would have asked for anyway


def test_sign_in_redirects_only_to_same_site_paths(app: Flask) -> None:
    for target in REDIRECT_ATTACKS:
        client = app.test_client()
        resp = client.post("/login", data={"username": "abe", "password": PASSWORD, "csrf_token": login_token(client),
                                           "next": target})
        if "\x00" in target:  # refused before sign-in is even tried
            assert resp.status_code == 400 and client.get_cookie("edi_session") is None
            continue
        assert resp.status_code == 303, target
        assert _browser_target(resp.headers["Location"]) == ("", ""), (target, resp.headers["Location"])
        assert resp.headers["Location"].startswith("/") and not resp.headers["Location"].startswith("//")
    client = app.test_client()
    page = client.get("/login", query_string={"next": "/%09/evil.example"}).get_data(as_text=True)
    assert 'name="next" value="/findings"' in page


def test_status_messages_come_only_from_known_keys(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("rita")
    spoof = "Your account is suspended. Call 555-0100 to restore it."
    page = client.get("/findings", query_string={"msg": spoof}).get_data(as_text=True)
    assert "suspended" not in page and 'class="flash"' not in page
    page = client.get("/findings", query_string={"msg": "note-added"}).get_data(as_text=True)
    assert '<p class="flash" role="status">Note added.</p>' in page
    assert all(text and "{" not in text for text in MESSAGES.values())


def test_a_note_redirects_with_a_message_key(as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import page_token
    client = as_user("rita")
    resp = client.post("/findings/1/note", data={"note": "called the payer", "csrf_token": page_token(client)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("?msg=note-added")
    resp = client.post("/findings/1/note", data={"note": " ", "csrf_token": page_token(client)})
    assert resp.headers["Location"].endswith("?msg=note-empty")


def test_the_403_page_names_the_action_in_words(as_user) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.web.auth import ACTION_WORDS, ACTIONS
    assert set(ACTION_WORDS) == set(ACTIONS)
    page = as_user("rita").get("/users").get_data(as_text=True)
    assert "Your role (reviewer) may not manage users." in page
    page = as_user("abe").get("/users").get_data(as_text=True)
    assert "Your role (approver) may not manage users." in page


@pytest.mark.parametrize("url", ["/findings/99999999999999999999999", "/findings/2147483648",
                                 "/findings/" + "9" * 5000, "/findings/-1", "/findings/0x10"])
def test_an_id_no_column_can_hold_is_a_404(as_user, url: str) -> None:  # type: ignore[no-untyped-def]
    assert as_user("rita").get(url).status_code == 404


@pytest.mark.parametrize("query", [{"min_amount": "1e309"}, {"max_amount": "-1e309"}, {"min_amount": "NaN"},
                                   {"min_amount": "inf"}, {"min_age": "999999"}, {"max_age": "36501"},
                                   {"payer": "A\x00B"}, {"category": "\x00"}])
def test_a_bad_filter_is_a_400(as_user, query: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert as_user("rita").get("/findings", query_string=query).status_code == 400


def test_a_nul_in_the_username_is_a_400(app: Flask) -> None:
    client = app.test_client()
    resp = client.post("/login", data={"username": "ab\x00e", "password": PASSWORD, "csrf_token": login_token(client)})
    assert resp.status_code == 400


@pytest.mark.parametrize("password, why", [
    ("aaaaaaaaaa", "at least 12"), ("aaaaaaaaaaaaaaaa", "too easy to guess"), ("password1234", "too easy to guess"),
    ("qwertyuiop123", "too easy to guess"), ("Password123!", "too easy to guess"),
    ("iloveyou2025", "too easy to guess"), ("newbie-newbie-1", "too easy to guess"), ("x" * 257, "at most 256"),
])
def test_the_password_policy_refuses_short_common_and_guessable_passwords(password: str, why: str) -> None:
    from edi_engine.errors import UsageError
    from edi_engine.web.auth import check_password
    with pytest.raises(UsageError, match=why):
        check_password(password, "newbie")


def test_the_password_policy_accepts_a_passphrase_and_is_configurable() -> None:
    from edi_engine.errors import UsageError
    from edi_engine.web.auth import PasswordPolicy, check_password
    check_password("plum kettle organ 88", "newbie")
    check_password("Tr0ub4dor&3xyz", "newbie")
    with pytest.raises(UsageError, match="at least 24"):
        check_password("plum kettle organ 88", "newbie", PasswordPolicy(min_length=24))


def test_adding_a_user_on_the_web_enforces_the_policy(as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import page_token
    ada = as_user("ada")
    resp = ada.post("/users", data={"username": "newbie", "password": "aaaaaaaaaa", "role": "reviewer",
                                    "csrf_token": page_token(ada)})
    assert resp.status_code == 400 and "at least 12 characters" in resp.get_data(as_text=True)
    resp = ada.post("/users", data={"username": "newbie", "password": "password12345", "role": "reviewer",
                                    "csrf_token": page_token(ada)})
    assert resp.status_code == 400 and "too easy to guess" in resp.get_data(as_text=True)
    assert "newbie" not in ada.get("/users").get_data(as_text=True)


def test_a_user_changes_their_own_password_under_the_policy(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import page_token, sign_in
    rita, other = as_user("rita"), as_user("rita")
    assert "Change your password" in rita.get("/account").get_data(as_text=True)
    resp = rita.post("/account/password", data={"current": "wrong", "new": "plum kettle organ 88",
                                                "csrf_token": page_token(rita, "/account")})
    assert resp.status_code == 400 and "current password is not right" in resp.get_data(as_text=True)
    resp = rita.post("/account/password", data={"current": PASSWORD, "new": "rita12345678",
                                                "csrf_token": page_token(rita, "/account")})
    assert resp.status_code == 400 and "too easy to guess" in resp.get_data(as_text=True)
    resp = rita.post("/account/password", data={"current": PASSWORD, "new": "plum kettle organ 88",
                                                "csrf_token": page_token(rita, "/account")})
    assert resp.status_code == 303
    assert "your other sessions were signed out" in rita.get(resp.headers["Location"]).get_data(as_text=True)
    assert other.get("/findings").status_code == 302  # the other browser is signed out
    assert sign_in(app.test_client(), "rita") == 401
    assert sign_in(app.test_client(), "rita", "plum kettle organ 88") == 303
