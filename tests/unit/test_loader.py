"""The loader: one bad fixture file per failure mode, each reported with its file and line,
while every other item of the pack still loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.cli import main
from tutor.content.loader import Course, Problem, load_course

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "good"
BROKEN = DATA / "broken"
DUP = DATA / "dup"


@pytest.fixture(scope="module")
def broken() -> Course:
    """The broken pack loaded on its own."""
    return load_course([BROKEN], builtin=False)


def problems_of(course: Course, relative: str) -> list[Problem]:
    """The problems reported for one file or folder of the broken pack."""
    target = BROKEN / relative
    return [p for p in course.problems if p.file == target]


def test_the_good_items_of_the_broken_pack_still_load(broken: Course) -> None:
    assert [lesson.id for lesson in broken.lessons] == ["07-bad-quiz", "10-good"]
    assert [lab.id for lab in broken.labs] == ["02-good-lab"]
    good = broken.lesson("10-good")
    assert good is not None and good.quiz is not None
    assert good.body.strip() == "Body of the good lesson."


def test_every_broken_item_is_reported_and_nothing_else(broken: Course) -> None:
    reported = {p.file.relative_to(BROKEN).parts[:2] for p in broken.problems}
    on_disk = {
        (kind, folder.name)
        for kind in ("lessons", "labs")
        for folder in (BROKEN / kind).iterdir()
        if folder.name not in {"10-good", "02-good-lab"}
    }
    assert reported == on_disk


@pytest.mark.parametrize(
    ("relative", "line", "message"),
    [
        (
            "lessons/01-yaml-syntax/lesson.md",
            4,
            "YAML syntax error: mapping values are not allowed",
        ),
        ("lessons/11-unclosed-bracket/lesson.md", 6, "(see line 5: while parsing a flow sequence)"),
        ("lessons/02-unknown-key/lesson.md", 6, "minuts: unknown key (check its spelling)"),
        ("lessons/03-missing-key/lesson.md", 2, "summary: required key is missing"),
        ("lessons/04-unclosed/lesson.md", 1, "front matter is not closed"),
        ("lessons/05-no-front-matter/lesson.md", 1, "must start with YAML front matter"),
        (
            "lessons/06-wrong-id/lesson.md",
            5,
            "id '06-other-name' must equal the folder name '06-wrong-id'",
        ),
        (
            "lessons/07-bad-quiz/quiz.yaml",
            13,
            "questions.1.answer: answer 'c' is not one of the choices",
        ),
        ("lessons/09-not-utf8/lesson.md", 5, "byte 0xe9 is not UTF-8"),
        ("labs/01-bad-lab/lab.yaml", 4, "kind: Input should be 'build', 'fix' or 'explore'"),
        (
            "labs/04-wrong-lab-id/lab.yaml",
            4,
            "id '04-other-lab' must equal the folder name '04-wrong-lab-id'",
        ),
        ("labs/05-not-utf8/lab.yaml", 5, "byte 0xff is not UTF-8"),
    ],
)
def test_problem_names_file_line_and_cause(
    broken: Course, relative: str, line: int, message: str
) -> None:
    found = problems_of(broken, relative)
    assert found, f"no problem reported for {relative}"
    assert any(p.line == line and message in p.message for p in found), found
    # `file:line: message`, the file shown relative to the working folder when it is inside it
    shown = [str(p) for p in found]
    assert any(f"broken/{relative}:{line}: " in text for text in shown), shown


def test_unknown_key_also_reports_the_key_it_replaced(broken: Course) -> None:
    # `minuts` instead of `minutes`: both the typo and the missing key are reported.
    messages = [p.message for p in problems_of(broken, "lessons/02-unknown-key/lesson.md")]
    assert sorted(messages) == [
        "minutes: required key is missing",
        "minuts: unknown key (check its spelling)",
    ]


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ("lessons/08-no-lesson-md", "lesson folder has no lesson.md"),
        ("labs/03-no-lab-yaml", "lab folder has no lab.yaml"),
    ],
)
def test_folder_without_its_file(broken: Course, relative: str, message: str) -> None:
    found = problems_of(broken, relative)
    assert [(p.line, p.message) for p in found] == [(None, message)]
    assert str(found[0]).endswith(f"broken/{relative}: {message}")


def test_a_bad_quiz_leaves_its_lesson_loaded_without_it(broken: Course) -> None:
    lesson = broken.lesson("07-bad-quiz")
    assert lesson is not None
    assert lesson.quiz is None
    assert lesson.quiz_path == BROKEN / "lessons/07-bad-quiz/quiz.yaml"
    assert BROKEN / "lessons/07-bad-quiz/quiz.yaml" in broken.broken_files()


def test_duplicate_ids_across_packs_keep_the_first() -> None:
    course = load_course([BROKEN, DUP], builtin=False)
    lesson = course.lesson("10-good")
    lab = course.lab("02-good-lab")
    assert lesson is not None and lesson.path.is_relative_to(BROKEN)
    assert lab is not None and lab.path.is_relative_to(BROKEN)
    dup = [
        (p.file.relative_to(DUP), p.line, p.message)
        for p in course.problems
        if p.file.is_relative_to(DUP)
    ]
    assert sorted(dup) == [
        (Path("labs/02-good-lab/lab.yaml"), 2, "lab id '02-good-lab' is used twice"),
        (Path("lessons/10-good/lesson.md"), 3, "lesson id '10-good' is used twice"),
    ]


def test_good_pack_loads_in_order_with_everything() -> None:
    course = load_course([GOOD], builtin=False)
    assert course.problems == []
    assert [lesson.id for lesson in course.lessons] == ["01-alpha", "02-beta"]
    alpha = course.lesson("01-alpha")
    assert alpha is not None and alpha.quiz is not None
    assert [q.type for q in alpha.quiz.questions] == [
        "single",
        "multi",
        "truefalse",
        "text",
        "order",
        "yaml",
        "predict",
    ]
    assert alpha.body_line == 15
    assert alpha.path.read_text(encoding="utf-8").splitlines()[alpha.body_line - 1] == "# Alpha"
    assert [lab.id for lab in course.labs_of("01-alpha")] == ["01-alpha-lab"]
    lab = course.lab("01-alpha-lab")
    assert lab is not None
    assert lab.start_dir == GOOD / "labs/01-alpha-lab/start" and lab.start_dir.is_dir()
    assert [(lesson.id, q.id) for lesson, q in course.questions()][-1] == ("02-beta", "only")


def test_missing_content_folder_is_a_problem(tmp_path: Path) -> None:
    course = load_course([tmp_path / "nowhere"], builtin=False)
    assert [p.message for p in course.problems] == ["content folder does not exist"]


def test_hidden_and_underscore_folders_are_ignored(tmp_path: Path) -> None:
    for name in (".git", "_drafts"):
        (tmp_path / "lessons" / name).mkdir(parents=True)
    (tmp_path / "lessons" / "README.md").write_text("not a folder", encoding="utf-8")
    course = load_course([tmp_path], builtin=False)
    assert course.problems == [] and course.lessons == []


def test_lesson_without_body_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "lessons" / "01-empty"
    folder.mkdir(parents=True)
    front = (GOOD / "lessons/02-beta/lesson.md").read_text(encoding="utf-8").split("# Beta")[0]
    (folder / "lesson.md").write_text(front.replace("02-beta", "01-empty"), encoding="utf-8")
    course = load_course([tmp_path], builtin=False)
    assert course.lessons == []
    [problem] = course.problems
    assert problem.line == 11 and "no body" in problem.message


def test_front_matter_that_is_not_a_mapping(tmp_path: Path) -> None:
    folder = tmp_path / "lessons" / "01-list"
    folder.mkdir(parents=True)
    (folder / "lesson.md").write_text("---\n- a\n- b\n---\nBody\n", encoding="utf-8")
    [problem] = load_course([tmp_path], builtin=False).problems
    assert (problem.line, problem.message) == (2, "expected a mapping of keys to values")


def test_no_builtin_env_var_loads_only_the_given_packs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBE_TUTOR_NO_BUILTIN", "1")
    course = load_course([GOOD])
    assert course.roots == [GOOD]
    monkeypatch.setenv("KUBE_TUTOR_NO_BUILTIN", "0")
    assert len(load_course([GOOD]).roots) == 2


def test_content_option_adds_a_pack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--content DIR` adds the pack to the built-in course; its ids are listed."""
    assert main(["list", "lessons", "--json", "--content", str(GOOD)]) == 0
    ids = [row["id"] for row in json.loads(capsys.readouterr().out)]
    assert {"01-alpha", "02-beta"} <= set(ids)
    monkeypatch.setenv("KUBE_TUTOR_NO_BUILTIN", "1")
    assert (
        main(["--content", str(GOOD), "--content", str(BROKEN), "list", "lessons", "--json"]) == 0
    )
    captured = capsys.readouterr()
    assert [row["id"] for row in json.loads(captured.out)] == [
        "01-alpha",
        "02-beta",
        "07-bad-quiz",
        "10-good",
    ]
    assert "content file(s) have problems" in captured.err
