"""The plain CLI on fixture packs: listing, reading, taking a quiz, exit codes, schemas."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tutor import __version__
from tutor.cli import main
from tutor.content.loader import load_course
from tutor.content.models import OrderQuestion
from tutor.progress.store import ProgressStore
from tutor.quiz import shuffle
from tutor.quiz.grading import display_order

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
GOOD = DATA / "good"


@pytest.fixture(autouse=True)
def only_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in course is written by others right now: load only the fixture packs."""
    monkeypatch.setenv("KUBE_TUTOR_NO_BUILTIN", "1")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `kube-tutor ARGS` in-process; usage errors (SystemExit) become exit codes."""
    try:
        code = main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert (code, out) == (0, f"kube-tutor {__version__}\n")


def test_version_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == f"kube-tutor {__version__}"


@pytest.mark.parametrize(
    ("what", "ids"),
    [
        ("lessons", ["01-alpha", "02-beta"]),
        ("labs", ["01-alpha-lab"]),
        (
            "questions",
            ["q-single", "q-multi", "q-tf", "q-text", "q-order", "q-yaml", "q-predict", "only"],
        ),
    ],
)
def test_list_json(what: str, ids: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["list", what, "--json", "--content", str(GOOD)], capsys)
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert [row["id"] for row in rows] == ids


def test_list_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["--content", str(GOOD), "list", "lessons", "--json"], capsys)
    first = json.loads(out)[0]
    assert first == {
        "id": "01-alpha",
        "title": "Alpha lesson",
        "minutes": 5,
        "kubernetes": "1.37",
        "labs": ["01-alpha-lab"],
        "questions": 7,
        "tags": ["services"],
    }
    _, out, _ = run(["list", "labs", "--json", "--content", str(GOOD)], capsys)
    assert json.loads(out)[0]["checks"] == ["endpoints"]
    _, out, _ = run(["list", "questions", "--json", "--content", str(GOOD)], capsys)
    assert {row["lesson"] for row in json.loads(out)} == {"01-alpha", "02-beta"}


def test_list_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["list", "lessons", "--content", str(GOOD)], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("01-alpha")
    assert "Alpha lesson  (7 questions)" in out
    code, out, _ = run(["list", "labs"], capsys)
    assert (code, out) == (0, "No labs.\n")


def test_list_warns_about_broken_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["list", "lessons", "--json", "--content", str(DATA / "broken")], capsys)
    assert code == 0
    assert [row["id"] for row in json.loads(out)] == ["07-bad-quiz", "10-good"]
    assert "content file(s) have problems" in err and "kube-tutor lint" in err


@pytest.mark.parametrize("wanted", ["1", "01", "01-alpha"])
def test_lesson_prints_and_marks_read(wanted: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lesson", wanted, "--content", str(GOOD)], capsys)
    assert code == 0
    assert out.startswith(
        "Alpha lesson\n============\n\nA small lesson that the unit tests load.\n"
    )
    assert "• Read a fixture lesson" in out
    assert "The body of the alpha lesson." in out
    # Wrapped between words: a long URL goes whole onto the next line.
    assert "Service (kubernetes.io):" in out and "\n  https://kubernetes.io/docs/" in out
    store = ProgressStore()
    assert store.lessons_read() == {"01-alpha"}
    store.close()


def test_unknown_lesson_or_quiz_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["lesson", "9", "--content", str(GOOD)], capsys)
    assert (code, out) == (2, "")
    assert "no lesson '9'" in err
    code, _, err = run(["quiz", "nope", "--content", str(GOOD)], capsys)
    assert code == 2 and "no quiz for 'nope'" in err
    store = ProgressStore()
    assert store.lessons_read() == set()
    store.close()


@pytest.mark.parametrize(
    "args",
    [["list"], ["list", "everything"], ["lesson"], ["no-such-command"], ["--no-such-option"]],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(args, capsys)
    assert code == 2
    assert "usage: kube-tutor" in err


SEED = "cli-test-seed"


@pytest.fixture(autouse=True)
def fixed_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CLI quiz attempt in these tests shuffles with one known seed."""
    monkeypatch.setattr(shuffle, "new_seed", lambda: SEED)


