"""`make serve`: the deploy recipe on a test machine, started as a server starts it.

Caddy (deploy/Caddyfile, Debian's package) terminates TLS with its own local CA and forwards to
the app (`python -m ui.server`, as deploy/shop-dashboard.service runs it) on 127.0.0.1, with a
fresh proxy key for this run. Sign-in is the app's own (OpenID Connect): the provider in
.streamlit/secrets.toml if there is one, else the mock provider from requirements-dev.txt with
two made-up accounts (a staff member and a board member). The browser tests start it the same
way (`stack`), so they test this recipe and not a copy of it.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CADDYFILE = ROOT / "deploy" / "Caddyfile"
STAFF, BOARD = "manager@shop.test", "chair@board.test"
DEMO_ROLES = f'[staff]\nemails = ["{STAFF}"]\n\n[board]\ndomains = ["board.test"]\n'


@dataclass
class Stack:
    url: str          # what people open: https://name:port
    app_port: int     # the app on 127.0.0.1 (reached only through Caddy)
    root_ca: Path     # Caddy's local CA, to trust in a browser on a test machine
    proxy_key: str
    state: Path       # logs and Caddy's data
    db: Path
    app_pid: int

    @property
    def name(self) -> str:
        return urlsplit(self.url).hostname

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 443

    def chromium_args(self) -> list[str]:
        """Chromium flags that find the site on this machine and accept exactly Caddy's certificate:
        its key is pinned after its chain was checked against Caddy's local CA (not any certificate)."""
        return [f"--host-resolver-rules=MAP {self.name} 127.0.0.1",
                f"--ignore-certificate-errors-spki-list={leaf_spki(self.port, self.name, self.root_ca)}"]


def leaf_spki(port: int, name: str, ca: Path) -> str:
    """The base64 SHA-256 of the served certificate's key, once its chain verifies against `ca`."""
    import base64
    import hashlib
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s, ctx.wrap_socket(s, server_hostname=name) as t:
        der = t.getpeercert(binary_form=True)
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _wait(what: str, ready, procs, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} stopped (exit {p.returncode}) before {what}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"timed out waiting for {what}")


def _tls_ready(host: str, port: int, name: str, ca: Path) -> bool:
    """A TLS handshake for `name` that verifies against Caddy's local CA."""
    if not ca.exists():
        return False
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection((host, port), timeout=2) as s, ctx.wrap_socket(s, server_hostname=name):
        return True


def mock_users():
    """The mock provider's made-up accounts: staff-1 (staff) and board-1 (board)."""
    from oidc_provider_mock import User
    return [User(sub="staff-1", claims={"email": STAFF, "email_verified": True}),
            User(sub="board-1", claims={"email": BOARD, "email_verified": True})]


def mock_sign_in(state: Path, url: str, provider: str) -> tuple[Path, Path]:
    """secrets.toml and roles.toml for the mock provider (a test machine only), in `state`."""
    sec = state / "secrets.toml"
    sec.write_text(f'''[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "shop-dashboard"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
''')
    roles = state / "roles.toml"
    roles.write_text(DEMO_ROLES)
    for p in (sec, roles):
        os.chmod(p, 0o600)
    return sec, roles


