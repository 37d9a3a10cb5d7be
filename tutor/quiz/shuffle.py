"""Seeded display orders for a quiz attempt: choices and order items shuffled, the same on review.

An attempt has a seed (stored with it), and every order shown during that attempt derives from
the seed and the question's id. Reviewing an attempt with the same seed shows the same order;
a new attempt gets a new seed and so, almost always, a different order.
"""

from __future__ import annotations

import random
import secrets
import string

from tutor.content.models import ChoiceQuestionBase, OrderQuestion


def new_seed() -> str:
    """A fresh seed for a new attempt (tests replace this to get stable screens)."""
    return secrets.token_hex(8)


def _rng(seed: str, question_id: str, what: str) -> random.Random:
    # A string seed is hashed by `random` with SHA-512: stable across runs and platforms.
    return random.Random(f"{seed}/{question_id}/{what}")


def choice_order(question: ChoiceQuestionBase, seed: str | None) -> list[str]:
    """The choice keys in the order shown for this attempt; authored order when `seed` is None."""
    keys = list(question.choices)
    if seed is None:
        return keys
    _rng(seed, question.id, "choices").shuffle(keys)
    return keys


def display_labels(keys: list[str]) -> dict[str, str]:
    """Key -> the label shown beside it. Letter keys are relabelled by position (a, b, c, ...)
    so the label never gives the authored position away; word keys keep their word."""
    if len(keys) <= len(string.ascii_lowercase) and all(
        len(key) == 1 and key in string.ascii_lowercase for key in keys
    ):
        return {key: string.ascii_lowercase[position] for position, key in enumerate(keys)}
    return {key: key for key in keys}


def display_order(question: OrderQuestion, seed: str | None = None) -> list[int]:
    """A shuffled order of the items (indexes into `items`), never the right one.

    Without a seed the order depends on the question id only (stable for printed quizzes)."""
    order = list(range(len(question.items)))
    rng = _rng(seed, question.id, "items") if seed is not None else random.Random(question.id)
    for _ in range(8):
        rng.shuffle(order)
        if order != sorted(order):
            break
    else:  # pragma: no cover - 8 shuffles of 2+ items all landing sorted: p <= 2**-8
        order.reverse()
    return order