def order_answer(question: Any, order: list[int]) -> str:
    """The positions to type (as shown on screen) to put the items in `order`."""
    assert isinstance(question, OrderQuestion)
    shown = display_order(question, SEED)
    return " ".join(str(shown.index(index) + 1) for index in order)


def labels_for(question: Any, keys: str) -> str:
    """The letters shown in this attempt for the authored choice `keys`."""
    labels = shuffle.display_labels(shuffle.choice_order(question, SEED))
    return " ".join(labels[key] for key in keys.split())


def quiz_input(right: bool) -> str:
    """Answers for the alpha quiz, all right or all wrong (predict questions are skipped)."""
    course = load_course([GOOD], builtin=False)
    lesson = course.lesson("01-alpha")
    assert lesson is not None and lesson.quiz is not None
    order = next(q for q in lesson.quiz.questions if q.type == "order")
    single, multi = lesson.quiz.questions[0], lesson.quiz.questions[1]
    if right:
        manifest = "kind: Service\nspec:\n  selector: {app: web}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n."
        answers = [
            labels_for(single, "b"),
            labels_for(multi, "c a"),
            "yes",
            "  cluster IP ",
            order_answer(order, [0, 1, 2]),
            manifest,
        ]
    else:
        # A YAML syntax error first: it is reported and asked again, then a wrong manifest.
        slip = "kind: Service\nspec:\n  ports: [\n."
        manifest = "kind: Service\nspec:\n  ports: []\n."
        answers = [
            labels_for(single, "a"),
            labels_for(multi, "a"),
            "false",
            "NodePort",
            order_answer(order, [2, 1, 0]),
            slip,
            manifest,
        ]
    return "\n".join(answers) + "\n"


def test_quiz_all_right_grades_records_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(quiz_input(right=True)))
    code, out, _ = run(["quiz", "01-alpha", "--content", str(GOOD)], capsys)
    assert code == 0, out
    assert out.count("  RIGHT.") == 6
    assert "Question 6/6 [yaml, medium]" in out and "q-predict" not in out
    assert "Why: Without a type, a Service gets type ClusterIP." in out
    assert out.rstrip().endswith("Score 100% (6 of 6 fully right). Pass mark 50%: passed.")
    assert "  a) " in out and "  c) " in out  # choices relabelled by shown position
    store = ProgressStore()
    attempts = store.attempts("01-alpha")
    assert [a["question"] for a in attempts] == [
        "q-single",
        "q-multi",
        "q-tf",
        "q-text",
        "q-order",
        "q-yaml",
    ]
    assert all(a["correct"] for a in attempts)
    assert sorted(attempts[1]["answer"]) == ["a", "c"]  # stored as authored keys
    assert store.quiz_summary("01-alpha").correct == 6
    store.close()


def test_quiz_all_wrong_shows_feedback_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(quiz_input(right=False)))
    code, out, _ = run(["quiz", "1", "--content", str(GOOD)], capsys)
    assert code == 1
    assert out.count("NOT QUITE") == 6
    assert "- NodePort must be asked for." in out  # per-choice feedback
    assert "- Also right: NodePort." in out  # by text: the letters on screen are shuffled
    assert "- Accepted: ClusterIP" in out
    assert "- Right order: client Pod -> Service virtual IP -> backend Pod" in out
    assert "YAML syntax error" in out and "on line 4" in out
    assert "this try did not count" in out
    assert out.count("  Why: ") == 6
    assert out.rstrip().endswith("Pass mark 50%: not passed yet.")
    store = ProgressStore()
    assert len(store.attempts("01-alpha")) == 6
    assert store.quiz_summary("01-alpha").correct == 0
    store.close()


def test_quiz_stopped_early_keeps_the_answers_so_far(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\n"))
    code, out, _ = run(["quiz", "01-alpha", "--content", str(GOOD)], capsys)
    assert code == 1
    assert "Stopped; answers so far are saved." in out
    store = ProgressStore()
    assert [a["question"] for a in store.attempts("01-alpha")] == ["q-single"]
    store.close()


def test_quiz_answer_that_is_not_a_choice_is_skipped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("true\n"))
    code, out, _ = run(["quiz", "02-beta", "--content", str(GOOD)], capsys)
    assert code == 0 and "Score 100% (1 of 1 fully right)" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("z\n"))
    code, out, _ = run(["quiz", "01-alpha", "--content", str(GOOD)], capsys)
    assert "Not graded: pick one of: a, b, c. Skipping." in out


