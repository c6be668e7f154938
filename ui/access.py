"""Who may see what: sign-in (st.login, OpenID Connect), roles, and the safe default.

One room (about 800 lines) because every way in (sign-in, the local token, the request checks,
the server hooks that refuse a handshake or a resumed session) answers the same question, who is
this and what may they see, and a seam between two files would be a way past the gate.

- Sign-in configured ([auth] in .streamlit/secrets.toml): everyone signs in; the roles file
  decides staff (exact view, exact exports, notes, freezing) or board (external view only);
  anyone else gets a polite "no access" page. The email must be verified (unless the roles file
  says the provider never sends `email_verified`), a sign-in older than `max_session_hours`
  signs in again, and a sign-in cookie issued before a sign-out is refused (meta.signouts).
- No sign-in configured: for the person at this computer only, proven on every request, not
  assumed from the listening address: the request must be addressed to a loopback name with
  the app's port, come from the app's own page (websocket Origin) and carry no proxy header.
  Anything else gets the page that explains sign-in, with no figure. Even then the staff view
  needs the per-install token (`<db>.token`, 0600) that `make run` puts in the link it prints,
  as Jupyter does; without it a local visitor gets the external view. `make run` draws a new
  token each time, prints the link only once its own server answers at the port, and opens
  the browser through an owner-only file (never the link on a command line).
- On a shared computer, sign-in is refused while secrets.toml or the roles file are readable by
  other accounts or the cookie secret is a placeholder; the audit records the connection's own
  address (a forwarding header only from SHOP_TRUSTED_PROXIES), the handshake's refusals and
  every sign-out through /auth/logout.
"""
from __future__ import annotations

import hmac
import os
import secrets
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st

from metrics import audit

STAFF, BOARD = "staff", "board"
ROOT = Path(__file__).resolve().parents[1]
# Headers a reverse proxy or CDN adds: their presence means the request did not come from a
# browser on this computer, whatever its Host says.
FORWARDING = {"forwarded", "via", "x-real-ip", "x-client-ip", "client-ip", "true-client-ip", "cf-connecting-ip",
              "fastly-client-ip", "x-cluster-client-ip", "x-original-forwarded-for", "x-original-host",
              "x-envoy-external-address", "x-host", "x-proxyuser-ip", "x-original-url", "x-rewrite-url",
              "x-forwarded", "forwarded-for", "x-originating-ip", "x-remote-addr", "x-remote-ip",
              "tailscale-user-login", "tailscale-user-name", "x-auth-request-user", "x-auth-request-email",
              "remote-user", "x-remote-user", "x-webauth-user", "cf-access-authenticated-user-email",
              "x-ms-client-principal-name", "x-goog-authenticated-user-email"}
SESSION_HOURS = 12.0


@dataclass(frozen=True)
class Viewer:
    email: str
    role: str          # staff | board
    client: str = ""   # the address the request came from, for the audit log
    identity: str = ""  # issuer|subject of the identity token (sign-in only)

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF


def roles_file() -> Path:
    return Path(os.environ.get("SHOP_ROLES_FILE") or ROOT / ".streamlit" / "roles.toml")


def _roles(path: Path | None = None) -> dict:
    try:
        return tomllib.loads((path or roles_file()).read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def role_for(email: str | None, path: Path | None = None) -> str | None:
    """staff, board or None, from the roles file (by email or email domain; staff wins)."""
    if not email or "@" not in email:
        return None
    cfg = _roles(path)
    email = email.strip().lower()
    domain = email.rsplit("@", 1)[1]
    for role in (STAFF, BOARD):
        sec = cfg.get(role, {})
        if email in {e.strip().lower() for e in sec.get("emails", [])}:
            return role
        if domain in {d.strip().lower().lstrip("@") for d in sec.get("domains", [])}:
            return role
    return None


def sign_in_policy(path: Path | None = None) -> dict:
    """The roles file's [sign_in] section: session length and whether email_verified is sent."""
    sec = _roles(path).get("sign_in", {})
    try:
        hours = float(sec.get("max_session_hours", SESSION_HOURS))
    except (TypeError, ValueError):
        hours = SESSION_HOURS
    return {"max_session_hours": hours if hours > 0 else SESSION_HOURS,
            "provider_sends_email_verified": sec.get("provider_sends_email_verified", True) is not False}


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def on_loopback() -> bool:
    """True only when the server listens on a loopback address (unset means every interface)."""
    import ipaddress
    addr = str(st.get_option("server.address") or "").strip().strip("[]")
    if addr == "localhost":
        return True
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------ the secrets' own protection

MIN_COOKIE_SECRET = 32  # characters; `secrets.token_hex(32)` gives 64


def _example_cookie_secret() -> str:
    """The placeholder in the committed example, read from it rather than copied here."""
    try:
        return str(tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text())
                   .get("auth", {}).get("cookie_secret", ""))
    except (OSError, tomllib.TOMLDecodeError):
        return ""


