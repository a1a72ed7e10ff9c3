"""OpenID Connect relying party: the authorization code flow with PKCE, ``state`` and ``nonce``.

Authlib's ``OAuth2Session`` builds the authorization URL (with the S256 code challenge) and exchanges
the code at the token endpoint with the client's credentials; the ID token is then checked here with
joserfc: its signature against the provider's JWKS (an unknown ``kid`` fetches the JWKS once more, for
key rotation; ID tokens only ever come from the token endpoint, so nobody outside can make us fetch
it in a loop), the algorithm from ``COP_OIDC_ALGORITHMS`` (never ``none`` or an HMAC), and the claims
``iss``, ``aud`` (and ``azp``), ``exp`` and ``iat`` within ``COP_OIDC_CLOCK_SKEW``, ``sub`` and the
``nonce`` of this browser's attempt. Every HTTP call has the ``COP_OIDC_TIMEOUT``.

One ``OidcClient`` per app keeps the discovery document (an hour) and the JWKS.
"""

import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jwt import JWTClaimsRegistry

from cop.identity.errors import ProviderUnavailable, SignInRejected

log = logging.getLogger(__name__)

DISCOVERY_MAX_AGE = 3600
FLOW_MAX_AGE = 600  # seconds a browser has to come back from the provider
MAX_TOKEN_LENGTH = 16_384
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Claims that only the ID token may set (the userinfo response adds profile claims, never these).
PROTOCOL_CLAIMS = frozenset({"iss", "aud", "sub", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash"})

UNAVAILABLE = "The sign-in service is unavailable at the moment. Please try again in a few minutes."
UNVERIFIED = (
    "We could not verify the answer from the sign-in service, so you are not signed in and nothing "
    "was changed. Please start again."
)


class OidcClient:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.issuer = config["OIDC_ISSUER"]
        self.client_id = config["OIDC_CLIENT_ID"]
        self.client_secret = config.get("OIDC_CLIENT_SECRET")
        self.scopes = config.get("OIDC_SCOPES") or "openid email profile"
        self.timeout = float(config.get("OIDC_TIMEOUT") or 5)
        self.skew = int(config.get("OIDC_CLOCK_SKEW") or 60)
        self.algorithms = [
            alg.upper()
            for alg in config["OIDC_ALGORITHMS"]
            if alg.upper() != "NONE" and not alg.upper().startswith("HS")
        ]
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None

    # --- talking to the provider -------------------------------------------------

    def _get_json(self, url: str, what: str, headers: dict | None = None) -> dict:
        """GET ``url`` as JSON. :raise ProviderUnavailable: no answer in time, an error status or not JSON."""
        try:
            response = requests.get(
                url, timeout=self.timeout, headers={"Accept": "application/json", **(headers or {})}
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(UNAVAILABLE, f"{what}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise ProviderUnavailable(UNAVAILABLE, f"{what}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProviderUnavailable(UNAVAILABLE, f"{what}: not a JSON object")
        return data

    def metadata(self) -> dict:
        """The provider's discovery document, fetched at most once an hour.

        :raise ProviderUnavailable: unreachable, or a document for another issuer or without endpoints.
        """
        if self._metadata is None or time.monotonic() - self._metadata_at > DISCOVERY_MAX_AGE:
            data = self._get_json(self.issuer + "/.well-known/openid-configuration", "discovery")
            if data.get("issuer") != self.issuer:
                raise ProviderUnavailable(UNAVAILABLE, f"discovery names issuer {data.get('issuer')!r}")
            missing = [
                k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not isinstance(data.get(k), str)
            ]
            if missing:
                raise ProviderUnavailable(UNAVAILABLE, f"discovery lacks {missing}")
            self._metadata, self._metadata_at = data, time.monotonic()
        return self._metadata

    def keys(self, refresh: bool = False) -> KeySet:
        """The provider's signing keys (fetched again when ``refresh``)."""
        if self._keys is None or refresh:
            data = self._get_json(self.metadata()["jwks_uri"], "jwks")
            try:
                # Whatever JSON the provider sent: import_key_set checks its shape (its errors are caught here).
                self._keys = KeySet.import_key_set(cast(KeySetSerialization, data))
            except (JoseError, ValueError, KeyError, TypeError) as exc:
                raise ProviderUnavailable(UNAVAILABLE, f"jwks: {exc}") from None
        return self._keys

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            default_timeout=self.timeout,
        )

    # --- the flow ---------------------------------------------------------------------

    def begin(self, redirect_uri: str) -> tuple[str, dict]:
        """The provider's authorization URL and the secrets of this attempt, to keep in the session.

        :raise ProviderUnavailable: the discovery document cannot be had.
        """
        endpoint = self.metadata()["authorization_endpoint"]
        flow = {
            "state": secrets.token_urlsafe(32),
            "nonce": secrets.token_urlsafe(32),
            "verifier": secrets.token_urlsafe(48),
            "redirect_uri": redirect_uri,
            "started": time.time(),
        }
        with self._session(redirect_uri) as client:
            url, _state = client.create_authorization_url(
                endpoint, state=flow["state"], nonce=flow["nonce"], code_verifier=flow["verifier"]
            )
        return url, flow

    def finish(self, flow: dict, code: str) -> dict:
        """Exchange ``code`` for tokens and return the verified claims (ID token, then userinfo).

        :raise ProviderUnavailable: the token endpoint did not answer properly.
        :raise SignInRejected: the attempt expired, the provider refused the code, or the ID token fails a check.
        """
        if time.time() - float(flow.get("started") or 0) > FLOW_MAX_AGE:
            raise SignInRejected(UNVERIFIED, "the attempt is older than 10 minutes")
        metadata = self.metadata()
        with self._session(flow["redirect_uri"]) as client:
            try:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=flow["verifier"],
                )
            except requests.RequestException as exc:
                raise ProviderUnavailable(UNAVAILABLE, f"token: {type(exc).__name__}: {exc}") from None
            except OAuthError as exc:
                raise SignInRejected(UNVERIFIED, f"token endpoint refused the code: {exc}") from None
            except ValueError as exc:  # not JSON
                raise ProviderUnavailable(UNAVAILABLE, f"token: {exc}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRejected(UNVERIFIED, "no id_token in the token response")
        claims = self.verify_id_token(id_token, flow["nonce"])
        access_token = token.get("access_token")
        if metadata.get("userinfo_endpoint") and isinstance(access_token, str):
            claims = {**self._userinfo(metadata["userinfo_endpoint"], access_token, claims["sub"]), **claims}
        return claims

    def verify_id_token(self, value: str, nonce: str) -> dict:
        """The claims of a valid ID token for this client and attempt.

        :raise SignInRejected: bad signature or algorithm, unknown key (after one JWKS refetch), wrong
            issuer, audience or nonce, expired or issued in the future, no subject.
        """
        if len(value) > MAX_TOKEN_LENGTH:
            raise SignInRejected(UNVERIFIED, "id_token too long")
        try:
            try:
                token = jwt.decode(value, self.keys(), algorithms=self.algorithms)
            except InvalidKeyIdError:
                log.info("OIDC: ID token signed with an unknown key; fetching the JWKS again")
                token = jwt.decode(value, self.keys(refresh=True), algorithms=self.algorithms)
            registry = JWTClaimsRegistry(
                leeway=self.skew,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise SignInRejected(UNVERIFIED, f"id_token: {type(exc).__name__}: {exc}") from None
        claims = dict(token.claims)
        if float(claims["iat"]) > time.time() + self.skew:
            raise SignInRejected(UNVERIFIED, "id_token issued in the future")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != self.client_id:
            raise SignInRejected(UNVERIFIED, f"id_token azp {claims.get('azp')!r}")
        if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
            raise SignInRejected(UNVERIFIED, "id_token sub is not a short string")
        return claims

    def verify_logout_token(self, value: str) -> dict:
        """The claims of a valid back-channel logout token (OpenID Connect Back-Channel Logout 1.0, 2.6).

        :raise SignInRejected: bad signature or algorithm, wrong issuer or audience, too old, no
            ``jti``, no logout event, no ``sub``, or a ``nonce`` (which would make it an ID token).
        """
        if len(value) > MAX_TOKEN_LENGTH:
            raise SignInRejected(UNVERIFIED, "logout_token too long")
        try:
            try:
                token = jwt.decode(value, self.keys(), algorithms=self.algorithms)
            except InvalidKeyIdError:
                token = jwt.decode(value, self.keys(refresh=True), algorithms=self.algorithms)
            JWTClaimsRegistry(
                leeway=self.skew,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                iat={"essential": True},
                jti={"essential": True},
                sub={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise SignInRejected(UNVERIFIED, f"logout_token: {type(exc).__name__}: {exc}") from None
        claims = dict(token.claims)
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
            raise SignInRejected(UNVERIFIED, "logout_token without the back-channel logout event")
        if "nonce" in claims or float(claims["iat"]) < time.time() - FLOW_MAX_AGE:
            raise SignInRejected(UNVERIFIED, "logout_token with a nonce, or older than 10 minutes")
        return claims

    def _userinfo(self, endpoint: str, access_token: str, subject: str) -> dict:
        """Profile claims from the userinfo endpoint; {} when it fails (the ID token's claims then do)."""
        try:
            info = self._get_json(endpoint, "userinfo", headers={"Authorization": f"Bearer {access_token}"})
        except ProviderUnavailable as exc:
            log.warning("OIDC: userinfo unavailable, using the ID token's claims: %s", exc.reason)
            return {}
        if info.get("sub") != subject:
            log.warning("OIDC: userinfo is for another subject; ignored")
            return {}
        return {k: v for k, v in info.items() if k not in PROTOCOL_CLAIMS}

    def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """The provider's RP-initiated logout address, when its discovery document advertises one."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except ProviderUnavailable:
            return None
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            return None
        query = urlencode({"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri})
        return endpoint + ("&" if "?" in endpoint else "?") + query


def oidc_client() -> OidcClient:
    """This app's client (made on first use, then kept with its discovery document and keys)."""
    client = current_app.extensions.get("cop_oidc")
    if client is None:
        client = current_app.extensions["cop_oidc"] = OidcClient(current_app.config)
    return client
