"""A loopback Bot Framework token issuer: an RSA key made here, an OpenID metadata document and
a JWKS endpoint served on 127.0.0.1:0, and tokens signed (or forged) with that key.

botframework-connector fetches the metadata with the blocking `requests` library from inside
the event loop, so the server runs on its own thread and loop; otherwise the fetch would wait
for a server that cannot run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TokenIssuer:
    """Serves `/.well-known/openidconfiguration` and `/keys`; signs tokens with its key."""

    endorsements: tuple[str, ...] = ("msteams",)
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)
    metadata_url: str = ""
    requests_served: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None

    # --- tokens ----------------------------------------------------------------------------
    def claims(self, app_id: str, service_url: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + 3600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def unsigned(self, claims: dict[str, Any]) -> str:
        """`alg: none`, no signature: what an attacker sends hoping nobody checks."""
        header = {"alg": "none", "typ": "JWT", "kid": self.kid}
        parts = [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())]
        return ".".join(parts) + "."

    def tampered(self, claims: dict[str, Any], **changed: Any) -> str:
        """A token signed for `claims`, then its payload changed and the signature kept."""
        header, _payload, signature = self.sign(claims).split(".")
        forged = _b64(json.dumps({**claims, **changed}).encode())
        return f"{header}.{forged}.{signature}"

    # --- server ----------------------------------------------------------------------------
    def start(self) -> TokenIssuer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # surfaced to the caller of start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="token-issuer", daemon=True)
        self._thread.start()
        if not ready.wait(timeout=30):
            raise RuntimeError("the loopback OpenID server did not start")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
        self._loop = None
        self._thread = None

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/keys", self._keys)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self._base = f"http://127.0.0.1:{port}"
        self.metadata_url = f"{self._base}/.well-known/openidconfiguration"

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _metadata(self, _request: web.Request) -> web.Response:
        self.requests_served += 1
        return web.json_response(
            {
                "issuer": BOT_FRAMEWORK_ISSUER,
                "jwks_uri": f"{self._base}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, _request: web.Request) -> web.Response:
        self.requests_served += 1
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256", endorsements=list(self.endorsements))
        return web.json_response({"keys": [jwk]})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