@contextlib.contextmanager
def stack(db: Path, state: Path, site: str, app_port: int, http_port: int, secrets_file: Path,
          roles_file: Path, env_extra: dict | None = None):
    """Caddy on `site` (https://name:port, 127.0.0.1) in front of the app on `app_port`; yields a Stack."""
    caddy = shutil.which("caddy")
    if not caddy:
        raise RuntimeError("caddy is missing: apt-get install caddy (.ci/setup does)")
    parts = urlsplit(site)
    name, https_port = parts.hostname, parts.port or 443
    key = secrets.token_hex(32)
    state.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SHOP_DB=str(db), SHOP_SITE=site, SHOP_APP_PORT=str(app_port),
               SHOP_TRUSTED_PROXY_KEY=key, SHOP_ROLES_FILE=str(roles_file), SHOP_HTTP_PORT=str(http_port),
               SHOP_HTTPS_PORT=str(https_port), SHOP_BIND="127.0.0.1", SHOP_CADDY_ADMIN="off",
               SHOP_CADDY_TRUST="skip_install_trust", SHOP_TLS="internal",
               XDG_DATA_HOME=str(state / "caddy-data"), XDG_CONFIG_HOME=str(state / "caddy-config"),
               **(env_extra or {}))
    procs = []
    try:
        with open(state / "app.log", "ab") as app_log, open(state / "caddy.log", "ab") as caddy_log:
            procs.append(("the dashboard", subprocess.Popen(
                [sys.executable, "-m", "ui.server", "--secrets.files", str(secrets_file)], cwd=ROOT, env=env,
                stdout=app_log, stderr=subprocess.STDOUT)))
            procs.append(("caddy", subprocess.Popen(
                [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], cwd=state, env=env,
                stdout=caddy_log, stderr=subprocess.STDOUT)))
        _wait("the dashboard answered", lambda: urllib.request.urlopen(
            f"http://127.0.0.1:{app_port}/_stcore/health", timeout=1).status == 200, procs)
        ca = state / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        _wait("caddy served HTTPS", lambda: _tls_ready("127.0.0.1", https_port, name, ca), procs)
        yield Stack(site.rstrip("/"), app_port, ca, key, state, Path(db), procs[0][1].pid)
    finally:
        for _, p in reversed(procs):
            p.terminate()
        for _, p in reversed(procs):
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """`make serve`: the dashboard behind Caddy with sign-in, on this machine, until Ctrl-C."""
    ap = argparse.ArgumentParser(prog="python -m deploy.serve", description=main.__doc__)
    ap.add_argument("--site", default="https://localhost:8443", help="the address people open (https://name:port)")
    ap.add_argument("--app-port", type=int, default=8502, help="the app's port on 127.0.0.1 (behind Caddy)")
    ap.add_argument("--http-port", type=int, default=8080, help="Caddy's plain-HTTP port (redirects to HTTPS)")
    ap.add_argument("--provider-port", type=int, default=8444,
                    help="the mock sign-in provider's port, when .streamlit/secrets.toml has no [auth]")
    args = ap.parse_args(argv)
    # stopped with SIGTERM (kill, timeout) as with Ctrl-C: Caddy and the app are stopped too
    signal.signal(signal.SIGTERM, _interrupt)
    db = Path(os.environ.get("SHOP_DB") or ROOT / "data" / "shop.duckdb")
    state = Path(tempfile.mkdtemp(prefix="shop-serve-"))
    site = args.site.rstrip("/")
    own = ROOT / ".streamlit" / "secrets.toml"
    try:
        has_auth = "auth" in tomllib.loads(own.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        has_auth = False
    with contextlib.ExitStack() as stack_:
        if has_auth:
            secrets_file = own
            roles = Path(os.environ.get("SHOP_ROLES_FILE") or ROOT / ".streamlit" / "roles.toml")
            who = "your provider (.streamlit/secrets.toml), roles from " + str(roles.name)
        else:
            try:
                from oidc_provider_mock import run_server_in_thread
            except ImportError:
                print("no [auth] in .streamlit/secrets.toml and no mock provider: run make setup-dev", file=sys.stderr)
                return 1
            srv = stack_.enter_context(run_server_in_thread(port=args.provider_port, user_claims=mock_users()))
            secrets_file, roles = mock_sign_in(state, site, f"http://localhost:{srv.server_port}")
            who = f"the mock provider: sign in as staff-1 ({STAFF}, staff) or board-1 ({BOARD}, board)"
        try:
            s = stack_.enter_context(stack(db, state, site, args.app_port, args.http_port, secrets_file, roles))
        except RuntimeError as exc:
            print(f"make serve: {exc} (logs in {state})", file=sys.stderr)
            return 1
        print(f"\n  The dashboard behind HTTPS: {s.url}\n  Sign-in: {who}.\n"
              f"  Certificate: Caddy's local CA, {s.root_ca} (trust it in the browser, or accept the warning).\n"
              f"  Logs: {state}. Ctrl-C stops it.\n", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    shutil.rmtree(state, ignore_errors=True)  # this run's CA, secrets and logs
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
