"""The Slipway stack program: settings, composition, offline plan and tooling."""
