"""In front of the app: every HTTP request the dashboard refuses gets a short page that explains.

Without this, a request the app refuses (a name the server does not serve, proxy headers without
sign-in, a bypass of the configured proxy) got Streamlit's page skeleton with HTTP 200, whose
websocket was then refused: a grey page, forever. Here the same checks as `ui.access.gate` run on
the HTTP request itself, before Streamlit answers it, and a refusal is a 403 with a page that
names no figure, file or path, and a row in the audit log (at most one a minute per reason and
client, so a scanner cannot flood the log).

The trusted proxy (deploy/): with `SHOP_TRUSTED_PROXY_KEY` set, the app serves only requests that
carry that key in `X-Shop-Proxy-Key`, which the proxy (Caddy) adds to every request it forwards;
a request straight to the app's port, whatever headers it forges, is refused, and the client
address in the audit log is the one that proxy forwarded. A key rather than an address: the proxy
and anyone with a shell on the server both reach the app from 127.0.0.1.

`python -m ui.server [streamlit options]` is `streamlit run dashboard.py` with all this in front
(the systemd unit and the tests start it so); `make run` installs it too (`ui.access.main`).
"""
from __future__ import annotations

import hmac
import html
import os
import sys
import threading
import time

from streamlit import config

KEY_HEADER = "x-shop-proxy-key"
KEY_MIN_CHARS = 32
SERVING_SECTION = "Serving it to colleagues and the board"
TITLE = "This dashboard is not served here"
_LOG_EVERY_S = 60.0


def trusted_proxy_key() -> str:
    """The key the trusted proxy sends (SHOP_TRUSTED_PROXY_KEY), or "" when there is no proxy."""
    return (os.environ.get("SHOP_TRUSTED_PROXY_KEY") or "").strip()


def from_trusted_proxy(headers: dict[str, str]) -> bool:
    key = trusted_proxy_key()
    given = headers.get(KEY_HEADER) or ""
    return bool(key) and hmac.compare_digest(given.strip().encode(), key.encode())


def proxied_client(headers: dict[str, str]) -> str | None:
    """The client address the trusted proxy forwarded (the last X-Forwarded-For entry, the one it
    added itself), or None when the request did not come through it."""
    if not from_trusted_proxy(headers):
        return None
    hops = [h.strip() for h in (headers.get("x-forwarded-for") or "").split(",") if h.strip()]
    return hops[-1][:64] if hops else None


def refusal(headers: dict[str, str], websocket: bool = False) -> str | None:
    """Why this request is refused before it reaches the app, or None. `headers` lower-cased.

    A page load carries no Origin, so only a websocket's is checked (by the app's gate, which
    shows its own page there); a websocket is refused here only when it bypassed the proxy.
    """
    from streamlit.web.server.starlette.starlette_websocket import is_host_allowed
    from ui import access
    if trusted_proxy_key() and not from_trusted_proxy(headers):
        return "it did not come through this server's proxy"
    if websocket:
        return None
    if not is_host_allowed(headers.get("host")):
        return "it was addressed to a name this server does not serve"
    if access.auth_configured():
        return None
    if not access.on_loopback():
        return "it is served on a network address"
    host = (headers.get("host") or "").strip().lower()
    return access.request_problem({**headers, "origin": f"http://{host}"}, int(config.get_option("server.port")))


