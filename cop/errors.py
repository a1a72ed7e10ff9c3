"""Domain errors raised by services when a rule is broken.

Views catch them and show the message next to the form (``field``) or as a
flash; they are never HTTP errors themselves.
"""


class DomainError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The actor may not do this (views turn it into 403 or 404)."""


class Unavailable(DomainError):
    """The database or the upload store cannot take a write just now (locked, read-only, disk full).

    Raised in place of the driver's error while a request is handled (``cop.unavailable``), so a view
    that shows a service's ``DomainError`` on its form shows this one too, with the text the user
    typed; ``form_status`` then answers 503. Nothing was saved: the transaction was rolled back.
    """

    MESSAGE = ("We could not save this just now: the site is busy or cannot write at the moment. "
               "Nothing was saved and your text is still here; please try again in a moment.")

    def __init__(self, cause: str):
        super().__init__(self.MESSAGE)
        self.cause = cause
