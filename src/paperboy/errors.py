"""One error hierarchy. Every message is written for the person who will read it: what is wrong, what to do."""

from __future__ import annotations


class PaperboyError(Exception):
    """Base of every error paperboy raises on purpose. `str(error)` is a sentence fit to show a user."""

    #: process exit code the CLI uses for this kind of failure
    exit_code = 1


class UserInputError(PaperboyError):
    """The user's input is wrong: a bad config, query or id. Fixing the input fixes it."""

    exit_code = 2


class ConfigError(UserInputError):
    """The configuration file or environment holds something paperboy cannot use."""


class QueryError(UserInputError):
    """A search query or topic filter that cannot be understood."""


class InvalidPaperId(UserInputError):
    """Text that is not an arXiv identifier."""


class PaperNotFound(PaperboyError):
    """A well-formed id that is not in the database."""


class SourceError(PaperboyError):
    """A paper source (Hugging Face, arXiv) could not be read, even after retries."""


class StoreError(PaperboyError):
    """The database cannot be opened, migrated or written."""


class NotSubscribed(UserInputError):
    """A channel asked about, changed or removed that has no subscription."""


class DeliveryError(PaperboyError):
    """A platform did not take a message; trying again later may work.

    `maybe_sent` is true when the message may have arrived all the same (the answer was lost): a retry then
    says "(resent)" rather than risk losing it.
    """

    def __init__(self, message: str, *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class ChannelUnavailable(DeliveryError):
    """A platform refused for good (channel gone, bot removed, forbidden): the subscription is paused."""


class WorkspaceUnavailable(ChannelUnavailable):
    """A platform refused paperboy itself (token revoked, app uninstalled): every channel of that workspace
    is paused, not just the one whose digest failed."""