def refused_page(why: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{TITLE}</title>
<style>body{{font-family:sans-serif;color:#111;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}}
h1{{font-size:1.6rem}} .why{{background:#fdecea;border-left:4px solid #9e1c2a;padding:.6rem 1rem}}</style>
</head><body><main>
<h1>{TITLE}</h1>
<p>The SHOP program dashboard serves figures only to a browser on the computer it runs on, unless
sign-in is set up for it. It shows no data here.</p>
<p class="why">This request was refused: {html.escape(why)}.</p>
<p>To open it on that computer, use the link that <code>make run</code> prints there. To serve it to
colleagues and the board, read the section <em>{SERVING_SECTION}</em> in the dashboard's docs/serving.md.</p>
</main></body></html>
"""


def _client(scope: dict, headers: dict[str, str]) -> str:
    """The address for the audit row: the proxy's forwarded one when trusted, else the socket's."""
    real = proxied_client(headers)
    if real:
        return real
    from ui import access  # what a client says about itself is never copied (issue 27)
    peer = (scope.get("client") or ("", 0))[0] or ""
    return access.audit_address(peer, headers, access.trusted_proxies())


# Refusals that sign-in does not lift; the others are logged as the app's gate logs them.
_PROXY_REASONS = {"it did not come through this server's proxy", "it was addressed to a name this server does not serve"}
_logged: dict[tuple[str, str], float] = {}
_logged_lock = threading.Lock()


def _log_refusal(why: str, client: str, page: str) -> None:
    from metrics import audit
    now = time.monotonic()
    with _logged_lock:
        if now - _logged.get((why, client), -_LOG_EVERY_S) < _LOG_EVERY_S:
            return
        _logged[(why, client)] = now
        if len(_logged) > 10000:  # a scanner from many addresses: forget the oldest half
            for k in sorted(_logged, key=_logged.get)[:5000]:
                del _logged[k]
    detail = f"{'without sign-in' if why not in _PROXY_REASONS else 'before the app'}: {why}"
    try:
        audit.record("(anonymous)", None, "refused", page, detail, client=client or None)
    except audit.AuditError:
        pass  # refused anyway


def _pages() -> set[str]:
    from ui.access import ROOT
    return {p.stem for p in (ROOT / "pages").glob("*.py")}


class RefuseFirst:
    """ASGI middleware: a refused request gets the page above (HTTP 403) or a closed websocket."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path = scope.get("path") or "/"
        if kind == "http" and path.rstrip("/").endswith("/_stcore/metrics"):
            return await _send(send, 404, b"", "text/plain")  # sessions and cache sizes: to no one
        if kind == "http" and path.rstrip("/").endswith("/_stcore/health"):
            return await self.app(scope, receive, send)  # says only "ok": the proxy and make run poll it
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        why = refusal(headers, websocket=kind == "websocket")
        if why is None:
            return await self.app(scope, receive, send)
        import anyio
        page = path.strip("/").split("/")[0]
        page = page if kind == "http" and page in _pages() else ""  # never a visitor's own text in the log
        await anyio.to_thread.run_sync(_log_refusal, why, _client(scope, headers), page)
        if kind == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await _send(send, 403, refused_page(why).encode(), "text/html; charset=utf-8")


async def _send(send, status: int, body: bytes, ctype: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})


# What the pages import, beyond Streamlit (warm_imports): imported as the server starts, before
# its first visitor.
PAGE_MODULES = ("pandas", "plotly.graph_objects", "plotly.io", "highspy", "ui.access", "ui.frame", "ui.widgets",
                "ui.downloads", "metrics.charts", "metrics.release", "metrics.review", "metrics.targets",
                "metrics.export", "metrics.report", "metrics.frozen", "metrics.audit", "metrics.quality")


def warm_imports(timeout_s: float = 120.0, wait_for_runtime: bool = True) -> None:
    """Import PAGE_MODULES once the server's runtime is up (their caches belong to it), then move
    everything alive (the modules of Streamlit, pandas, plotly and this program: about 120,000
    objects) out of the cyclic garbage collector's reach (gc.freeze). Streamlit collects garbage
    after every run of a page (runner.postScriptGC), and a full collection walked all of them each
    time: 60-180 ms of every click, holding the interpreter while the page's last messages waited
    to be sent. Collections still run, over what pages and caches make; memory a frozen object
    holds is still freed when its last reference goes. A module that fails to import here fails
    again, with its message, on the page that needs it."""
    import gc
    import importlib

    from streamlit import runtime
    deadline = time.monotonic() + timeout_s
    while wait_for_runtime and not runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
    for name in PAGE_MODULES:
        try:
            importlib.import_module(name)
        except Exception:   # noqa: BLE001 (said by the page that imports it)
            return
    gc.collect()   # what the imports left as garbage is freed, not frozen
    gc.freeze()


def install() -> None:
    """Put RefuseFirst in front of the server this process is about to start (Streamlit 1.67 has no
    option for middleware under `streamlit run`), and import what the pages need as it starts."""
    from starlette.middleware import Middleware
    from streamlit.web.server.starlette import starlette_app
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so anyone with a shell here could
    # write any address into the audit log; the proxy is proven by its key instead (proxied_client).
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    # dashboard.py names the pages with st.navigation. Until a run has called it, Streamlit follows
    # its older pages/ convention: the first visit of the server's life straight to /outreach runs
    # pages/outreach.py alone, which then runs again through dashboard.py (frame.context), and the
    # browser sees a finished, empty run in between. Said at once here, every visit runs once.
    from streamlit.runtime.pages_manager import PagesManager
    PagesManager.uses_pages_directory = False
    made = starlette_app.create_streamlit_middleware
    if getattr(made, "_refuse_first", False):
        return

    def with_refusals():
        return [Middleware(RefuseFirst), *made()]

    with_refusals._refuse_first = True
    starlette_app.create_streamlit_middleware = with_refusals
    threading.Thread(target=warm_imports, name="shop-warm-imports", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """`python -m ui.server [streamlit options]`: `streamlit run dashboard.py` with the refusals in front."""
    from streamlit.web import cli
    from ui.access import ROOT
    argv = list(sys.argv[1:] if argv is None else argv)
    key = trusted_proxy_key()
    if key and len(key) < KEY_MIN_CHARS:
        print(f"SHOP_TRUSTED_PROXY_KEY is shorter than {KEY_MIN_CHARS} characters: make one with "
              "python3 -c 'import secrets; print(secrets.token_hex(32))'", file=sys.stderr)
        return 2
    install()
    return cli.main(["run", str(ROOT / "dashboard.py"), "--server.headless", "true", *_from_env(argv), *argv],
                    standalone_mode=False) or 0


def _from_env(argv: list[str]) -> list[str]:
    """Options from the proxy's settings (/etc/shop/proxy.env), unless given on the command line:
    the app's port (SHOP_APP_PORT) and, as its only allowed host, the site's name (SHOP_SITE)."""
    from urllib.parse import urlsplit
    out = []
    port = (os.environ.get("SHOP_APP_PORT") or "").strip()
    if port and not any(a.startswith("--server.port") for a in argv):
        out += ["--server.port", port]
    site = (os.environ.get("SHOP_SITE") or "").strip()
    if site and not any(a.startswith("--server.allowedHosts") for a in argv):
        name = urlsplit(site if "//" in site else "//" + site).hostname
        if name:
            out += ["--server.allowedHosts", name]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
