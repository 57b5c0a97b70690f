"""Case states and the actions that move a case between them, as a data table.

    received -> in_progress -> waiting (for the resident) -> in_progress -> decided -> closed
                                                             decided/closed -> in_progress (reopen)

The application checks every change against :data:`TRANSITIONS`; anything else is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eservices.text import N_

RECEIVED = "received"
IN_PROGRESS = "in_progress"
WAITING = "waiting"
DECIDED = "decided"
CLOSED = "closed"

STATES: tuple[str, ...] = (RECEIVED, IN_PROGRESS, WAITING, DECIDED, CLOSED)

#: What staff see for each state.
STATE_LABELS: Mapping[str, str] = {
    RECEIVED: N_("Received"),
    IN_PROGRESS: N_("In progress"),
    WAITING: N_("Waiting for the resident"),
    DECIDED: N_("Decided"),
    CLOSED: N_("Closed"),
}

#: What residents see for each state: plain language, what it means for them.
RESIDENT_LABELS: Mapping[str, str] = {
    RECEIVED: N_("Received, waiting to be handled"),
    IN_PROGRESS: N_("A case officer is handling your case"),
    WAITING: N_("We are waiting for an answer from you"),
    DECIDED: N_("A decision has been made"),
    CLOSED: N_("Your case is closed"),
}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    label: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition("start", (RECEIVED,), IN_PROGRESS, N_("Start handling")),
    Transition("request_completion", (IN_PROGRESS,), WAITING, N_("Ask the resident for more information")),
    Transition("resume", (WAITING,), IN_PROGRESS, N_("Continue handling")),
    Transition("decide", (IN_PROGRESS,), DECIDED, N_("Record the decision")),
    Transition("close", (DECIDED,), CLOSED, N_("Close the case")),
    Transition("reopen", (DECIDED, CLOSED), IN_PROGRESS, N_("Reopen")),
)
BY_ACTION: Mapping[str, Transition] = {transition.action: transition for transition in TRANSITIONS}


class IllegalTransition(ValueError):
    """The action is unknown, or not allowed from the case's current state."""


def available(state: str) -> list[Transition]:
    """The actions allowed from ``state``, in workflow order."""
    return [transition for transition in TRANSITIONS if state in transition.sources]


def apply(state: str, action: str) -> str:
    """The state after ``action`` from ``state``; raises :class:`IllegalTransition`."""
    transition = BY_ACTION.get(action)
    if transition is None or state not in transition.sources:
        raise IllegalTransition(f"{action!r} is not allowed from {state!r}")
    return transition.target
