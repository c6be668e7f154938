"""Every download the dashboard offers, through one function, so that none is public.

Streamlit serves a download at `/media/<id>` to anyone who asks, with no cookie, while the
session that made it lives; the id is a hash of the file's bytes, its type and its name. So a
file whose content can be guessed (an exact CSV of a table whose suppressed version is on
screen) could be fetched by anyone who lists the candidates. Here:

- the file is made only when the viewer clicks (Streamlit's deferred download: the page holds
  no file, only a random placeholder for this session);
- the name it is served under carries a random part drawn for this session (a name is hashed
  whole, whatever the file's size), so its id cannot be reconstructed from the content;
- the click is written to the audit log before the file is made, and if that write fails the
  file is not made (the browser reports the download failed).
"""
from __future__ import annotations

import secrets
from pathlib import PurePosixPath
from typing import Callable

import streamlit as st

from metrics import audit


def session_part() -> str:
    """This session's random part of every download's name (64 bits, drawn once)."""
    ss = st.session_state
    if "_download_nonce" not in ss:
        ss["_download_nonce"] = secrets.token_hex(8)
    return ss["_download_nonce"]


def served_name(file_name: str) -> str:
    """`name.ext` as served to this session: `name_<random>.ext`."""
    p = PurePosixPath(file_name)
    return f"{p.stem}_{session_part()}{''.join(p.suffixes)}"


def offer(label: str, data: bytes | str | Callable[[], bytes | str], file_name: str, mime: str, *,
          viewer, key: str | None = None, page: str = "", detail: str = "", **button_args) -> None:
    """A download button whose file only this session's viewer can fetch, logged when clicked.

    `data` may be the bytes or a function that makes them (called on the click, in another
    thread: it must not use st.*). `viewer` (ui.access.Viewer), `page` and `detail` go to the
    audit row with the viewer's address; never put a client's data in them.
    """
    name = served_name(file_name)
    user, role, client = viewer.email, viewer.role, getattr(viewer, "client", "") or None
    what = f"{name}: {detail}" if detail else name

    def make() -> bytes | str:
        # Fails closed: no audit row, no file (AuditError reaches Streamlit, which refuses the download).
        audit.record(user, role, "download", page, what, client=client)
        return data() if callable(data) else data

    st.download_button(label, make, file_name=name, mime=mime, key=key, on_click="ignore", **button_args)
