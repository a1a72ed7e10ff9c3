"""Webhooks: a community's events pushed, signed, to the systems its coordinators register."""


def init_app(app) -> None:
    """Connect the signal receivers, the session hooks and the after-request sender."""
    from cop.webhooks import receivers

    receivers.register(app)
