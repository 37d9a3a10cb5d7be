"""Course commands: `list`, `lesson`, `quiz`, and opening the app."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.content.loader import Course
    from tutor.content.models import Question


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the course commands."""
    from tutor.cli import add_global_options

    p = sub.add_parser("list", help="list lessons, labs or questions")
    p.add_argument("what", choices=["lessons", "labs", "questions"])
    p.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("lesson", help="print a lesson")
    p.add_argument("id", help="lesson id or its number, e.g. 01-services or 1")
    add_global_options(p)
    p.set_defaults(handler=cmd_lesson)

    p = sub.add_parser("quiz", help="take a lesson's quiz on the terminal")
    p.add_argument("id", help="lesson id or its number")
    add_global_options(p)
    p.set_defaults(handler=cmd_quiz)


def load(args: argparse.Namespace, *, quiet: bool = False) -> Course:
    """Load the course; report broken files on stderr (the rest still loads)."""
    from tutor.content.loader import load_course
    from tutor.modes.workshop import ClassroomError, workshop_course

    course = load_course(args.content)
    if course.problems and not quiet:
        _warn_broken(len(course.broken_files()))
    try:
        return workshop_course(course, args.content)
    except ClassroomError as exc:  # the whole course still serves
        print(f"kube-tutor: {exc}; the whole course is used.", file=sys.stderr)
        return course


def _warn_broken(count: int) -> None:
    print(
        f"kube-tutor: {count} content file(s) have problems and were skipped; "
        "run `kube-tutor lint` for details.",
        file=sys.stderr,
    )


def find_lesson_id(course: Course, wanted: str) -> str | None:
    """Resolve `3`, `03` or `03-dns` to a lesson id."""
    from tutor.cli import number_matches

    for lesson in course.lessons:
        number = lesson.id.split("-", 1)[0]
        if wanted in (lesson.id, number) or number_matches(wanted, number):
            return lesson.id
    return None


def cmd_list(args: argparse.Namespace) -> int:
    """`kube-tutor list lessons|labs|questions`."""
    from tutor.cli import listcache

    key = listcache.signature(listcache.course_roots(args.content))
    cached = listcache.read(key, args.what)
    if cached is not None:
        rows, broken = cached
        if broken:
            _warn_broken(broken)
    else:
        course = load(args)
        every = list_rows(course)
        listcache.write(key, every, len(course.broken_files()))
        rows = every[args.what]
    if args.what == "lessons":
        text = [f"{r['id']:<34} {r['title']}  ({r['questions']} questions)" for r in rows]
    elif args.what == "labs":
        text = [f"{r['id']:<34} [{r['kind']}] {r['title']}" for r in rows]
    else:
        text = [f"{r['lesson']}/{r['id']:<28} {r['type']:<9} {r['prompt'][:60]!r}" for r in rows]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print("\n".join(text) if text else f"No {args.what}.")
    return 0


def list_rows(course: Course) -> dict[str, list[dict[str, Any]]]:
    """The rows of `list lessons`, `list labs` and `list questions`."""
    return {
        "lessons": [
            {
                "id": lesson.id,
                "title": lesson.meta.title,
                "minutes": lesson.meta.minutes,
                "kubernetes": lesson.meta.kubernetes,
                "labs": lesson.meta.labs,
                "questions": len(lesson.quiz.questions) if lesson.quiz else 0,
                "tags": lesson.meta.tags,
            }
            for lesson in course.lessons
        ],
        "labs": [
            {
                "id": lab.id,
                "title": lab.spec.title,
                "lesson": lab.spec.lesson,
                "kind": lab.spec.kind,
                "requires": list(lab.spec.requires),
                "checks": [check.id for check in lab.spec.checks],
            }
            for lab in course.labs
        ],
        "questions": [
            {
                "lesson": lesson.id,
                "id": q.id,
                "type": q.type,
                "difficulty": q.difficulty,
                "tags": q.tags,
                "prompt": q.prompt,
            }
            for lesson, q in course.questions()
        ],
    }


def cmd_lesson(args: argparse.Namespace) -> int:
    """`kube-tutor lesson ID`: print the lesson's Markdown."""
    course = load(args)
    lesson_id = find_lesson_id(course, args.id)
    if lesson_id is None:
        print(f"kube-tutor: no lesson {args.id!r}; see `kube-tutor list lessons`.", file=sys.stderr)
        return 2
    lesson = course.lesson(lesson_id)
    assert lesson is not None
    from tutor.cli import plain_requested
    from tutor.cli.text import render_markdown

    objectives = "\n".join(f"- {o}" for o in lesson.meta.objectives)
    parts = [
        f"# {lesson.meta.title}",
        lesson.meta.summary.strip(),
        f"**You will be able to:**\n\n{objectives}",
        lesson.body.strip(),
    ]
    if lesson.meta.references:
        refs = "\n".join(f"- {r.title}: {r.url}" for r in lesson.meta.references)
        parts.append(f"## References\n\n{refs}")
    labs = [f"- lab {lab.id}: {lab.spec.title}" for lab in course.labs_of(lesson.id)]
    if labs:
        parts.append("## Practise\n\n" + "\n".join(labs))
    print(render_markdown("\n\n".join(parts), plain=plain_requested(args)))
    from tutor.progress.store import ProgressStore

    ProgressStore().mark_read(lesson.id)
    return 0


