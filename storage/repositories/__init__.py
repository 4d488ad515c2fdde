"""SQL implementations of the repositories in `conversations.ports`."""

from storage.repositories._base import NotFound
from storage.repositories.audit import SqlAuditRepo
from storage.repositories.bookings import SqlBookingRepo
from storage.repositories.conversation_refs import SqlConversationRefRepo
from storage.repositories.events import SqlProcessedEventRepo
from storage.repositories.notes import SqlLeaderNoteRepo
from storage.repositories.outbox import SqlOutboxRepo
from storage.repositories.people import SqlPersonRepo
from storage.repositories.plans import SqlPlanRepo
from storage.repositories.prep import SqlPrepRepo
from storage.repositories.rounds import SqlRoundRepo
from storage.repositories.sent_messages import SqlSentMessageRepo
from storage.repositories.teams import SqlTeamRepo
from storage.repositories.workspaces import SqlWorkspaceRepo

__all__ = [
    "NotFound",
    "SqlAuditRepo",
    "SqlBookingRepo",
    "SqlConversationRefRepo",
    "SqlLeaderNoteRepo",
    "SqlOutboxRepo",
    "SqlPersonRepo",
    "SqlPlanRepo",
    "SqlPrepRepo",
    "SqlProcessedEventRepo",
    "SqlRoundRepo",
    "SqlSentMessageRepo",
    "SqlTeamRepo",
    "SqlWorkspaceRepo",
]