def secrets_problem(files: list[Path], roles: Path, cookie_secret: object) -> str | None:
    """Why sign-in must not be trusted as configured, or None.

    The cookie secret signs every sign-in cookie: whoever reads it can mint a staff sign-in
    under a real staff email, so a secrets file others can read, a short secret or the
    example's placeholder is refused; so is a roles file others can read or change (it says
    who is staff).
    """
    for f in [*files, roles]:
        try:
            mode = f.stat().st_mode
        except OSError:
            continue
        if os.name != "nt" and mode & 0o077:
            return (f"{f.name} can be read or changed by other accounts on this computer (mode "
                    f"{mode & 0o777:04o}): make it owner-only with `chmod 600 {f.name}`")
    secret = str(cookie_secret or "")
    if secret.strip() == _example_cookie_secret().strip() or any(c.isspace() for c in secret):
        return "the cookie_secret in secrets.toml is the example's placeholder: set a random one"
    if len(secret) < MIN_COOKIE_SECRET:
        return (f"the cookie_secret in secrets.toml is shorter than {MIN_COOKIE_SECRET} characters: set a random "
                "one (`python -c \"import secrets; print(secrets.token_hex(32))\"`)")
    return None


def _secrets_files() -> list[Path]:
    files = st.get_option("secrets.files") or []
    return [Path(f).expanduser() for f in ([files] if isinstance(files, str) else files)]


def _check_secrets(page: str) -> None:
    """Stop with a page saying what to fix when the secrets or the roles file are not safe to use."""
    try:
        secret = st.secrets["auth"].get("cookie_secret")
    except Exception:
        secret = None
    why = secrets_problem(_secrets_files(), roles_file(), secret)
    if why:
        _record_once("_refusal_logged", "(anonymous)", None, "refused", page, f"sign-in set up unsafely: {why}",
                     client=client_address())
        _stop_page("Sign-in is set up unsafely", [f"No one can sign in until this is fixed: {why}."])


# ------------------------------------------------------------------ the request

def _headers() -> dict[str, str]:
    try:
        return {k.lower(): v for k, v in st.context.headers.to_dict().items()}
    except Exception:
        return {}


def _in_process() -> bool:
    """No server at all: AppTest (which mocks the runtime) or bare `python dashboard.py`.

    There is no network visitor then, only the person running the script in this process.
    """
    from unittest import mock
    from streamlit import runtime
    return not runtime.exists() or isinstance(runtime.get_instance(), mock.Mock)


def _loopback_name(name: str | None) -> bool:
    """localhost or a loopback address; never a name a DNS server answers for."""
    import ipaddress
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name or "").is_loopback
    except ValueError:
        return False


def request_problem(headers: dict[str, str], port: int) -> str | None:
    """Why a request without sign-in is not from a browser on this computer, or None.

    `headers` are the websocket handshake's, lower-cased. The Host must be a loopback name
    with the app's port (not a name an attacker's DNS points at 127.0.0.1), the Origin the
    app's own (not another local web page), and no proxy header may be present.
    """
    proxied = sorted(h for h in headers if h in FORWARDING or h.startswith(("x-forwarded-", "x-original-")))
    if proxied:
        return f"it came through a proxy ({', '.join(proxied)})"
    host = (headers.get("host") or "").strip().lower()
    try:
        parts = urlsplit("//" + host)
        name, hport = parts.hostname, parts.port or 80
    except ValueError:
        name, hport = None, None
    if not host or not _loopback_name(name) or hport != port:
        return "it was addressed to another name or port than this computer's own"
    origin = (headers.get("origin") or "").strip().lower().rstrip("/")
    if origin != f"http://{host}":
        return "it came from another web page"
    return None


