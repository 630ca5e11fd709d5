"""The plugin's entry point: Pulumi's Python language host runs this file to serve the package.

What ``pulumi.provider.experimental.component_provider_host(components, "slipway", version=...)``
does, with two differences: Slipway's own version is passed explicitly (without it the schema
says 0.0.0), and the provider is :class:`slipway_facade.host.SlipwayComponentProvider`, Pulumi's
``ComponentProvider`` with the two input-mapping fixes the facade needs (SDK 3.272.0 turns every
integer into a float and raises ``TypeError`` on an ``Output`` given to an integer input).
"""

import sys

from pulumi.provider import main

import slipway
from slipway_facade import COMPONENTS
from slipway_facade.host import SlipwayComponentProvider

if __name__ == "__main__":
    main(SlipwayComponentProvider(COMPONENTS, "slipway", version=slipway.__version__), sys.argv[1:])
