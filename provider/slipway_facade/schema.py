"""Write the package schema to ``provider/schema.json``: ``python -m slipway_facade.schema``.

The schema is what the plugin serves (``GetSchema``), inferred offline from the facade's
annotations by Pulumi's analyzer; no CLI is needed. A test regenerates it and compares.
"""

from pathlib import Path

import slipway
from slipway_facade import COMPONENTS
from slipway_facade.host import SlipwayComponentProvider

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.json"


def schema_text() -> str:
    """The schema the plugin serves for this checkout's Slipway version."""
    provider = SlipwayComponentProvider(COMPONENTS, "slipway", version=slipway.__version__)
    return provider.schema_text()


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
