"""No ``arn:aws:`` literal in the program or the library: ARNs are built from the partition
(``aws``, ``aws-cn``, ``aws-us-gov``…), read with ``aws.get_partition``, so the same code works
in every partition. Regexes that accept any partition (``arn:aws[a-z-]*:``) are fine."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from slipway.audit_trail import AuditTrail, AuditTrailArgs
from slipway.partition import PARTITION_SERVICE_PRINCIPALS, service_principal

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("components", "infra", "tooling", "policy")
AWS_PLAYED = ("tooling/offline.py", "tooling/bench/programs.py")
"""The offline runtime plays AWS itself, in the ``aws`` partition its answers name."""


def string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string constant in ``path``, f-string parts included, with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_arn_literal_names_the_aws_partition() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value[:80]!r}"
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in AWS_PLAYED
        for line, value in string_constants(path)
        if "arn:aws:" in value
    ]
    assert found == []


def test_the_scan_sees_f_string_parts(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('x = f"arn:aws:iam::{account}:root"\n')
    assert [value for _, value in string_constants(sample)] == ["arn:aws:iam::", ":root"]


PRINCIPAL = re.compile(r"^(?P<service>[a-z0-9.-]+)\.amazonaws\.com$")
OWN_TABLE = "components/slipway/partition.py"


def test_no_regional_name_hard_codes_the_dns_suffix() -> None:
    """``<service>.<region>.amazonaws.com`` is ``….amazonaws.com.cn`` in China: regional names
    take the partition's DNS suffix (slipway.partition.regional_endpoint)."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in (*AWS_PLAYED, OWN_TABLE)
        for line, value in string_constants(path)
        if value in (".amazonaws.com", "amazonaws.com")
    ]
    assert found == []


def test_every_service_principal_is_the_same_in_every_partition() -> None:
    """Each ``<service>.amazonaws.com`` constant names a service whose principal is that in
    every partition (terraform-provider-aws's table, slipway.partition); the exceptions
    (``logs`` in China and the ISO partitions...) must go through service_principal."""
    principals = {
        match["service"]
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in AWS_PLAYED
        for _, value in string_constants(path)
        if (match := PRINCIPAL.match(value))
    }
    assert {"ecs-tasks", "cloudtrail", "backup", "vpc-flow-logs"} <= principals
    exceptions = set().union(*PARTITION_SERVICE_PRINCIPALS.values())
    assert principals & exceptions == set()
    assert service_principal("logs", "aws-cn", "amazonaws.com.cn") == "logs.amazonaws.com.cn"
    assert service_principal("ecs-tasks", "aws-cn", "amazonaws.com.cn") == "ecs-tasks.amazonaws.com"
    assert service_principal("logs", "aws", "amazonaws.com") == "logs.amazonaws.com"


def test_in_china_regional_names_take_the_partitions_suffix(run_component: Any) -> None:
    """The offline runtime answers aws.get_partition from botocore's endpoint data."""

    def program() -> dict[str, Any]:
        AuditTrail("audit", AuditTrailArgs(trail_name="shop-audit"))
        return {}

    key = run_component(program, region="cn-north-1").one("aws:kms/key:Key")
    services = {
        s["Principal"].get("Service")
        for s in key.json_input("policy")["Statement"]
        if isinstance(s.get("Principal"), dict)
    }
    assert "logs.cn-north-1.amazonaws.com.cn" in services
    assert "logs.cn-north-1.amazonaws.com" not in services
