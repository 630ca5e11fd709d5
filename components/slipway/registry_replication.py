"""``RegistryReplication``: copy ECR images to a disaster-recovery region.

ECR replication is a setting of the whole registry (one configuration per account and region),
so exactly one stack per account may own it: in Slipway, the stack with
``slipway:ownsAccountResources``. Replicated repositories are created in the destination region
on first push; they inherit no lifecycle policy, and are encrypted with AES-256 unless a
repository creation template says otherwise (docs/runbooks/region-failover.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid
from slipway.patterns import is_region

_Configuration = aws.ecr.ReplicationConfigurationReplicationConfigurationArgs
_Rule = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs
_Destination = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs
_Filter = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs

PREFIX = re.compile(r"^[a-z0-9][a-z0-9._/-]{0,255}$")


@dataclass(frozen=True)
class RegistryReplicationArgs:
    """Arguments of :class:`RegistryReplication`."""

    destination_region: str
    """Region the images are copied to."""
    repository_prefixes: Sequence[str]
    """Only repositories whose names start with one of these are replicated (ECR allows
    up to 100 filters), e.g. ``("storefront/",)``."""
    source_region: str | None = None
    """The registry's own region, when known: replicating into it is refused."""

    def __post_init__(self) -> None:
        problems = []
        name = "RegistryReplicationArgs."
        if not is_region(self.destination_region):
            problems.append(
                invalid(name + "destination_region", self.destination_region, "an AWS region")
            )
        elif self.destination_region == self.source_region:
            problems.append(
                invalid(
                    name + "destination_region",
                    self.destination_region,
                    f"a region other than the registry's own ({self.source_region})",
                )
            )
        prefixes = list(self.repository_prefixes)
        if not prefixes or len(prefixes) > 100 or not all(PREFIX.match(p) for p in prefixes):
            problems.append(
                invalid(
                    name + "repository_prefixes",
                    prefixes,
                    "1 to 100 repository name prefixes (lower case, digits, '.', '_', '-', '/')",
                )
            )
        if problems:
            raise ConfigError(problems)


class RegistryReplication(pulumi.ComponentResource):
    """The registry's replication configuration.

    Outputs:
        registry_id: Account whose registry replicates.
    """

    TOKEN = "slipway:index:RegistryReplication"

    registry_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegistryReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        configuration = aws.ecr.ReplicationConfiguration(
            f"{name}-configuration",
            replication_configuration=_Configuration(
                rules=[
                    _Rule(
                        destinations=[
                            _Destination(
                                region=args.destination_region,
                                registry_id=identity.account_id,
                            )
                        ],
                        repository_filters=[
                            _Filter(filter=prefix, filter_type="PREFIX_MATCH")
                            for prefix in args.repository_prefixes
                        ],
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.registry_id = configuration.registry_id
        self.register_outputs({"registry_id": self.registry_id})