def trusted_proxies() -> set[str]:
    """The reverse proxy (or proxies) whose forwarding header the audit believes: SHOP_TRUSTED_PROXIES.

    Comma-separated addresses, e.g. `127.0.0.1` for a Caddy on the same computer; empty (the
    default) trusts no one, so what a client says about itself never becomes its address.
    """
    import ipaddress
    out = set()
    for part in os.environ.get("SHOP_TRUSTED_PROXIES", "").split(","):
        try:
            out.add(str(ipaddress.ip_address(part.strip())))
        except ValueError:
            pass
    return out


def _forwarded_for(headers: dict[str, str]) -> list[str]:
    """The X-Forwarded-For chain, left to right, as the client or proxies wrote it (unchecked)."""
    return [x.strip() for x in (headers.get("x-forwarded-for") or "").split(",") if x.strip()]


def audit_address(socket_ip: str | None, headers: dict[str, str], trusted: set[str]) -> str:
    """The address the audit log records: the connection's own, plus what a trusted proxy forwarded.

    `socket_ip` is the peer of the connection. A forwarding header counts only when that peer
    is a configured proxy, and then only its last hop (the one the proxy itself added), only if
    it is an address: anything else a client sent is noted as ignored, never copied (a value
    such as `=1+N("` would otherwise reach the CSV download as a formula).
    """
    import ipaddress
    peer = str(socket_ip or "")
    try:
        peer = str(ipaddress.ip_address(peer))
    except ValueError:
        peer = "(unknown)" if peer else ""
    chain = _forwarded_for(headers)
    if not (chain or any(h in headers for h in ("x-real-ip", "forwarded"))):
        return peer
    if peer in trusted and chain:
        try:
            return f"{peer} (forwarded for {ipaddress.ip_address(chain[-1])})"
        except ValueError:
            return f"{peer} (forwarded for an address that is not one)"
    return f"{peer} (a forwarding header from an untrusted client, ignored)"


def client_address(headers: dict[str, str] | None = None) -> str:
    """The address the websocket came from (a trusted proxy's forwarding included), for the audit log."""
    h = _headers() if headers is None else headers
    from ui import server
    real = server.proxied_client(h)  # through the configured proxy: the client it forwarded, only
    if real:
        return real
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    chain = _forwarded_for(h)
    if ip is None or ip in chain:
        # Streamlit reports no address for loopback; under `streamlit run`, uvicorn replaces a
        # loopback peer's address with the X-Forwarded-For it sent (its default trust), so an
        # address that is one of the chain's came from loopback. `make run` turns that off.
        ip = "127.0.0.1" if h or ip else None
    return audit_address(ip, h, trusted_proxies())


def record(viewer: Viewer, event: str, page: str = "", detail: str = "") -> None:
    """An audit row for this viewer with the client address; raises audit.AuditError."""
    audit.record(viewer.email, viewer.role, event, page, detail, client=viewer.client or None)


def _record_once(flag: str, *args, **kw) -> None:
    """A refusal or sign-in row once per session (a refusal page is refused anyway if this fails)."""
    if st.session_state.get(flag):
        return
    try:
        audit.record(*args, **kw)
        st.session_state[flag] = True
    except audit.AuditError:
        pass


# ------------------------------------------------------------------ the per-install token

def token_path(database: Path | None = None) -> Path:
    from metrics import db
    d = Path(database or db.db_path())
    return d.with_name(d.name + ".token")


def install_token(database: Path | None = None) -> str:
    """The per-install secret for the staff view on loopback, created 0600 on first use."""
    p = token_path(database)
    try:
        return p.read_text().strip()
    except FileNotFoundError:
        pass
    p.parent.mkdir(parents=True, exist_ok=True)
    tok = secrets.token_urlsafe(32)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return p.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(tok + "\n")
    return tok


