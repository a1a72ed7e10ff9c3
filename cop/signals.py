"""Named domain signals (blinker, as Flask's own signals) that services send.

Why signals: notifications (and anything else that reacts to activity) must
not be woven into every service that creates activity. A service sends the
signal **after its changes are flushed and before it commits**; receivers
add their own rows (notifications, mail queue entries) to ``db.session`` and
must never commit, so the activity and what it triggers land in one
transaction or not at all.

Every signal is sent with the acting user as ``sender`` (``None`` for the
system) and keyword arguments named below.
"""

from blinker import Namespace

_signals = Namespace()

#: A thread was started. kwargs: ``thread``, ``post`` (its opening post).
thread_created = _signals.signal("thread-created")
#: A reply was posted. kwargs: ``post`` (its ``parent`` and ``thread`` are loaded).
reply_created = _signals.signal("reply-created")
#: Users were @mentioned for the first time in a post (new or edited). kwargs: ``post``, ``users``.
users_mentioned = _signals.signal("users-mentioned")
#: An answer was accepted. kwargs: ``thread``, ``post``.
answer_accepted = _signals.signal("answer-accepted")
#: A post was flagged. kwargs: ``flag``.
post_flagged = _signals.signal("post-flagged")
#: Someone asked to join a restricted community. kwargs: ``membership``.
join_requested = _signals.signal("join-requested")
#: A join request was approved or declined. kwargs: ``membership`` (``status`` says which).
join_decided = _signals.signal("join-decided")
#: Someone was invited. kwargs: ``membership``.
member_invited = _signals.signal("member-invited")
#: A meeting was scheduled or changed (or cancelled). kwargs: ``event``, ``change`` ("new", "changed", "cancelled").
meeting_saved = _signals.signal("meeting-saved")
#: A resource was added to a library. kwargs: ``resource`` (flushed, with its first version if any).
resource_added = _signals.signal("resource-added")
#: A file or document got a new version. kwargs: ``resource``, ``version``.
resource_versioned = _signals.signal("resource-versioned")
