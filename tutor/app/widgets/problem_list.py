"""The list of broken content files that were left out of the course."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:  # type-only: keeps pydantic and the models off the start-up path
    from tutor.content.index import Problem


def shown_path(path: Path, roots: Sequence[Path]) -> str:
    """The path relative to its course root, so no absolute path reaches the screen."""
    for root in roots:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


class ProblemList(VerticalScroll):
    """Shows which content files could not be loaded, and what is wrong with each."""

    def __init__(
        self, problems: Sequence[Problem], roots: Sequence[Path], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.problems = problems
        self.roots = roots
        self.border_title = "Content problems"

    def compose(self) -> ComposeResult:
        files = {problem.file for problem in self.problems}
        count = "1 content file has" if len(files) == 1 else f"{len(files)} content files have"
        yield Static(
            f"{count} problems and could not be loaded; the rest of the course works. "
            "Run `kube-tutor lint` to check every file.",
            classes="problem-summary",
            markup=False,
        )
        for problem in sorted(self.problems):
            where = shown_path(problem.file, self.roots)
            if problem.line:
                where += f" line {problem.line}"
            yield Static(f"! {where}: {problem.message}", classes="problem", markup=False)