def rotate_token(database: Path | None = None) -> str:
    """A new per-install token, 0600, in place of the old: every link and staff session made with
    the old one stops working (a session checks the token on each run)."""
    p = token_path(database)
    p.parent.mkdir(parents=True, exist_ok=True)
    tok = secrets.token_urlsafe(32)
    tmp = p.with_name(f"{p.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(tok + "\n")
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tok


def _token_digest(token: str) -> str:
    import hashlib
    return hashlib.sha256(token.encode()).hexdigest()


def _local_token_ok() -> bool:
    """True while this session has shown the current install token; the token then leaves the URL.

    The session keeps a digest of the token it showed, compared with the file on every run, so
    a rotated token (`make run`, `python -m ui.access --rotate-token`) ends the staff view of
    every session opened with the old one.
    """
    ss = st.session_state
    try:
        expected = token_path().read_text().strip()
    except OSError:
        expected = ""
    given = st.query_params.get("token")
    if given is not None:
        del st.query_params["token"]  # out of the address bar and bookmarks at once
        if expected and hmac.compare_digest(str(given).encode(), expected.encode()):
            ss["_local_token_ok"] = _token_digest(expected)
    held = ss.get("_local_token_ok")
    return bool(expected and isinstance(held, str) and hmac.compare_digest(held, _token_digest(expected)))


# ------------------------------------------------------------------ hardening the server

_hardened = False


def harden_server() -> None:
    """Close what Streamlit serves to anyone: /_stcore/metrics and the client's clear-cache message.

    There is no option for either in Streamlit 1.67, so this is done once per process, on the
    first run. The metrics endpoint then lists no family (it showed sessions and cache sizes to
    anyone); a clear-cache message from a browser clears only that browser's own session state,
    never the figure cache every other viewer shares.
    """
    global _hardened
    if _hardened or _in_process():
        return
    from streamlit import runtime
    close_server(runtime.get_instance().stats_mgr)
    no_session_resume(runtime.get_instance())
    audit_handshake_refusals()
    record_logouts()
    private_folders()
    _hardened = True


def close_server(stats) -> None:
    """Empty `stats` (the runtime's StatsManager) and make a client's clear-cache message local."""
    from streamlit.runtime.app_session import AppSession
    stats.registered_families = lambda: []
    stats.get_stats = lambda family_names=None: {}

    def _clear_own_state_only(self) -> None:
        self._session_state.clear()

    AppSession._handle_clear_cache_request = _clear_own_state_only


def no_session_resume(rt) -> None:
    """A websocket that names an existing session id gets a new session, not that one.

    Streamlit lets a reconnecting browser resume a session by its id, with that session's
    state (the staff view, a shown token) and the user of its first handshake; anyone who
    learned the id (it is logged, and kept by the browser) would inherit them. A dropped
    connection then starts afresh: the link again for the staff view, sign-in's cookie otherwise.
    """
    if getattr(rt.connect_session, "_shop_fresh", False):
        return
    real = rt.connect_session

    def fresh(client, user_info, existing_session_id=None, session_id_override=None):
        return real(client=client, user_info=user_info, existing_session_id=None,
                    session_id_override=session_id_override)

    fresh._shop_fresh = True
    rt.connect_session = fresh


_refusals_seen: dict = {}


def audit_handshake_refusals() -> None:
    """An audit row for each websocket Streamlit refuses at its handshake (a foreign Host or Origin).

    Those never reach a page, so the gate cannot log them. At most one row a minute per
    (address, Host, Origin): a page that retries in a loop does not flood the log.
    """
    import sys
    from streamlit.web.server.starlette import starlette_websocket as ws
    if getattr(ws._is_origin_allowed, "_shop_audited", False):
        return
    real = ws._is_origin_allowed

    def checked(origin, host):
        ok = real(origin, host)
        if not ok:
            try:  # the handshake's socket, from Streamlit's endpoint that called this check
                sock = sys._getframe(1).f_locals.get("websocket")
                peer, hdrs = sock.client.host, {k.lower(): v for k, v in sock.headers.items()}
            except Exception:
                peer, hdrs = None, {}
            key = (peer, host, origin)
            now = time.monotonic()
            if now - _refusals_seen.get(key, -1e9) >= 60:
                _refusals_seen[key] = now
                try:
                    audit.record("(anonymous)", None, "refused", "", "at the connection: a Host or Origin that is "
                                 "not the dashboard's own", client=audit_address(peer, hdrs, trusted_proxies()))
                except audit.AuditError:
                    pass  # refused anyway
        return ok

    checked._shop_audited = True
    ws._is_origin_allowed = checked


def _cookie_user(request) -> dict:
    import json
    from streamlit.web.server.starlette import starlette_auth_routes as r
    try:
        raw = r._get_cookie_value_from_request(request, r.USER_COOKIE_NAME)
        user = json.loads(raw) if raw else {}
        return user if isinstance(user, dict) else {}
    except Exception:
        return {}


def record_logouts() -> None:
    """Every sign-out through Streamlit's /auth/logout (the button's and a typed address alike) is
    recorded as the button's is: a sign_out row and, for the token's issuer and subject, the time
    before which any copy of the cookie is refused."""
    from streamlit.web.server.starlette import starlette_auth_routes as r
    if getattr(r._auth_logout, "_shop_recorded", False):
        return
    real = r._auth_logout

    async def logout(request, base_url):
        user = _cookie_user(request)
        if user:
            email = str(user.get("email") or "(no email)")
            identity = f"{user.get('iss') or ''}|{user.get('sub') or user.get('email') or ''}"
            hdrs = {k.lower(): v for k, v in request.headers.items()}
            peer = request.client.host if request.client else None
            try:
                audit.record_sign_out(identity, email, role_for(email),
                                      client=audit_address(peer, hdrs, trusted_proxies()))
            except audit.AuditError as exc:  # the cookie is cleared all the same; the session limit bounds any copy
                print(f"shop: a sign-out was not recorded: {exc}", file=sys.stderr, flush=True)
        return await real(request, base_url)

    logout._shop_recorded = True
    r._auth_logout = logout


def private_folders(root: Path = ROOT) -> list[Path]:
    """`data/` and `data/inbox/` of the checkout made owner-only (a checkout leaves them 0755).

    Only folders this account owns, and only these two: a database elsewhere (SHOP_DB) sits in
    a folder the operator chose, which docs/serving.md asks them to keep owner-only.
    """
    done = []
    for d in (root / "data", root / "data" / "inbox"):
        try:
            st_ = d.stat()
            if os.name != "nt" and st_.st_uid == os.getuid() and st_.st_mode & 0o077:
                os.chmod(d, 0o700)
                done.append(d)
        except OSError:
            pass
    return done


# ------------------------------------------------------------------ the gate

def _stop_page(title: str, lines: list[str], button: str | None = None, action=None) -> None:
    st.title(title)
    for line in lines:
        st.write(line)
    if button and st.button(button, type="primary"):
        action()
    st.stop()


def _signed_in_viewer(page: str) -> Viewer:
    _check_secrets(page)
    user = st.user
    if not user.is_logged_in:
        _stop_page("SHOP program dashboard",
                   ["Please sign in with your organisation account to see the dashboard."], "Sign in", st.login)
    client = client_address()
    email = str(user.get("email") or "")
    identity = f"{user.get('iss') or ''}|{user.get('sub') or email}"
    policy = sign_in_policy()
    try:
        iat = float(user.get("iat"))
    except (TypeError, ValueError):
        iat = None
    try:
        out_at = audit.signed_out_at(identity)
    except audit.AuditError:
        _stop_page("Sign-in cannot be checked", ["The record of sign-outs could not be read, so no figures are "
                                                 "shown. Try again in a moment; if it persists, tell the "
                                                 "program manager."])
    if iat is None or (out_at is not None and iat <= out_at):
        _record_once("_refusal_logged", email or "(no email)", None, "refused", page,
                     "a sign-in from before a sign-out" if iat is not None else "an identity token without iat",
                     client=client)
        _stop_page("Signed out", ["This sign-in has ended. Please sign in again."], "Sign in", st.login)
    hours = policy["max_session_hours"]
    if time.time() - iat > hours * 3600:
        _record_once("_refusal_logged", email or "(no email)", None, "refused", page,
                     f"a sign-in older than {hours:g} hours", client=client)
        _stop_page("Please sign in again", [f"Sign-ins last {hours:g} hours; this one is older."], "Sign in",
                   st.login)
    verified = user.get("email_verified")
    if verified is True or str(verified).lower() == "true":
        pass
    elif verified is None and not policy["provider_sends_email_verified"]:
        pass  # the roles file says this provider never sends the claim (its emails are its own)
    else:
        email = ""
    role = role_for(email)
    if role is None:
        _record_once("_refusal_logged", email or str(user.get("email") or "(no email)"), None, "refused", page,
                     "signed in without a role" if email else "an email that is not verified", client=client)
        st.title("No access")
        st.write(f"You are signed in as **{email or 'an account without a verified email'}**, which has no "
                 "access to the SHOP dashboard. If you should have access, ask the program manager to add you.")
        if st.button("Sign out"):
            sign_out(Viewer(email or "(no email)", "", client, identity))
        st.stop()
    viewer = Viewer(email, role, client, identity)
    if not st.session_state.get("_signed_in_logged"):
        try:
            record(viewer, "sign_in")
        except audit.AuditError as exc:
            _stop_page("The audit log is not available", [f"No figures are shown: {exc}. Try again in a moment; "
                                                          "if it persists, tell the program manager."])
        st.session_state["_signed_in_logged"] = True
    return viewer


def sign_out(viewer: Viewer) -> None:
    """Sign out here and, server-side, every copy of this sign-in's cookie; then reload."""
    from streamlit.web.server.starlette import starlette_auth_routes as r
    if not getattr(r._auth_logout, "_shop_recorded", False):  # else /auth/logout records it, once
        try:
            audit.record_sign_out(viewer.identity, viewer.email, viewer.role, client=viewer.client or None)
        except audit.AuditError as exc:  # the browser is still signed out; the session limit bounds any copy
            print(f"shop: a sign-out was not recorded: {exc}", file=sys.stderr, flush=True)
    st.logout()


def _explain_sign_in(page: str, why: str, client: str) -> None:
    st.title("Sign-in is not configured")
    st.error("This dashboard shows data without sign-in only to a browser on the computer it runs on, "
             f"at its own address; this request was not one ({why}). It shows no data.")
    st.markdown("To serve it to other people, configure sign-in in `.streamlit/secrets.toml` and roles in "
                "`.streamlit/roles.toml` (see *Deploying with sign-in* in docs/serving.md), or run it on this "
                "computer only with `make run` and open the link it prints.")
    _record_once("_refusal_logged", "(anonymous)", None, "refused", page, f"without sign-in: {why}", client=client)
    st.stop()


def gate(page: str = "") -> Viewer:
    """The viewer of this run, or a sign-in / no-access / set-up page and a stop."""
    harden_server()
    if auth_configured():
        return _signed_in_viewer(page)
    if _in_process():
        return Viewer("local user", STAFF)
    headers = _headers()
    client = client_address(headers)
    if not on_loopback():
        _explain_sign_in(page, "it is served on a network address", client)
    why = request_problem(headers, int(st.get_option("server.port")))
    if why:
        _explain_sign_in(page, why, client)
    if _local_token_ok():
        return Viewer("local user", STAFF, client)
    with st.sidebar:
        st.caption("External view only: the staff view opens from the link that make run printed (it carries "
                   "this computer's access token).")
    return Viewer("local visitor", BOARD, client)


def open_browser(url: str) -> Path:
    """Open `url` in the browser without putting it on the browser's command line.

    Every account on the computer can read a process's arguments (`ps`) while the browser
    runs, so the browser is given a file only this account can read, which sends it on to the
    link; the file goes once the browser has had time to read it.
    """
    import html
    import tempfile
    import threading
    import webbrowser
    folder = Path(tempfile.mkdtemp(prefix="shop-link-"))  # 0700
    page = folder / "open-dashboard.html"
    fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f'<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
                 f'<meta http-equiv="refresh" content="0;url={html.escape(url, quote=True)}"><title>SHOP</title>')

    def remove() -> None:
        page.unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:
            pass
    threading.Timer(60, remove).start()
    webbrowser.open(page.as_uri())
    return page


