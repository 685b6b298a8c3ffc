"""Each person's choice per kind: at once, a daily digest, or off (no row: at once)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from govkpi.notify.kinds import Frequency, Kind
from govkpi.notify.models import Preference

DEFAULT = Frequency.INSTANT


def frequencies(user: AbstractBaseUser) -> dict[str, str]:
    """Every kind with the person's frequency for it."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind: chosen.get(kind, DEFAULT) for kind in Kind.values}


def frequencies_of(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """The frequency of one kind for each of these people (one query)."""
    ids = list(user_ids)
    chosen = dict(Preference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "frequency"))
    return {pk: chosen.get(pk, DEFAULT) for pk in ids}


def set_frequencies(user: AbstractBaseUser, choices: dict[str, str]) -> None:
    """Store the person's choices; a choice equal to the default is stored too (the page shows what was said)."""
    for kind, frequency in choices.items():
        if kind in Kind.values and frequency in Frequency.values:
            Preference.objects.update_or_create(user=user, kind=kind, defaults={"frequency": frequency})