def test_quiz_as_a_process_reads_stdin(tmp_path: Path) -> None:
    env = {"KUBE_TUTOR_HOME": str(tmp_path), "KUBE_TUTOR_NO_BUILTIN": "1", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "quiz", "2", "--content", str(GOOD)],
        input="no\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert "NOT QUITE" in done.stdout and "Score 0% (0 of 1 fully right)" in done.stdout
    assert (tmp_path / "progress.db").is_file()


# -- schemas ------------------------------------------------------------------------------


def test_schema_export_writes_three_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["schema", str(tmp_path)], capsys)
    assert code == 0
    names = sorted(Path(line).name for line in out.splitlines())
    assert names == ["lab.schema.json", "lesson.schema.json", "quiz.schema.json"]
    quiz = json.loads((tmp_path / "quiz.schema.json").read_text(encoding="utf-8"))
    assert quiz["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert quiz["additionalProperties"] is False
    assert quiz["properties"]["pass_mark"]["description"].startswith(
        "The quiz score needed to pass: the mean credit over all questions"
    )
    text = quiz["$defs"]["TextQuestion"]["properties"]
    assert text["prompt"]["description"] == "The question, in Markdown."  # from the base class
    assert run(["schema", "--check", str(tmp_path)], capsys)[0] == 0
    (tmp_path / "lab.schema.json").write_text("{}", encoding="utf-8")
    code, _, err = run(["schema", "--check", str(tmp_path)], capsys)
    assert code == 1 and "lab.schema.json: out of date" in err


def test_committed_schemas_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["schema", "--check", str(REPO / "schemas")], capsys)
    assert code == 0, f"{err}run `kube-tutor schema schemas` and commit the result"


def test_schemas_accept_the_good_pack_and_refuse_typos() -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="needs the test extra (jsonschema)")
    import yaml

    from tutor.content.models import LabSpec, LessonMeta, Quiz
    from tutor.content.schema import schema_of

    def validator(model: Any) -> Any:
        return jsonschema.Draft202012Validator(schema_of(model))

    lesson_text = (GOOD / "lessons/01-alpha/lesson.md").read_text(encoding="utf-8")
    front = yaml.safe_load(lesson_text.split("---\n")[1])
    quiz = yaml.safe_load((GOOD / "lessons/01-alpha/quiz.yaml").read_text(encoding="utf-8"))
    lab = yaml.safe_load((GOOD / "labs/01-alpha-lab/lab.yaml").read_text(encoding="utf-8"))
    for model, data in ((LessonMeta, front), (Quiz, quiz), (LabSpec, lab)):
        assert list(validator(model).iter_errors(data)) == []
    assert list(validator(LessonMeta).iter_errors({**front, "titel": "x"}))
    quiz["questions"][0]["type"] = "essay"
    assert list(validator(Quiz).iter_errors(quiz))


