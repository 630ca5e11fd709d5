"""The set-up command on a terminal (a pseudo-terminal driven by pexpect): it asks exactly the
four answers no API gives, then runs to the end."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect

from tests.setup.world import ROOT

ANSWERS = [
    ("Application repository", "acme/shop"),
    ("Domain prod serves", "shop.acme.io"),
    ("E-mail address for alerts", "ops@acme.io"),
    ("GitHub users approving prod deploys", "alice,bob"),
]


def test_an_interactive_run_asks_four_questions_and_finishes(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tests.setup.interactive_child", str(tmp_path)],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"},
    )
    asked = 0
    for prompt, answer in ANSWERS:
        child.expect(prompt)
        if prompt.startswith("Domain"):
            # A wrong answer is asked again, saying what is allowed.
            child.sendline("Shop_Acme")
            child.expect("domain: got 'Shop_Acme'; a lower-case DNS name")
            child.expect(prompt)
        child.sendline(answer)
        asked += 1
    child.expect("Plan:")
    child.expect("Install the release app on acme/shop only")
    child.expect("Done. Now:")
    child.expect("https://github.com/acme/shop/pull/1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert asked == 4
