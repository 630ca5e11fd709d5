"""Slipway's own tooling, beside the stack program: the offline runtime (``offline``), the
offline plan (``plan``), cross-stack checks (``cross_stack``), the restore drill (``drill``),
the generated configuration reference (``docgen``), this repository's pipeline (``pipeline``)
and the benchmarks (``bench``). None of it runs under ``pulumi up``."""