def test_a_number_matching_two_labs_asks_for_the_full_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the built-in course and a --content pack that both have a lab 01, `lab check 01`
    must not pick one silently."""
    monkeypatch.delenv("KUBE_TUTOR_NO_BUILTIN")
    monkeypatch.setenv("KUBE_TUTOR_HOME", str(tmp_path))
    code, _, err = run(["lab", "check", "01", "--backend", "sim", "--content", str(GOOD)], capsys)
    assert code == 2
    assert "01-first-service" in err and "01-alpha-lab" in err and "full id" in err


# -- labs on the CLI: the next step, start messages, apply then check, trace, progress ------

PACK = REPO / "tests" / "ui" / "pack"
LAB = "01-fix-selector"


def lab_pack(tmp_path: Path, *, refused: bool = False) -> Path:
    """A copy of the UI pack; with `refused`, a start file the API server refuses (a nodePort
    out of range, as lab 08 of the course does on purpose)."""
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    if refused:
        service = pack / "labs" / LAB / "start" / "service.yaml"
        text = service.read_text(encoding="utf-8")
        text = text.replace("type: ClusterIP\n", "")
        service.write_text(
            text.replace("spec:\n", "spec:\n  type: NodePort\n", 1).replace(
                "targetPort: 8080", "targetPort: 8080\n      nodePort: 8080"
            ),
            encoding="utf-8",
        )
    return pack


def lab_args(pack: Path, *rest: str) -> list[str]:
    return [*rest, "--content", str(pack), "--backend", "sim"]


def test_lab_start_shows_task_files_and_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    code, out, _ = run(lab_args(pack, "lab", "start", LAB), capsys)
    assert code == 0
    assert "The Service that selects nothing" in out
    assert "The Deployment web runs three ready Pods" in out  # Markdown rendered, no backticks
    assert "`web`" not in out
    assert "Your files: deployment.yaml, service.yaml in " in out
    assert f"`kube-tutor lab apply {LAB}` (applies and checks)" in out
    assert "were kept" not in out


def test_lab_start_again_says_the_files_were_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    assert run(lab_args(pack, "lab", "start", LAB), capsys)[0] == 0
    code, out, _ = run(lab_args(pack, "lab", "start", LAB), capsys)
    assert code == 0
    assert out.startswith(
        "Your files from last time were kept (deployment.yaml, service.yaml); "
        f"`kube-tutor lab reset {LAB}` starts over from the start files."
    )
    assert "The Service that selects nothing" in out


def test_lab_start_with_refused_files_still_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A nodePort outside 30000-32767 is refused by the API server (the Service REST
    strategy's port allocator: pkg/registry/core/service/portallocator "not in the valid
    range"); the lab starts anyway, with its task, and `lab check` is what fails."""
    pack = lab_pack(tmp_path, refused=True)
    code, out, err = run(lab_args(pack, "lab", "start", LAB), capsys)
    assert code == 0
    assert "Nothing was applied:" in err and "not in the valid range" in err
    assert "The Service that selects nothing" in out
    assert "that refusal is the problem this lab asks you to fix. The lab has started." in out
    code, out, _ = run(lab_args(pack, "lab", "check", LAB), capsys)
    assert code == 1 and "[FAIL]" in out


def test_lab_apply_checks_unless_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    run(lab_args(pack, "lab", "start", LAB), capsys)
    code, out, _ = run(lab_args(pack, "lab", "apply", LAB), capsys)
    assert code == 0  # applied; the failing checks are shown, `lab check` is the verdict
    assert "Service web configured" in out or "Service web unchanged" in out
    assert "[FAIL] endpoints" in out and "0/2 checks pass" in out
    code, out, _ = run(lab_args(pack, "lab", "apply", LAB, "--no-check"), capsys)
    assert code == 0 and "checks pass" not in out


def test_lab_solve_checks_and_names_the_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    run(lab_args(pack, "lab", "start", LAB), capsys)
    code, out, _ = run(lab_args(pack, "lab", "solve", LAB), capsys)
    assert code == 0
    assert "2/2 checks pass" in out
    # The pack's lesson 01 has a quiz: it comes next, before lesson 02.
    assert (
        "Every check passes: lab done! Next: the quiz of lesson 01-services: Services in short. "
        "Run `kube-tutor quiz 01-services`." in out
    )
    code, out, _ = run(lab_args(pack, "lab", "check", LAB), capsys)
    assert code == 0 and "Next: the quiz of lesson 01-services" in out


def test_trace_without_target_traces_the_failing_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    run(lab_args(pack, "lab", "start", LAB), capsys)
    code, out, _ = run(lab_args(pack, "trace", LAB, "--plain"), capsys)
    assert code == 1
    assert out.startswith("Tracing the request of check reach: http://web/hostname\n")
    assert "[FAIL] kube-proxy" in out


