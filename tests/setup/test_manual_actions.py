"""The four-step path of docs/deployment-guide.md, counted: every manual action the guide's top
section asks for is a row of its table (step, action, kind), and the three counts of issue 24
(steps; answers typed or confirmed; secrets pasted) may not grow. The answers it lists are the
set-up command's questions, so a new question must show up here and fails the budget."""

from __future__ import annotations

import re
from pathlib import Path

from slipway.setup.answers import QUESTIONS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deployment-guide.md"
BUDGET = {"steps": 4, "answers": 14, "secrets": 0}
"""Issue 24's goal: four steps; only the answers no API can give; no secret pasted besides the
application's own (those come from the answers file). 14, not 10: the infra pipeline's GitHub
credential is two GitHub Apps (the infra app and the read-only infra app), each one manifest
confirmation and one installation page (GitHub creates and installs an app only with the
person's confirmation); they replace a personal token pasted into every stack's config."""
KINDS = {"answer", "confirm", "secret"}


def top_section() -> str:
    text = GUIDE.read_text()
    start = text.index("## From an empty account to the first prod deploy: four steps")
    return text[start : text.index("\n## ", start + 1)]


def manual_actions() -> list[tuple[int, str, str]]:
    section = top_section()
    table = section[section.index("| step | manual action | kind |") :].split("\n\n")[0]
    rows = []
    for line in table.splitlines()[2:]:
        step, action, kind = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((int(step), action, kind))
    return rows


def counts() -> dict[str, int]:
    rows = manual_actions()
    assert {kind for _, _, kind in rows} <= KINDS
    return {
        "steps": len({step for step, _, _ in rows}),
        "answers": sum(kind in {"answer", "confirm"} for _, _, kind in rows),
        "secrets": sum(kind == "secret" for _, _, kind in rows),
    }


def test_the_counts_do_not_grow() -> None:
    found = counts()
    assert found == BUDGET, f"the guide's manual actions grew or changed: {found} vs {BUDGET}"


def test_the_guide_states_the_counts_it_lists() -> None:
    found = counts()
    stated = (
        f"**{found['steps']} steps,\n{found['answers']} answers typed or confirmed, "
        f"{found['secrets']} secrets pasted**"
    )
    assert stated in top_section()


def test_the_answers_typed_are_the_commands_questions() -> None:
    typed = [action for _, action, kind in manual_actions() if kind == "answer"]
    assert len(typed) == len(QUESTIONS)
    section = top_section()
    for question in QUESTIONS:
        assert re.search(rf"`{re.escape(question.flag)} [^`]+` \| `{question.key}` \|", section), (
            question.key
        )
