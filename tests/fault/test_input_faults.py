"""Hostile and odd input: alias bombs, huge files, FIFOs, links out of the pack, wrong
types in learner files, bad regexes, NUL and non-UTF-8 bytes, and a CLI with broken
streams (issue 11, items 5-12 and 14). Nothing may crash, hang or print a traceback."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.fault.helpers import GOOD, LAB, run_cli
from tutor.content.lint import lint_course
from tutor.content.loader import load_course
from tutor.content.yamlsrc import MAX_FILE_BYTES, YamlSyntaxError, parse_yaml, parse_yaml_documents
from tutor.labs.workspace import read_manifests

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
"""Billion laughs: nine levels of nine aliases, 9**9 strings once expanded."""

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A copy of the good fixture pack that a test may spoil."""
    target = tmp_path / "pack"
    shutil.copytree(GOOD, target)
    return target


@pytest.mark.parametrize("parse", [parse_yaml, parse_yaml_documents])
def test_alias_bomb_is_refused_at_once(parse: object) -> None:
    started = time.perf_counter()
    with pytest.raises(YamlSyntaxError, match="alias bomb") as caught:
        parse(BOMB)  # type: ignore[operator]
    assert time.perf_counter() - started < 0.5
    assert caught.value.line is not None


def test_alias_bomb_in_a_workspace_and_in_solution(tmp_path: Path, pack: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    read = read_manifests(tmp_path, {"default"})
    assert [p.file.name for p in read.problems] == ["bomb.yaml"]
    assert "alias bomb" in read.problems[0].message and read.problems[0].line
    (pack / "labs" / LAB / "solution" / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    report = lint_course(load_course([pack], builtin=False), schemas=False)
    assert any(p.file.name == "bomb.yaml" and "alias bomb" in p.message for p in report.problems)
    assert time.perf_counter() - started < 2


def test_self_referring_alias_and_deep_nesting(tmp_path: Path) -> None:
    for text, words in (("a: &x [*x]\n", "refers to the value"), ("[" * 500 + "]" * 500, "deeper")):
        with pytest.raises(YamlSyntaxError, match=words):
            parse_yaml(text)


def test_a_legitimate_file_with_aliases_still_loads() -> None:
    data = parse_yaml("base: &b {app: web}\none: *b\ntwo: *b\n").data
    assert data == {"base": {"app": "web"}, "one": {"app": "web"}, "two": {"app": "web"}}


def test_huge_files_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as handle:
        handle.write(SERVICE)
        handle.write("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    started = time.perf_counter()
    read = read_manifests(tmp_path, {"default"})
    assert time.perf_counter() - started < 1
    assert "reads files up to" in read.problems[0].message


def test_quiz_with_thousands_of_broken_questions_lints_fast(pack: Path) -> None:
    """Item 6: each problem used to parse the whole file again (2,000 took minutes)."""
    quiz = pack / "lessons" / "01-alpha" / "quiz.yaml"
    broken = "".join(
        f"  - id: q{n}\n    type: single\n    prompt: p\n    choices: 7\n" for n in range(2000)
    )
    quiz.write_text("questions:\n" + broken, encoding="utf-8")
    started = time.perf_counter()
    report = lint_course(load_course([pack], builtin=False), schemas=False)
    assert time.perf_counter() - started < 5
    lines = {p.line for p in report.problems if p.file == quiz}
    assert len(lines) >= 2000  # each at its own line


def test_invalid_regex_in_quiz_and_check_is_a_problem_at_its_line(pack: Path) -> None:
    """Item 7: `re.error` crashed lint."""
    quiz = pack / "lessons" / "01-alpha" / "quiz.yaml"
    text = quiz.read_text(encoding="utf-8")
    text += (
        "  - id: bad-regex\n    type: yaml\n    prompt: Fix it.\n"
        "    explanation: The kind is Service.\n"
        "    solution: |\n      kind: Service\n    expect:\n"
        "      - path: kind\n        matches: '(unclosed'\n"
    )
    quiz.write_text(text, encoding="utf-8")
    course = load_course([pack], builtin=False)
    assert not [p for p in course.problems if p.file == quiz], course.problems
    report = lint_course(course, schemas=False)
    found = [p for p in report.problems if "not a valid regex" in p.message]
    assert found and found[0].file == quiz
    assert found[0].line == text.splitlines().index("        matches: '(unclosed'") + 1


def test_fifo_in_workspace_and_pack_never_blocks(tmp_path: Path, pack: Path) -> None:
    """Item 9: opening a FIFO waits for a writer forever."""
    (tmp_path / "service.yaml").write_text(SERVICE, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.yaml")
    read = read_manifests(tmp_path, {"default"})
    assert [(p.file.name, "not a regular file" in p.message) for p in read.problems] == [
        ("pipe.yaml", True)
    ]
    os.mkfifo(pack / "labs" / LAB / "start" / "pipe.yaml")
    os.remove(pack / "lessons" / "02-beta" / "quiz.yaml")
    os.mkfifo(pack / "lessons" / "02-beta" / "quiz.yaml")
    course = load_course([pack], builtin=False)
    report = lint_course(course, schemas=False)
    names = {p.file.name for p in report.problems if "not a regular file" in p.message}
    assert names == {"pipe.yaml", "quiz.yaml"}


def test_fifo_in_workspace_through_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(["lab", "start", LAB, "--backend", "sim"], home).no_traceback().code == 0
    os.mkfifo(home / "workspaces" / LAB / "zz.yaml")
    for action in ("apply", "check"):
        ran = run_cli(["lab", action, LAB, "--backend", "sim"], home, timeout=30).no_traceback()
        assert ran.code in (0, 1)
        if action == "apply":
            assert "zz.yaml" in ran.err and "not a regular file" in ran.err


def test_links_out_of_the_pack_are_refused(pack: Path, tmp_path: Path) -> None:
    """Item 11: a quiz.yaml linked to a system file had that file's lines in lint output."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET-LINE\n", encoding="utf-8")
    quiz = pack / "lessons" / "01-alpha" / "quiz.yaml"
    quiz.unlink()
    quiz.symlink_to(secret)
    start = pack / "labs" / LAB / "start" / "linked.yaml"
    start.symlink_to(secret)
    report = lint_course(load_course([pack], builtin=False), schemas=False)
    text = "\n".join(str(p) for p in report.problems)
    assert "TOP-SECRET-LINE" not in text
    linked = {p.file.name for p in report.problems if "outside the course pack" in p.message}
    assert linked == {"quiz.yaml", "linked.yaml"}


def test_lab_namespaces_and_foreign_objects_are_lint_problems(pack: Path) -> None:
    lab_yaml = pack / "labs" / LAB / "lab.yaml"
    text = lab_yaml.read_text(encoding="utf-8")
    assert "namespaces:" not in text
    lab_yaml.write_text(text + "namespaces:\n  - ../../etc\n  - kube-system\n", encoding="utf-8")
    report = lint_course(load_course([pack], builtin=False), schemas=False)
    messages = [p.message for p in report.problems if p.file == lab_yaml]
    assert any("'../../etc' is not a namespace name" in m for m in messages)
    assert any("'kube-system' belongs to the cluster" in m for m in messages)
    lab_yaml.write_text(text, encoding="utf-8")
    solution = pack / "labs" / LAB / "solution" / "extra.yaml"
    solution.write_text(
        "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: kube-system\n",
        encoding="utf-8",
    )
    report = lint_course(load_course([pack], builtin=False), schemas=False)
    found = sorted((p.line, p.message.split(" ")[0]) for p in report.problems if p.file == solution)
    assert found == [(1, "PersistentVolume"), (6, "namespace")]


WRONG_TYPES = {
    "namespace-list": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: [kube-system]\n",
        5,
        "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.namespace of type string",
    ),
    "kind-list": (
        "apiVersion: v1\nkind: [Service]\nmetadata:\n  name: s\n",
        2,
        "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go struct field .kind of type string",
    ),
    "kind-mapping": (
        "apiVersion: v1\nkind: {a: b}\nmetadata:\n  name: s\n",
        2,
        "cannot unmarshal object into Go struct field .kind of type string",
    ),
    "spec-string": (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec: hello\n",
        5,
        'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field Service.spec of type v1.ServiceSpec',
    ),
    "ports-mapping": (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    port: 80\n",
        6,
        "json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort",
    ),
    "name-number": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 5\n",
        4,
        "cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string",
    ),
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_wrong_types_are_refused_at_their_line_in_the_servers_words(
    tmp_path: Path, case: str
) -> None:
    """Item 8: wording of kube-apiserver (see tutor/labs/shapes.py for the source)."""
    text, line, words = WRONG_TYPES[case]
    (tmp_path / "x.yaml").write_text(text, encoding="utf-8")
    read = read_manifests(tmp_path, {"default", "kube-system"})
    assert not read.objects
    assert [(p.file.name, p.line) for p in read.problems] == [("x.yaml", line)]
    assert words in read.problems[0].message


@pytest.mark.parametrize("case", ["ports-mapping", "spec-string", "kind-list"])
def test_wrong_types_through_apply_and_check(tmp_path: Path, case: str) -> None:
    """Applied, then `lab check` used to crash."""
    home = tmp_path / "home"
    assert run_cli(["lab", "start", LAB, "--backend", "sim"], home).code == 0
    (home / "workspaces" / LAB / "x.yaml").write_text(WRONG_TYPES[case][0], encoding="utf-8")
    apply = run_cli(["lab", "apply", LAB, "--backend", "sim"], home).no_traceback()
    assert apply.code == 1 and f"x.yaml:{WRONG_TYPES[case][1]}:" in apply.err
    check = run_cli(["lab", "check", LAB, "--backend", "sim"], home).no_traceback()
    assert check.code in (0, 1)


BLAME = {
    "crd": ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "cluster-wide"),
    "pv": ("v1", "PersistentVolume", "cluster-wide"),
    "job": ("batch/v1", "Job", 'Unsupported value: "Job"'),
    "unknown": ("example.com/v1", "Widget", 'Unsupported value: "Widget"'),
    "list": ("v1", "List", "holds other objects"),
}


@pytest.mark.parametrize("case", sorted(BLAME))
def test_errors_name_the_file_line_and_object_that_caused_them(tmp_path: Path, case: str) -> None:
    """Item 10: these were reported as `deployment.yaml:2: Deployment web: ...`."""
    home = tmp_path / "home"
    assert run_cli(["lab", "start", LAB, "--backend", "sim"], home).code == 0
    api, kind, words = BLAME[case]
    (home / "workspaces" / LAB / "x.yaml").write_text(
        f"# {case}\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: thing\n", encoding="utf-8"
    )
    ran = run_cli(["lab", "apply", LAB, "--backend", "sim"], home).no_traceback()
    problems = [line.strip() for line in ran.err.splitlines() if ".yaml" in line]
    assert problems and all("x.yaml:" in line for line in problems), ran.err
    assert words in ran.err


def test_nul_in_front_matter_and_non_utf8_workspace_file_have_lines(
    pack: Path, tmp_path: Path
) -> None:
    """Item 14."""
    lesson = pack / "lessons" / "02-beta" / "lesson.md"
    lines = lesson.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + "\x00\n"
    lesson.write_text("".join(lines), encoding="utf-8")
    course = load_course([pack], builtin=False)
    found = [p for p in course.problems if p.file == lesson]
    assert [(p.line, "U+0000" in p.message) for p in found] == [(3, True)]
    (tmp_path / "latin1.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\n# caf\xe9\n")
    read = read_manifests(tmp_path, {"default"})
    assert [(p.line, p.message.startswith("byte 0xe9")) for p in read.problems] == [(3, True)]


# -- the command line with hostile surroundings -------------------------------------------


def test_huge_numeric_ids(tmp_path: Path) -> None:
    """Item 12: `int()` of 100,000 digits raised `ValueError: Exceeds the limit`."""
    huge = "1" * 100_000
    for command in (
        ["lesson", huge],
        ["lab", "start", huge, "--backend", "sim"],
        ["quiz", "0" * 5000 + "1"],
    ):
        ran = run_cli(command, tmp_path / "home").no_traceback()
        assert ran.code in (0, 1, 2), ran.err
    assert run_cli(["lesson", "0001"], tmp_path / "home").no_traceback().code == 0


def test_quiz_with_stdin_closed(tmp_path: Path) -> None:
    ran = run_cli(["quiz", "1"], tmp_path / "home", close_stdin=True, stdin=None).no_traceback()
    assert "Stopped" in ran.out and ran.code == 1


def test_stdout_on_dev_full(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        for command in (["list", "lessons"], ["lesson", "1"], ["progress", "export"]):
            ran = run_cli(command, tmp_path / "home", stdout=full.fileno()).no_traceback()
            assert ran.code == 3 and "no space left" in ran.err, ran.err


def test_ascii_terminal(tmp_path: Path, pack: Path) -> None:
    lesson = pack / "lessons" / "01-alpha" / "lesson.md"
    lesson.write_text(
        lesson.read_text(encoding="utf-8") + "\nArrows → and “quotes”.\n", encoding="utf-8"
    )
    env = {"PYTHONIOENCODING": "ascii"}
    ran = run_cli(["lesson", "01-alpha", "--content", str(pack)], tmp_path / "home", extra_env=env)
    ran.no_traceback()
    # the terminal renderer writes ASCII stand-ins rather than `?`
    assert ran.code == 0 and 'Arrows -> and "quotes".' in ran.out


def test_an_internal_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The boundary: a bug anywhere in a command is one line and exit code 4."""
    from tutor.cli import EXIT_INTERNAL, main
    from tutor.progress.store import ProgressStore

    def broken(self: ProgressStore) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ProgressStore, "export", broken)
    assert main(["progress", "export"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert "internal error (ZeroDivisionError: a bug)" in err and "KUBE_TUTOR_DEBUG=1" in err
