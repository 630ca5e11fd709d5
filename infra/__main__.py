"""Entry point the Pulumi CLI runs (Pulumi.yaml: main: infra/)."""

import sys
from pathlib import Path

# The program (infra/) and the library it composes (components/slipway, imported as `slipway`)
# come from this checkout, also when the Pulumi CLI installed only requirements.txt.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "components"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.stack import main

main()