def _hold_ipv6_loopback(port: int):
    """Listen on [::1]:port, where a `localhost` link may go, and send each request on to 127.0.0.1.

    Returns the server, None where this computer has no IPv6 loopback, or raises OSError when
    another program already listens there (it would receive whatever is typed as localhost).
    """
    import errno
    import http.server
    import socket
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{port}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        do_HEAD = do_GET

        def log_message(self, *a):
            pass  # the path may carry the token

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6
        daemon_threads = True

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            self.socket.bind(self.server_address)  # no SO_REUSEADDR: a listener there is a refusal

    try:
        srv = Server(("::1", port), Redirect, bind_and_activate=False)
        srv.server_bind()
        srv.server_activate()
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise
        return None  # no IPv6 here: nothing can listen there either
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main(argv: list[str] | None = None) -> int:
    """`make run`: serve the dashboard on loopback; print (and open) the link with the token."""
    import argparse
    import signal
    import sys
    import threading
    import urllib.request
    ap = argparse.ArgumentParser(prog="python -m ui.access", description=main.__doc__)
    ap.add_argument("--port", type=int, default=8501, help="the port to serve on (127.0.0.1)")
    ap.add_argument("--keep-token", action="store_true",
                    help="keep the install token (and links already handed out) instead of drawing a new one")
    ap.add_argument("--rotate-token", action="store_true",
                    help="draw a new install token and stop: every staff session and link made with the old "
                         "one stops working")
    args = ap.parse_args(argv)
    private_folders()
    if args.rotate_token:
        rotate_token()
        print("A new install token: the staff view now opens only from the link the next `make run` prints.")
        return 0
    try:
        v6 = _hold_ipv6_loopback(args.port)
    except OSError:
        print(f"error: another program already listens on [::1]:{args.port}, where a localhost link goes: "
              f"stop it, or start with another port (make run PORT=...)", file=sys.stderr)
        return 1
    token = install_token() if args.keep_token else rotate_token()
    url = f"http://127.0.0.1:{args.port}/?token={token}"
    # Only this process knows it: a server that answers it at the port is this one, not another
    # account's program that got the port first (which would be handed the token).
    instance = secrets.token_urlsafe(24)

    def announce() -> None:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/_shop/instance", timeout=2) as r:
                    answer = r.read().decode(errors="replace").strip()
                break
            except OSError:
                time.sleep(0.25)
        else:
            return
        if not hmac.compare_digest(answer.encode(), instance.encode()):
            print(f"\n  error: another program answers at 127.0.0.1:{args.port}: no link printed. Stop it or start "
                  f"with another port (make run PORT=...).\n", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        print(f"\n  The dashboard, with the staff view for this computer (keep this link to yourself; the next "
              f"make run draws a new one):\n  {url}\n", flush=True)
        if sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            open_browser(url)

    # Served from this process, so /_stcore/metrics is closed from the start, not from the first run.
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route
    from streamlit.web import cli
    from streamlit.web.server.starlette import starlette_app, starlette_server

    def no_metrics(runtime, base_url):
        def at(tail):
            return "/" + "/".join(x for x in [(base_url or "").strip("/"), tail] if x)
        return [Route(at("_stcore/metrics"), lambda request: Response(status_code=404), methods=["GET", "OPTIONS"]),
                Route(at("_shop/instance"), lambda request: PlainTextResponse(instance), methods=["GET"])]

    starlette_app.create_metrics_routes = no_metrics
    from ui import server
    server.install()  # a refused request gets a page that explains, not a page that never loads
    # The audit records the socket's address: uvicorn would otherwise take any loopback client's
    # X-Forwarded-For as its address (a proxy to be believed is named in SHOP_TRUSTED_PROXIES).
    uvicorn_kwargs = starlette_server._get_uvicorn_config_kwargs
    starlette_server._get_uvicorn_config_kwargs = lambda: {**uvicorn_kwargs(), "proxy_headers": False}
    audit_handshake_refusals()
    record_logouts()
    threading.Thread(target=announce, daemon=True).start()
    try:
        return cli.main(["run", str(ROOT / "dashboard.py"), "--server.address", "127.0.0.1",
                         "--server.port", str(args.port), "--server.headless", "true"], standalone_mode=False) or 0
    finally:
        if v6 is not None:
            v6.shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
