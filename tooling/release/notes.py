"""Print the CHANGELOG.md section of one release: ``python3 notes.py 0.3.0 < CHANGELOG.md``.

Standard library only: the release workflow runs it on the runner's own Python.
"""

import re
import sys


def section(changelog: str, version: str) -> str:
    """The body of ``## <version>`` (up to the next ``## `` heading), without its heading.
    Raises ``LookupError`` when the changelog has no such section or it is empty."""
    heading = re.compile(rf"^## \[?v?{re.escape(version)}\]?(?:\s.*)?$", re.MULTILINE)
    found = heading.search(changelog)
    if found is None:
        raise LookupError(f"CHANGELOG.md has no '## {version}' section")
    rest = changelog[found.end() :]
    following = re.search(r"^## ", rest, re.MULTILINE)
    body = (rest[: following.start()] if following else rest).strip()
    if not body:
        raise LookupError(f"CHANGELOG.md's '## {version}' section is empty")
    return body + "\n"


if __name__ == "__main__":
    try:
        sys.stdout.write(section(sys.stdin.read(), sys.argv[1]))
    except LookupError as missing:
        sys.exit(f"::error::{missing}")
