"""Who may see what: sign-in (st.login, OpenID Connect), roles, and the safe default.

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
  as Jupyter does; without it a local visitor gets the external view.
"""
from __future__ import annotations

import hmac
import os
import secrets
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
              "x-envoy-external-address", "x-host", "x-proxyuser-ip"}
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
    proxied = sorted(h for h in headers if h in FORWARDING or h.startswith("x-forwarded-"))
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


def client_address(headers: dict[str, str] | None = None) -> str:
    """The address the websocket came from, and what a proxy says it forwarded, for the audit log."""
    h = _headers() if headers is None else headers
    from ui import server
    real = server.proxied_client(h)  # through the configured proxy: the client it forwarded, only
    if real:
        return real
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    if ip is None and h:
        ip = "127.0.0.1"  # Streamlit reports no address for a loopback connection
    fwd = h.get("x-forwarded-for") or h.get("x-real-ip") or h.get("forwarded")
    out = str(ip or "")
    if fwd:
        out += f" (forwarded for {fwd.strip()[:120]})"
    return out


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


def _local_token_ok() -> bool:
    """True once this session has shown the install token; the token then leaves the URL."""
    ss = st.session_state
    given = st.query_params.get("token")
    if given is not None:
        del st.query_params["token"]  # out of the address bar, history and bookmarks at once
        try:
            expected = token_path().read_text().strip()
        except OSError:
            expected = ""
        if expected and hmac.compare_digest(str(given).encode(), expected.encode()):
            ss["_local_token_ok"] = True
    return bool(ss.get("_local_token_ok"))


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
    _hardened = True


def close_server(stats) -> None:
    """Empty `stats` (the runtime's StatsManager) and make a client's clear-cache message local."""
    from streamlit.runtime.app_session import AppSession
    stats.registered_families = lambda: []
    stats.get_stats = lambda family_names=None: {}

    def _clear_own_state_only(self) -> None:
        self._session_state.clear()

    AppSession._handle_clear_cache_request = _clear_own_state_only


# ------------------------------------------------------------------ the gate

def _stop_page(title: str, lines: list[str], button: str | None = None, action=None) -> None:
    st.title(title)
    for line in lines:
        st.write(line)
    if button and st.button(button, type="primary"):
        action()
    st.stop()


def _signed_in_viewer(page: str) -> Viewer:
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
    try:
        if viewer.identity:
            audit.record_sign_out(viewer.identity)
        record(viewer, "sign_out")
    except audit.AuditError:
        pass  # the browser is still signed out; the session limit bounds any copy of the cookie
    st.logout()


def _explain_sign_in(page: str, why: str, client: str) -> None:
    st.title("Sign-in is not configured")
    st.error("This dashboard shows data without sign-in only to a browser on the computer it runs on, "
             f"at its own address; this request was not one ({why}). It shows no data.")
    st.markdown("To serve it to other people, configure sign-in in `.streamlit/secrets.toml` and roles in "
                "`.streamlit/roles.toml` (see *Deploying with sign-in* in the README), or run it on this "
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


def main(argv: list[str] | None = None) -> int:
    """`make run`: serve the dashboard on loopback; print (and open) the link with the token."""
    import argparse
    import sys
    import threading
    import urllib.request
    import webbrowser
    ap = argparse.ArgumentParser(prog="python -m ui.access", description=main.__doc__)
    ap.add_argument("--port", type=int, default=8501, help="the port to serve on (127.0.0.1)")
    args = ap.parse_args(argv)
    url = f"http://127.0.0.1:{args.port}/?token={install_token()}"

    def announce() -> None:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        else:
            return
        print(f"\n  The dashboard, with the staff view for this computer (keep this link to yourself):\n  {url}\n",
              flush=True)
        if sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
            webbrowser.open(url)

    # Served from this process, so /_stcore/metrics is closed from the start, not from the first run.
    from starlette.responses import Response
    from starlette.routing import Route
    from streamlit.web import cli
    from streamlit.web.server.starlette import starlette_app

    def no_metrics(runtime, base_url):
        path = "/" + "/".join(x for x in [(base_url or "").strip("/"), "_stcore/metrics"] if x)
        return [Route(path, lambda request: Response(status_code=404), methods=["GET", "OPTIONS"])]

    starlette_app.create_metrics_routes = no_metrics
    from ui import server
    server.install()  # a refused request gets a page that explains, not a page that never loads
    threading.Thread(target=announce, daemon=True).start()
    return cli.main(["run", str(ROOT / "dashboard.py"), "--server.address", "127.0.0.1",
                     "--server.port", str(args.port), "--server.headless", "true"], standalone_mode=False) or 0


if __name__ == "__main__":
    raise SystemExit(main())