def cmd_quiz(args: argparse.Namespace) -> int:
    """`kube-tutor quiz ID`: ask each question on stdin, grade it and record the answer.

    Each run is a new attempt with its own seed: choices (relabelled a, b, c by position) and
    order items are shuffled. The score and verdict are the app's (`tutor.quiz.scoring`)."""
    from tutor.progress.store import ProgressStore
    from tutor.quiz.grading import grade
    from tutor.quiz.scoring import score_attempt
    from tutor.quiz.shuffle import new_seed

    course = load(args)
    lesson_id = find_lesson_id(course, args.id)
    lesson = course.lesson(lesson_id) if lesson_id else None
    if lesson is None or lesson.quiz is None:
        print(
            f"kube-tutor: no quiz for {args.id!r}; see `kube-tutor list lessons`.", file=sys.stderr
        )
        return 2
    store = ProgressStore()
    if store.notice:
        print(f"kube-tutor: {store.notice}", file=sys.stderr)
    seed = new_seed()
    attempt = store.start_quiz_attempt(lesson.id, seed)
    questions = [q for q in lesson.quiz.questions if q.type != "predict"]
    credits: dict[str, float] = {}
    stopped = False
    for number, question in enumerate(questions, 1):
        print(f"\nQuestion {number}/{len(questions)} [{question.type}, {question.difficulty}]")
        print(_md(question.prompt.rstrip(), args))
        result = None
        while True:
            answer = _ask(question, seed)
            if answer is None:
                stopped = True
                break
            try:
                result = grade(question, answer)
            except ValueError as exc:
                print(f"  Not graded: {exc}. Skipping.")
                result = None
                break
            if not result.retry:
                break
            # A YAML syntax error does not use up the question: say where, ask again.
            for remark in result.feedback:
                print(f"  - {remark}")
        if stopped:
            print("\nStopped; answers so far are saved.")
            break
        if result is None:
            continue
        store.record_answer(
            lesson.id, question.id, answer, result.correct, result.score, attempt=attempt
        )
        credits[question.id] = result.score
        print("  RIGHT." if result.correct else f"  NOT QUITE (score {result.score:.0%}).")
        for remark in result.feedback:
            print(f"  - {remark}")
        why = _md(f"Why: {result.explanation.strip()}", args, indent=2)
        print("\n".join(f"  {line}" if line else "" for line in why.splitlines()))
    score = score_attempt((q.id for q in questions), credits, lesson.quiz.pass_mark)
    if not stopped:
        store.finish_quiz_attempt(attempt, score.score, score.passed)
    print(f"\n{score.sentence()}")
    return 0 if score.passed else 1


def _ask(question: Question, seed: str | None = None) -> Any:
    """Show how to answer, read one answer from stdin (several lines for YAML)."""
    from tutor.content.models import (
        ChoiceQuestionBase,
        MultiQuestion,
        OrderQuestion,
        TrueFalseQuestion,
        YamlQuestion,
    )
    from tutor.quiz.shuffle import choice_order, display_labels, display_order

    if isinstance(question, ChoiceQuestionBase):
        order = choice_order(question, seed)
        labels = display_labels(order)
        for key in order:
            print(f"  {labels[key]}) {_words(question.choices[key])}")
        by_label = {label: key for key, label in labels.items()}
        hint = (
            "letters separated by spaces" if isinstance(question, MultiQuestion) else "one letter"
        )
        line = _read_line(f"Answer ({hint}): ")
        if line is None:
            return None
        # Unknown labels pass through unchanged, so the grader names them.
        picked = [by_label.get(part, part) for part in line.replace(",", " ").split()]
        if isinstance(question, MultiQuestion):
            return picked
        return picked[0] if len(picked) == 1 else line.strip()
    if isinstance(question, TrueFalseQuestion):
        return _read_line("True or false? ")
    if isinstance(question, OrderQuestion):
        shown = display_order(question, seed)
        for position, index in enumerate(shown, 1):
            print(f"  {position}) {_words(question.items[index])}")
        line = _read_line("Order (numbers above, first to last): ")
        if line is None:
            return None
        try:
            return [shown[int(p) - 1] for p in line.replace(",", " ").split()]
        except (ValueError, IndexError):
            return line  # let the grader say what is wrong
    if isinstance(question, YamlQuestion):
        if question.given:
            print("Starting manifest:\n" + question.given.rstrip())
        print("Type the whole manifest; end with a line containing only a dot (.)")
        lines = []
        while (line := _read_line("")) is not None and line.strip() != ".":
            lines.append(line)
        return "\n".join(lines)
    return _read_line("Answer: ")


def _md(markdown: str, args: argparse.Namespace, indent: int = 0) -> str:
    """Markdown rendered for the terminal and wrapped to it, less `indent` columns."""
    from tutor.cli import plain_requested
    from tutor.cli.text import render_markdown, terminal_width

    width = terminal_width() - indent
    return render_markdown(markdown, plain=plain_requested(args), width=width)


def _words(text: str) -> str:
    """One line of inline Markdown as plain words (no backticks or stars)."""
    from tutor.cli.text import inline

    return inline(text, plain=False)


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def run_app(args: argparse.Namespace) -> int:
    """Open the Textual app."""
    from tutor.cli import plain_requested

    try:
        from tutor.app.app import create_app
    except ModuleNotFoundError as exc:  # pragma: no cover - broken install
        print(f"kube-tutor: cannot start the app: {exc}", file=sys.stderr)
        return 2
    app = create_app(
        content=args.content,
        plain=plain_requested(args),
        backend=getattr(args, "app_backend", "sim"),
    )
    app.run()
    return 0
