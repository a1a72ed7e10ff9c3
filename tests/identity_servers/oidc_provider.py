"""A real OpenID Provider on loopback, built from Authlib's server components.

It speaks the protocol over HTTP like any provider: discovery, JWKS, an authorization endpoint with a
sign-in form (user name and password), a token endpoint that checks the client's secret, the
redirect URI and the PKCE verifier (S256, required) and signs RS256 ID tokens with the nonce,
userinfo and an end-session endpoint. Tests switch its behaviour (``provider.tamper = ...``) to send
what an attacker or a broken provider would — the ID token signed by another key, ``alg: none``,
expired, for another audience or issuer, without or with another nonce, a slow token endpoint — and
rotate its signing key. cop's client is never patched: it meets these over HTTP.
"""

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "cop-test-client"
CLIENT_SECRET = "cop-test-secret-" + "x" * 16
TAMPER_MODES = (
    "other-key",
    "unknown-kid",
    "alg-none",
    "expired",
    "wrong-aud",
    "wrong-iss",
    "no-nonce",
    "wrong-nonce",
    "slow",
)


@dataclass
class ProviderUser:
    username: str
    password: str
    claims: dict
    disabled: bool = False

    def get_user_id(self):
        return self.claims["sub"]


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list = field(default_factory=list)  # empty: any (tests run cop on varying ports)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return not self.redirect_uris or redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret or "", self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: ProviderUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class OpenIDProvider:
    """The provider's state; tests read and change it between requests."""

    def __init__(self):
        self.users: dict[str, ProviderUser] = {}
        self.clients = {CLIENT_ID: Client(CLIENT_ID, CLIENT_SECRET)}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, ProviderUser] = {}
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig"}, private=True)]
        self._key_number = 1
        self.tamper: str | None = None
        self.slow_seconds = 3.0
        self.advertise_end_session = True
        self.hits: dict[str, int] = {}
        self.url = ""
        self.app = self._build_app()

    # --- for tests -------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.url

    def add_user(self, username: str, password: str, **claims) -> ProviderUser:
        claims.setdefault("sub", "sub-" + username)
        user = self.users[username] = ProviderUser(username, password, claims)
        return user

    def rotate_key(self, keep_old: bool = False) -> None:
        """Sign with a new key (new ``kid``); the JWKS publishes it (and the old one with ``keep_old``)."""
        self._key_number += 1  # every key its own kid, however often tests rotate
        new = RSAKey.generate_key(2048, parameters={"kid": f"key-{self._key_number}", "use": "sig"}, private=True)
        self.keys = [new, *self.keys] if keep_old else [new]

    def logout_token(self, sub: str, *, key=None, **claims) -> str:
        """A back-channel logout token for ``sub``, as the provider posts it to a client's logout URI."""
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_hex(8),
            "sub": sub,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            **claims,
        }
        body = {k: v for k, v in body.items() if v is not None}
        signing_key = key or self.keys[0]
        return jwt.encode({"alg": "RS256", "kid": self.keys[0].kid, "typ": "logout+jwt"}, body, signing_key)

    def reset(self) -> None:
        self.tamper = None
        self.advertise_end_session = True
        self.hits.clear()

    def sign_in(self, authorization_url: str, username: str, password: str) -> str:
        """Do what a person's browser does at the provider: open the form, submit it. Returns where the
        provider sends the browser back (cop's callback URL with code and state)."""
        with requests.Session() as browser:
            form = browser.get(authorization_url, timeout=10)
            assert form.status_code == 200, form.text
            answer = browser.post(
                authorization_url, data={"username": username, "password": password}, allow_redirects=False, timeout=10
            )
        assert answer.status_code == 302, f"provider answered {answer.status_code}: {answer.text[:500]}"
        return answer.headers["Location"]

    # --- the server ----------------------------------------------------------------------

    def _count(self, name: str) -> None:
        self.hits[name] = self.hits.get(name, 0) + 1

    def _build_app(self) -> Flask:
        provider = self
        app = Flask("test-openid-provider")
        app.secret_key = secrets.token_hex(16)

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                payload = request.payload
                provider.codes[code] = AuthorizationCode(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=payload.redirect_uri,
                    scope=payload.scope,
                    user=request.user,
                    nonce=payload.data.get("nonce"),
                    code_challenge=payload.data.get("code_challenge"),
                    code_challenge_method=payload.data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                return item if item and item.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class OpenIDCodeExtension(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.keys[0]

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": provider.keys[0].kid}

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.client_id], "exp": int(time.time()) + 300}

            def generate_user_info(self, user, scope):
                return dict(user.claims)

        def save_token(token, request):
            provider.access_tokens[token["access_token"]] = request.user

        server = AuthorizationServer(app, query_client=provider.clients.get, save_token=save_token)
        server.register_grant(CodeGrant, [OpenIDCodeExtension(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            provider._count("discovery")
            document = {
                "issuer": provider.issuer,
                "authorization_endpoint": provider.url + "/authorize",
                "token_endpoint": provider.url + "/token",
                "userinfo_endpoint": provider.url + "/userinfo",
                "jwks_uri": provider.url + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
            if provider.advertise_end_session:
                document["end_session_endpoint"] = provider.url + "/logout"
            return jsonify(document)

        @app.get("/jwks")
        def jwks():
            provider._count("jwks")
            return jsonify(KeySet(provider.keys).as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            provider._count("authorize")
            if request.method == "GET":
                grant = server.get_consent_grant(end_user=None)
                return _sign_in_form(grant.client.client_id)
            user = provider.users.get(request.form.get("username", ""))
            if user is None or not secrets.compare_digest(user.password, request.form.get("password", "")):
                return _sign_in_form(request.args.get("client_id", ""), "Wrong user name or password."), 401
            if user.disabled:
                return _page("Account disabled", "This account is disabled."), 403
            grant = server.get_consent_grant(end_user=user)
            if request.form.get("action") == "deny":
                return server.create_authorization_response(grant=grant, grant_user=None)
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.post("/token")
        def token():
            provider._count("token")
            if provider.tamper == "slow":
                time.sleep(provider.slow_seconds)
            response = server.create_token_response()
            if provider.tamper and response.status_code == 200:
                body = response.get_json()
                body["id_token"] = provider._tampered(body["id_token"])
                response.set_data(json.dumps(body))
            return response

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo():
            provider._count("userinfo")
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            user = provider.access_tokens.get(value) if scheme.lower() == "bearer" else None
            if user is None:
                return jsonify(error="invalid_token"), 401
            return jsonify(user.claims)

        @app.get("/logout")
        def logout():
            provider._count("logout")
            target = request.args.get("post_logout_redirect_uri", "")
            link = f'<p><a href="{escape(target)}">Return to the application</a></p>' if target else ""
            return _page("Signed out", "You are signed out of the test provider." + link)

        return app

    def _tampered(self, id_token: str) -> str:
        """The ID token as an attacker or a broken provider would send it instead."""
        header, payload, _signature = id_token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        now = int(time.time())
        key, kid = self.keys[0], self.keys[0].kid
        if self.tamper == "other-key":
            key = RSAKey.generate_key(2048, private=True)
        elif self.tamper == "unknown-kid":
            key, kid = RSAKey.generate_key(2048, private=True), "rogue-key"
        elif self.tamper == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif self.tamper == "wrong-aud":
            claims["aud"] = ["another-client"]
        elif self.tamper == "wrong-iss":
            claims["iss"] = "http://evil.example"
        elif self.tamper == "no-nonce":
            claims.pop("nonce", None)
        elif self.tamper == "wrong-nonce":
            claims["nonce"] = "forged-nonce"
        elif self.tamper == "alg-none":
            encode = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
            return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}."
        elif self.tamper == "slow":
            return id_token
        return jwt.encode({"alg": "RS256", "kid": kid}, claims, key)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><title>{escape(title)}</title></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def _sign_in_form(client_id: str, error: str = "") -> str:
    error_html = f'<p role="alert">{escape(error)}</p>' if error else ""
    return _page(
        "Test provider sign-in",
        f"""{error_html}
<p>Signing in to {escape(client_id)}.</p>
<form method="post">
  <p><label for="username">User name</label> <input id="username" name="username" autocomplete="username"></p>
  <p><label for="password">Password</label> <input id="password" name="password" type="password"></p>
  <p><button type="submit" name="action" value="allow">Sign in</button>
     <button type="submit" name="action" value="deny">Cancel</button></p>
</form>""",
    )


class RunningProvider:
    """``OpenIDProvider`` served by werkzeug on 127.0.0.1 (a random port) in a daemon thread."""

    def __init__(self):
        self.provider = OpenIDProvider()
        self._server = make_server("127.0.0.1", 0, self.provider.app, threaded=True)
        self.provider.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)

    def __enter__(self) -> OpenIDProvider:
        self._thread.start()
        return self.provider

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


def authorization_query(url: str, **params) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)
