"""The verdict on one answer: right or wrong in words, score, remarks and the explanation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static

from tutor.app.glyphs import glyphs
from tutor.content.models import (
    Question,
    SingleQuestion,
    TrueFalseQuestion,
    YamlQuestion,
)
from tutor.quiz.grading import Grade
from tutor.quiz.review import right_answer


def grade_markdown(question: Question, grade: Grade, seed: str | None = None) -> str:
    """Remarks, the right answer where it helps, the explanation and a YAML solution."""
    parts: list[str] = []
    if grade.line is not None:
        parts.append(f"**YAML error on line {grade.line}** (the cursor is on that line).")
    parts.extend(f"- {remark}" for remark in grade.feedback)
    if not grade.correct and isinstance(question, SingleQuestion | TrueFalseQuestion):
        # In the labels of this attempt: choices are relabelled by their shuffled position.
        parts.append(f"Right answer: **{right_answer(question, seed)}**")
    parts.append(f"**Why:** {grade.explanation.strip()}")
    if isinstance(question, YamlQuestion) and not grade.correct:
        parts.append("A manifest that works:\n\n```yaml\n" + question.solution.rstrip() + "\n```")
    return "\n\n".join(parts)


class GradeView(Vertical):
    """Shows how an answer was graded; the verdict is a word and a symbol, never colour alone."""

    def __init__(
        self, question: Question, grade: Grade, *, plain: bool = False, seed: str | None = None
    ) -> None:
        super().__init__(classes="right" if grade.correct else "wrong")
        self.question = question
        self.grade = grade
        self.plain = plain
        self.seed = seed

    def compose(self) -> ComposeResult:
        marks = glyphs(self.plain)
        if self.grade.correct:
            verdict = f"{marks.right} Right. Score {self.grade.score:.0%}."
        else:
            verdict = f"{marks.wrong} Not quite. Score {self.grade.score:.0%}."
        yield Static(verdict, classes="verdict", markup=False)
        yield Markdown(grade_markdown(self.question, self.grade, self.seed), classes="remarks")
