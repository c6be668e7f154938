"""Who may see what: sign-in (st.login, OpenID Connect), roles, and the safe default.

- Sign-in configured ([auth] in .streamlit/secrets.toml): everyone signs in; the roles file
  decides staff (exact view, exact exports, notes, freezing) or board (external view only);
  anyone else gets a polite "no access" page.
- No sign-in configured: served on loopback only (make run), for the one person at the
  laptop, as staff. Started on any other address, the app shows no data, only how to
  configure sign-in. No setting turns that off.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from metrics import audit

STAFF, BOARD = "staff", "board"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Viewer:
    email: str
    role: str          # staff | board

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF


def roles_file() -> Path:
    return Path(os.environ.get("SHOP_ROLES_FILE") or ROOT / ".streamlit" / "roles.toml")


def role_for(email: str | None, path: Path | None = None) -> str | None:
    """staff, board or None, from the roles file (by email or email domain; staff wins)."""
    if not email or "@" not in email:
        return None
    p = path or roles_file()
    try:
        cfg = tomllib.loads(p.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    email = email.strip().lower()
    domain = email.rsplit("@", 1)[1]
    for role in (STAFF, BOARD):
        sec = cfg.get(role, {})
        if email in {e.strip().lower() for e in sec.get("emails", [])}:
            return role
        if domain in {d.strip().lower().lstrip("@") for d in sec.get("domains", [])}:
            return role
    return None


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


def gate(page: str = "") -> Viewer:
    """The viewer of this run, or a sign-in / no-access / set-up page and a stop."""
    if auth_configured():
        user = st.user
        if not user.is_logged_in:
            st.title("SHOP program dashboard")
            st.write("Please sign in with your organisation account to see the dashboard.")
            if st.button("Sign in", type="primary"):
                st.login()
            st.stop()
        email = str(user.get("email") or "")
        if user.get("email_verified") is False:
            email = ""
        role = role_for(email)
        if role is None:
            if not st.session_state.get("_refusal_logged"):
                audit.record(email or "(no email)", None, "refused", page, "signed in without a role")
                st.session_state["_refusal_logged"] = True
            st.title("No access")
            st.write(f"You are signed in as **{email or 'an account without an email'}**, which has no access "
                     "to the SHOP dashboard. If you should have access, ask the program manager to add you.")
            if st.button("Sign out"):
                st.logout()
            st.stop()
        viewer = Viewer(email, role)
        if not st.session_state.get("_signed_in_logged"):
            audit.record(email, role, "sign_in")
            st.session_state["_signed_in_logged"] = True
        return viewer
    if not on_loopback():
        st.title("Sign-in is not configured")
        st.error("This dashboard is being served on a network address without sign-in, so it shows no data.")
        st.markdown("To serve it to other people, configure sign-in in `.streamlit/secrets.toml` and roles in "
                    "`.streamlit/roles.toml` (see *Deploying with sign-in* in the README), or run it on this "
                    "computer only with `make run` (127.0.0.1).")
        if not st.session_state.get("_refusal_logged"):
            audit.record("(anonymous)", None, "refused", page, "non-loopback address without sign-in")
            st.session_state["_refusal_logged"] = True
        st.stop()
    return Viewer("local user", STAFF)
