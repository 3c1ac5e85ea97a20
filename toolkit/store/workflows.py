"""Workflows: the coach's multi-step actions as single verbs, each one transaction (all of it is stored, or none).

Preparing a session (a workshop, the session and its activities in order) and forming the groups of an exercise
were several separate writes in the widgets' click handlers, so a failure half-way left a half-built session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..design import DEFAULT_DESIGN
from ..errors import StoreError
from .core import StoreCore


class Workflows(StoreCore):
    """The verbs that make several writes."""

    def prepare_session(self, title: str, activities: Sequence[dict[str, Any]], *, workshop_id: str | None = None,
                        new_workshop: dict[str, Any] | None = None, design: str = DEFAULT_DESIGN) -> dict:
        """A session of the workshop `workshop_id` (or of a new one made with `new_workshop`, add_workshop's
        arguments) with its activities in the order given, each a dict of add_activity's arguments (bank, kind,
        title, case_study_id, time_limit_s), and its forms' `design` (toolkit.design). Returns the session, with
        its "activities"."""
        if (workshop_id is None) == (new_workshop is None):
            raise StoreError("Name the session's workshop, or give the new workshop's details.")
        with self.transaction():
            workshop = self.add_workshop(**new_workshop) if new_workshop is not None \
                else self.find_workshop(workshop_id)
            session = self.add_session(workshop["id"], title, design=design)
            made = [self.add_activity(session["id"], **activity) for activity in activities]
        return {**session, "activities": made}

    def form_groups(self, activity_id: str, groups: Iterable[tuple[str, list[str]]]) -> list[dict]:
        """The exercise's groups become these (name, participant ids): a group of that name is reused or made,
        and the activity's groups not named are emptied (kept, with what they wrote). Returns list_groups."""
        wanted = [(name, list(members)) for name, members in groups]
        with self.transaction():
            existing = {g["name"]: g for g in self.list_groups(activity_id)}
            for name, members in wanted:
                group = existing.get(name) or self.add_group(activity_id, name)
                self.set_group_members(group["id"], members)
            for name, group in existing.items():
                if name not in dict(wanted):
                    self.set_group_members(group["id"], [])
        return self.list_groups(activity_id)
