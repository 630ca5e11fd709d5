"""Names that differ by AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``…):
regional service endpoints and the few service principals outside ``amazonaws.com``.

* :func:`regional_endpoint`: ``<service>.<region>.<DNS suffix>``, the name ``kms:ViaService``
  compares and the regional principal CloudWatch Logs uses (``logs.<region>.…``). The DNS suffix
  is the partition's (``amazonaws.com``, ``amazonaws.com.cn``, ``c2s.ic.gov``…), read with
  ``aws.get_partition``.
* :data:`PARTITION_SERVICE_PRINCIPALS`: a service principal is ``<service>.amazonaws.com`` in
  every partition except these, which use the partition's DNS suffix. The table is
  terraform-provider-aws's ``servicePrincipalNameForPartition``
  (``internal/service/meta/service_principal_data_source.go``, behind the ``aws_service_principal``
  data source), itself taken from aws-cdk's ``region-info/lib/default.ts``. Every principal
  Slipway names is checked against it (tests/test_partition.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

DEFAULT_PRINCIPAL_SUFFIX = "amazonaws.com"
PARTITION_SERVICE_PRINCIPALS: Mapping[str, frozenset[str]] = {
    "aws-cn": frozenset({"codedeploy", "elasticmapreduce", "logs"}),
    "aws-iso": frozenset({"cloudhsm", "config", "logs", "workspaces"}),
    "aws-iso-b": frozenset({"dms", "logs"}),
}
"""Per partition, the services whose principal ends in the partition's DNS suffix."""


def service_principal(service: str, partition: str, dns_suffix: str) -> str:
    """The principal of ``service`` (``ecs-tasks``, ``logs``…) in ``partition``."""
    if service in PARTITION_SERVICE_PRINCIPALS.get(partition, frozenset()):
        return f"{service}.{dns_suffix}"
    return f"{service}.{DEFAULT_PRINCIPAL_SUFFIX}"


def regional_endpoint(
    service: str,
    region: pulumi.Input[str],
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[str]:
    """``<service>.<region>.<the partition's DNS suffix>``."""
    suffix = aws.get_partition_output(opts=opts).dns_suffix
    return pulumi.Output.concat(service, ".", region, ".", suffix)
