"""One error hierarchy. Every message is written for the person who will read it: what is wrong, what to do.

Every error also says what kind of failure it is (`fault`): whether trying again later may work, whether it
will fail the same way until someone changes something, or whether paperboy itself is wrong. Code that
retries or gives up asks `fault_of(error)`, and nothing else, so the decision is made in one place.
"""

from __future__ import annotations

from enum import Enum


class Fault(Enum):
    """What kind of failure an error is, and so what to do about it."""

    #: may work if tried again later: a timeout, a 429 or 5xx, the network, a busy database
    RETRYABLE = "retryable"
    #: fails the same way until someone changes something: a channel gone or forbidden, bad input
    PERMANENT = "permanent"
    #: paperboy itself is wrong (a payload a platform calls malformed, an unexpected exception): logged as an
    #: error with its details, never retried, never blamed on the channel
    BUG = "bug"


class PaperboyError(Exception):
    """Base of every error paperboy raises on purpose. `str(error)` is a sentence fit to show a user."""

    #: process exit code the CLI uses for this kind of failure
    exit_code = 1
    #: the kind of failure, unless an instance says otherwise (`fault=` in the constructor)
    fault = Fault.PERMANENT

    def __init__(self, message: str = "", *, fault: Fault | None = None) -> None:
        super().__init__(message)
        if fault is not None:
            self.fault = fault


def fault_of(error: BaseException) -> Fault:
    """The kind of failure `error` is: its own `fault` for paperboy's errors; anything else is a bug."""
    return error.fault if isinstance(error, PaperboyError) else Fault.BUG


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

    fault = Fault.RETRYABLE


class StoreError(PaperboyError):
    """The database cannot be opened, migrated or written."""


class NotSubscribed(UserInputError):
    """A channel asked about, changed or removed that has no subscription."""


class DeliveryError(PaperboyError):
    """A platform did not take a message; trying again later may work.

    `maybe_sent` is true when the message may have arrived all the same (the answer was lost): a retry then
    says "(resent)" rather than risk losing it.
    """

    fault = Fault.RETRYABLE

    def __init__(self, message: str, *, maybe_sent: bool = False, fault: Fault | None = None) -> None:
        super().__init__(message, fault=fault)
        self.maybe_sent = maybe_sent


class PayloadRejected(DeliveryError):
    """A platform called a message paperboy built malformed or too large (a 400 "Invalid Form Body", a 413):
    paperboy's own bug, not the channel's. The digest fails and the details go to the log as an error."""

    fault = Fault.BUG


class ChannelUnavailable(DeliveryError):
    """A platform refused for good (channel gone, bot removed, forbidden): the subscription is paused."""

    fault = Fault.PERMANENT


class WorkspaceUnavailable(ChannelUnavailable):
    """A platform refused paperboy itself (token revoked, app uninstalled): every channel of that workspace
    is paused, not just the one whose digest failed."""
