"""Imports every model module so ``db.metadata`` knows all tables (for Alembic)."""

from cop.accounts.models import User, UserSession, user_expertise  # noqa: F401
from cop.admin.models import AuditEntry  # noqa: F401
from cop.api.models import ApiToken  # noqa: F401
from cop.communities.models import Community, Membership, community_domain_tags, community_sponsors  # noqa: F401
from cop.discussions.models import Flag, Post, PostRevision, Thread, ThreadFiveWs, post_mentions, thread_tags  # noqa: F401
from cop.events.models import Event, Rsvp  # noqa: F401
from cop.idempotency import FormSubmission  # noqa: F401
from cop.identity.models import ExternalIdentity, GroupMapping  # noqa: F401
from cop.library.models import Resource, ResourceVersion, post_resource_links, resource_tags  # noqa: F401
from cop.notifications.models import Digest, Notification, NotificationPreference, NotificationSettings, Watch  # noqa: F401
from cop.oversight.models import Objective  # noqa: F401
from cop.reactions.models import Reaction  # noqa: F401
from cop.reading.models import CommunityRead, ThreadRead  # noqa: F401
from cop.search.models import SearchLog, SearchOutbox  # noqa: F401
from cop.tags.evidence import ExpertBound, ExpertEvidence  # noqa: F401
from cop.tags.models import Tag, TagWatch  # noqa: F401
from cop.value.models import ValueStory  # noqa: F401
from cop.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: F401
from cop.writing.models import Draft  # noqa: F401
