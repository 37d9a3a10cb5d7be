"""`kube-tutor review`: what is due for review (questions answered wrong, labs failed or
done with hints), asked again now; FSRS moves each card by how it went."""

from __future__ import annotations

import argparse
import json
import time


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `review` command."""
    from tutor.cli import add_global_options

    p = sub.add_parser("review", help="review what is due: questions and labs that went wrong")
    p.add_argument("--list", action="store_true", help="list the deck with due dates; ask nothing")
    p.add_argument("--json", action="store_true", help="with --list: print JSON")
    add_global_options(p)
    p.set_defaults(handler=cmd_review)


def _when(due: float, now: float) -> str:
    left = due - now
    if left <= 0:
        return "due now"
    for size, word in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if left >= size:
            n = round(left / size)
            return f"in {n} {word}{'s' if n != 1 else ''}"
    return "in under a minute"


def cmd_review(args: argparse.Namespace) -> int:
    """List the deck, or ask each due question once and tell what to redo for due labs."""
    from tutor.cli.course import _ask, load
    from tutor.modes.review import ReviewDeck, ReviewRun
    from tutor.progress.store import ProgressStore

    store = ProgressStore()
    deck = ReviewDeck(store)
    deck.sync()
    now = time.time()
    if args.list:
        cards = deck.items()
        if args.json:
            rows = [{"item": c.item, "reason": c.reason, "due": c.due} for c in cards]
            print(json.dumps(rows, indent=2))
        elif not cards:
            print("Nothing to review: nothing has gone wrong yet.")
        else:
            print("\n".join(f"{_when(c.due, now):<18} {c.item}  ({c.reason})" for c in cards))
        return 0
    if not deck.due(now):
        upcoming = deck.items()
        nxt = f" Next: {upcoming[0].item}, {_when(upcoming[0].due, now)}." if upcoming else ""
        print(f"Nothing is due for review.{nxt}")
        return 0
    run = ReviewRun(store, load(args), now)
    print(f"{len(run.questions) + len(run.labs)} due for review.")
    for card in run.labs:
        lab_id = card.item.removeprefix("lab:")
        print(
            f"\nLab {lab_id} ({card.reason}): do it again without hints, "
            f"`kube-tutor lab reset {lab_id}` then `kube-tutor lab check {lab_id}`."
        )
    while (current := run.current) is not None:
        lesson_id, question = current
        print(f"\n[{lesson_id}] {question.prompt.rstrip()}")
        answer = _ask(question)
        if answer is None:
            print("\nStopped.")
            break
        try:
            result = run.answer(answer)
        except ValueError as exc:
            print(f"  Not graded: {exc}.")
            run.advance()
            continue
        if result.retry:  # a YAML slip: not counted, asked again
            print(f"  {'; '.join(result.feedback)}")
            continue
        print("  RIGHT." if result.correct else f"  NOT QUITE ({result.score:.0%}).")
        for remark in result.feedback:
            print(f"  - {remark}")
        print(f"  Why: {result.explanation.strip()}")
        run.advance()
    upcoming = deck.items()
    if upcoming:
        print(f"\nNext review: {upcoming[0].item}, {_when(upcoming[0].due, time.time())}.")
    return 0
