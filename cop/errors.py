"""Errors raised by services when a rule is broken, or when the actor may not act.

A ``DomainError`` is something the user can correct: views show its message next to the form
(``field``) or as a flash, with what the user typed (``cop.forms.showing_errors``). ``NotAllowed`` is
not: views let it through and one app-level handler (``cop.register_errorhandlers``) answers it.
Neither is an HTTP error itself.
"""


class DomainError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(Exception):
    """The actor may not do this: the app answers 403 with the error page showing ``message`` (a problem
    document under ``/api``), after rolling the transaction back.

    ``hidden``: the actor may not even know the thing exists (a community they may not read, another
    person's token), so the answer is the same 404 as for a missing thing, without the message.
    """

    def __init__(self, message: str, *, hidden: bool = False):
        super().__init__(message)
        self.message = message
        self.hidden = hidden

    @property
    def status(self) -> int:
        return 404 if self.hidden else 403


class Unavailable(DomainError):
    """The database or the upload store cannot take a write just now (locked, read-only, disk full).

    Raised in place of the driver's error while a request is handled (``cop.unavailable``), so a view
    that shows a service's ``DomainError`` on its form shows this one too, with the text the user
    typed; ``form_status`` then answers 503. Nothing was saved: the transaction was rolled back.
    """

    MESSAGE = (
        "We could not save this just now: the site is busy or cannot write at the moment. "
        "Nothing was saved and your text is still here; please try again in a moment."
    )

    def __init__(self, cause: str):
        super().__init__(self.MESSAGE)
        self.cause = cause
