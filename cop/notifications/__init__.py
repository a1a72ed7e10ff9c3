"""Notifications: in the app and by e-mail, at the pace each person chooses."""


def init_app(app) -> None:
    """Connect the signal receivers and the hooks that send immediate e-mails after a commit."""
    from cop.notifications import receivers

    receivers.register(app)