def test_trace_after_solve_starts_from_the_real_probe_pod(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check round `lab solve` runs starts the probe Pod, so the trace leaves from it,
    as in the app (the data plane names a stand-in only when that Pod is missing)."""
    pack = lab_pack(tmp_path)
    run(lab_args(pack, "lab", "start", LAB), capsys)
    run(lab_args(pack, "lab", "solve", LAB, "--no-check"), capsys)
    code, out, _ = run(lab_args(pack, "trace", LAB, "http://web/hostname", "--plain"), capsys)
    assert code == 0
    assert "stand-in" not in out
    assert "[ok] client: Pod kt-01-fix-selector/kube-tutor-probe on kube-tutor-worker" in out


def test_progress_summary_counts_and_names_the_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    code, out, _ = run(["progress", "--plain", "--content", str(pack)], capsys)
    assert code == 0
    assert out.splitlines() == [
        "Course progress [--------------------] 0%",
        "Lessons 0/2 read, quizzes 0/2 passed, labs 0/1 done.",
        "Next: lesson 01-services: Services in short. Run `kube-tutor lesson 01-services`.",
    ]
    run(["lesson", "1", "--content", str(pack)], capsys)
    run(lab_args(pack, "lab", "solve", LAB), capsys)
    code, out, _ = run(["progress", "--json", "--content", str(pack)], capsys)
    document = json.loads(out)
    assert document["lessons"] == {"done": 1, "total": 2}
    assert document["labs"] == {"done": 1, "total": 1}
    assert document["next"] == {
        "kind": "quiz",
        "id": "01-services",
        "command": "kube-tutor quiz 01-services",
    }


def test_lesson_is_wrapped_to_the_terminal_without_markup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    code, out, _ = run(["lesson", "1", "--plain", "--content", str(PACK)], capsys)
    assert code == 0
    lines = out.splitlines()
    prose = [line for line in lines if not line.startswith("    ") and "https://" not in line]
    assert max(len(line) for line in prose) <= 39  # code and URLs are never broken
    assert "**" not in out and "`" not in out
    assert "- The default type is ClusterIP." in out
    assert all(ord(ch) < 128 for ch in out)  # --plain: no box drawing, no typographic marks


def test_map_prints_the_lab_cluster_from_live_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    run(lab_args(pack, "lab", "start", LAB), capsys)
    code, out, _ = run(lab_args(pack, "map", LAB, "--plain"), capsys)
    assert code == 0
    assert out.startswith(f"Cluster map of kt-{LAB} on sim\n")
    assert "Nodes by zone" in out and "zone zone-a" in out
    assert out.count("[ready] Pod web-") == 3
    assert "--x no endpoints: the selector matches no Pod" in out
    assert "Last trace\n  none yet" in out
    run(lab_args(pack, "trace", LAB), capsys)
    code, out, _ = run(lab_args(pack, "map", LAB, "--plain"), capsys)
    assert "<< TRACE BROKE HERE" in out and "[BROKE: no-endpoints]" in out
    run(lab_args(pack, "lab", "solve", LAB, "--no-check"), capsys)
    code, out, _ = run(lab_args(pack, "map", LAB, "--json"), capsys)
    document = json.loads(out)
    (web,) = [s for s in document["services"] if s["name"] == "web"]
    assert len(web["endpoints"]) == 3 and all(e["ready"] for e in web["endpoints"])
    assert document["trace"]["ok"] is True  # the last request, traced again after the fix


def test_watch_stops_when_the_lab_is_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = lab_pack(tmp_path)
    run(lab_args(pack, "lab", "solve", LAB, "--no-check"), capsys)
    code, out, _ = run(lab_args(pack, "lab", "watch", LAB), capsys)
    assert code == 0
    assert "2/2 checks pass" in out
    assert out.rstrip().endswith("Stopped watching: the lab is done.")
    assert "\x1b[2J" not in out  # not a terminal: no screen clearing


def test_list_cache_follows_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second `list` reads its rows from the cache (no course load); editing a file
    changes the key, so the next `list` shows the edit."""
    import shutil

    from tutor.cli import course as course_cli

    pack = tmp_path / "pack"
    shutil.copytree(GOOD, pack)
    assert run(["list", "lessons", "--json", "--content", str(pack)], capsys)[0] == 0
    loads: list[object] = []
    with monkeypatch.context() as patched:
        patched.setattr(course_cli, "load", lambda *a, **k: loads.append(a) or load_course())
        code, out, _ = run(["list", "lessons", "--json", "--content", str(pack)], capsys)
    assert code == 0 and loads == [] and json.loads(out)[0]["title"] == "Alpha lesson"
    lesson = pack / "lessons" / "01-alpha" / "lesson.md"
    lesson.write_text(lesson.read_text().replace("title: Alpha lesson", "title: Alpha, edited"))
    code, out, _ = run(["list", "lessons", "--json", "--content", str(pack)], capsys)
    assert json.loads(out)[0]["title"] == "Alpha, edited"


def test_list_cache_roots_match_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutor.cli.listcache import course_roots
    from tutor.content.loader import default_roots

    monkeypatch.delenv("KUBE_TUTOR_NO_BUILTIN")
    assert course_roots([]) == default_roots()
