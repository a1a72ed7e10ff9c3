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
