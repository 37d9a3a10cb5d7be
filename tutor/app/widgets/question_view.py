"""One quiz question: its prompt and the right kind of answer widget for its type."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Markdown, Static

from tutor.app.widgets.choice_list import ChoiceList
from tutor.app.widgets.order_list import OrderList
from tutor.app.widgets.yaml_editor import YamlEditor
from tutor.content.models import (
    MultiQuestion,
    OrderQuestion,
    Question,
    SingleQuestion,
    TrueFalseQuestion,
    YamlQuestion,
)
from tutor.quiz.grading import Answer, Grade
from tutor.quiz.shuffle import choice_order, display_order

TRUE_FALSE = {"true": "True", "false": "False"}

HOW_TO = {
    "single": "Mark one choice: arrow keys and Space, or its letter. Then Ctrl+S submits.",
    "multi": "Mark every right choice: arrow keys and Space, or the letters. Ctrl+S submits.",
    "truefalse": "Mark True or False: arrow keys and Space, or t / f. Ctrl+S submits.",
    "text": "Type your answer and press Enter.",
    "order": "Put the items in order: arrows pick an item, u / d move it. Ctrl+S submits.",
    "yaml": "Edit the manifest (Tab leaves the editor). Ctrl+S submits.",
}


class QuestionView(Vertical):
    """Shows a question and collects an answer; posts `Answered` when the learner submits."""

    class Answered(Message):
        """The learner submitted; `answer` is None when nothing was given yet."""

        def __init__(self, question: Question, answer: Answer | None) -> None:
            super().__init__()
            self.question = question
            self.answer = answer

    def __init__(
        self,
        question: Question,
        *,
        seed: str | None = None,
        blink: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.question = question
        self.seed = seed
        """The attempt's shuffle seed: choices and order items are shown in its order."""
        self.blink = blink

    def compose(self) -> ComposeResult:
        question = self.question
        yield Markdown(question.prompt, classes="prompt")
        yield Static(HOW_TO.get(question.type, ""), classes="how-to", markup=False)
        yield self._answer_widget()

    def _answer_widget(self) -> Widget:
        question = self.question
        if isinstance(question, SingleQuestion | MultiQuestion):
            multiple = isinstance(question, MultiQuestion)
            order = choice_order(question, self.seed)
            return ChoiceList(question.choices, multiple=multiple, order=order, id="answer")
        if isinstance(question, TrueFalseQuestion):
            return ChoiceList(TRUE_FALSE, multiple=False, id="answer")
        if isinstance(question, OrderQuestion):
            return OrderList(question.items, display_order(question, self.seed), id="answer")
        if isinstance(question, YamlQuestion):
            editor = YamlEditor(question.given, id="answer", indent_keys=True)
            editor.cursor_blink = self.blink
            return editor
        field = Input(placeholder="Your answer", id="answer")
        field.cursor_blink = self.blink
        return field

    @property
    def answer_widget(self) -> Widget:
        """The widget that takes the answer (to focus it)."""
        return self.query_one("#answer")

    def current_answer(self) -> Answer | None:
        """What the learner has given so far, in the shape `grade` expects."""
        widget = self.answer_widget
        if isinstance(widget, ChoiceList):
            value = widget.value
            if isinstance(self.question, TrueFalseQuestion) and isinstance(value, str):
                return value == "true"
            return value
        if isinstance(widget, OrderList):
            return widget.value
        if isinstance(widget, YamlEditor):
            return widget.text if widget.text.strip() else None
        if isinstance(widget, Input):
            return widget.value if widget.value.strip() else None
        return None  # pragma: no cover - every type has a widget above

    def submit(self) -> None:
        """Post the current answer."""
        self.post_message(self.Answered(self.question, self.current_answer()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the text field submits."""
        event.stop()
        self.submit()

    def show_grade(self, grade: Grade) -> None:
        """Lock the answer and mark it: per choice, per item, or the YAML error line.

        A YAML answer that could not be read (`grade.retry`) stays editable, with the cursor on
        the line of the error, so the learner fixes the slip and submits again."""
        widget = self.answer_widget
        question = self.question
        if grade.retry:
            if isinstance(widget, YamlEditor) and grade.line is not None:
                widget.go_to_line(grade.line)
            widget.focus()
            return
        if isinstance(widget, ChoiceList):
            if isinstance(question, SingleQuestion):
                widget.reveal({question.answer})
            elif isinstance(question, MultiQuestion):
                widget.reveal(set(question.answer))
            elif isinstance(question, TrueFalseQuestion):
                widget.reveal({"true" if question.answer else "false"})
        elif isinstance(widget, OrderList):
            widget.reveal()
        if isinstance(widget, YamlEditor):
            widget.read_only = True
            if grade.line is not None:
                widget.go_to_line(grade.line)
        else:
            widget.disabled = True
