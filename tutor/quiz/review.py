"""Words for reviewing an answer: what the learner gave and what was right, in the labels
the learner saw during that attempt (choices are relabelled by their shuffled position)."""

from __future__ import annotations

from typing import Any

from tutor.content.models import (
    ChoiceQuestionBase,
    MultiQuestion,
    OrderQuestion,
    Question,
    SingleQuestion,
    TrueFalseQuestion,
    YamlQuestion,
)
from tutor.quiz.shuffle import choice_order, display_labels


def labelled(question: ChoiceQuestionBase, key: str, seed: str | None) -> str:
    """`c) The text of the choice`, with the label shown in this attempt."""
    labels = display_labels(choice_order(question, seed))
    return f"{labels[key]}) {question.choices[key]}"


def right_answer(question: Question, seed: str | None) -> str:
    """The right answer in words ('' for YAML, whose solution is shown as a block)."""
    if isinstance(question, SingleQuestion):
        return labelled(question, question.answer, seed)
    if isinstance(question, MultiQuestion):
        order = choice_order(question, seed)
        return "; ".join(labelled(question, key, seed) for key in order if key in question.answer)
    if isinstance(question, TrueFalseQuestion):
        return "True" if question.answer else "False"
    if isinstance(question, OrderQuestion):
        return " -> ".join(question.items)
    if isinstance(question, YamlQuestion):
        return ""
    accept = getattr(question, "accept", [])
    return accept[0] if accept else "(see the explanation)"


def given_answer(question: Question, answer: Any, seed: str | None) -> str:
    """The learner's recorded answer in words."""
    try:
        if isinstance(question, SingleQuestion) and isinstance(answer, str):
            return labelled(question, answer, seed)
        if isinstance(question, MultiQuestion) and isinstance(answer, list):
            return "; ".join(labelled(question, str(key), seed) for key in answer) or "(none)"
        if isinstance(question, TrueFalseQuestion):
            return "True" if answer is True else "False" if answer is False else str(answer)
        if isinstance(question, OrderQuestion) and isinstance(answer, list):
            return " -> ".join(question.items[int(index)] for index in answer)
    except (KeyError, IndexError, ValueError, TypeError):
        pass  # an answer recorded before the question changed: show it raw
    if isinstance(question, YamlQuestion):
        return "(your manifest)"
    return str(answer)
