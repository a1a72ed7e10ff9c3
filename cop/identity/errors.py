"""Why a sign-in through a provider or directory did not happen.

Each error carries the sentence the person reads (``message``), the page's status and, for the log
only, what exactly went wrong (``reason``): the page never says which check failed, so a forged token
teaches its maker nothing.
"""

from cop.errors import DomainError


class SignInError(DomainError):
    status = 400
    title = "Sign-in failed"

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


class ProviderUnavailable(SignInError):
    """The provider or directory did not answer in time, or answered nonsense."""

    status = 503
    title = "The sign-in service is unavailable"


class SignInRejected(SignInError):
    """What came back could not be verified (state, nonce, signature, issuer, audience, expiry, claims)."""

    status = 400
    title = "Sign-in could not be verified"


class AccountRefused(SignInError):
    """The provider said no, or the cop account may not sign in (disabled, not linkable)."""

    status = 403
    title = "You cannot sign in this way"
