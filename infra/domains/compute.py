"""Compute: the ECS cluster and the application's Fargate service behind its load balancer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws
from pydantic import Field

from infra.common import (
    CheckContext,
    ProfileTable,
    SettingsModel,
    component_rule,
    decision,
    key,
    optional,
)
from infra.domains.identity import StackIdentity
from slipway import EcsCluster, EcsClusterArgs, SecretStore
from slipway.alerting import Alerting
from slipway.cluster import ContainerInsights, capacity_base_problems, capacity_weight_problems
from slipway.deployment_strategy import (
    DeploymentStrategy,
    StrategyKind,
    bake_time_problems,
    canary_percent_problems,
    deployment_strategy,
    is_progressive,
    linear_step_percent_problems,
    step_interval_problems,
    strategy_kind_problems,
)
from slipway.deployment_strategy import (
    rollout_minutes as strategy_rollout_minutes,
)
from slipway.edge import (
    AccessLogOptions,
    WebAclOptions,
    hosted_zone_id_problems,
    hosted_zone_problems,
    rate_limit_problems,
)
from slipway.errors import ConfigError, invalid
from slipway.fargate_service import (
    MAX_TASKS,
    AutoscalingOptions,
    CapacityOptions,
    FargateService,
    FargateServiceArgs,
    PlacementOptions,
    container_port_problems,
    cpu_architecture_problems,
    desired_count_problems,
    env_name_problems,
    fargate_size_problems,
    port_change_problems,
    secret_looking_problems,
    task_count_problems,
)
from slipway.fargate_task import LoggingOptions
from slipway.image_channel import read_live
from slipway.load_balancer import (
    ListenerOptions,
    cidr_problems,
    domain_name_problems,
    egress_problems,
    egress_rules,
)
from slipway.monitoring import AlarmThresholds
from slipway.network import Network
from slipway.patterns import ACM_CERTIFICATE_ARN as CERTIFICATE_ARN
from slipway.patterns import HEALTH_CHECK_PATH
from slipway.preview_base import (
    PREVIEW_TTL_HOURS,
    PreviewBase,
    PreviewBaseArgs,
    preview_wildcard,
    ttl_hours_problems,
)
from slipway.rollback_alarms import RollbackAlarmOptions
from slipway.smoke_test_hook import SmokeTestOptions, no_nat_endpoint_problems
from slipway.stack_boundary import record_domain_problems, record_name_patterns
from slipway.workflows.spec import preview_label_problems


def variable_names(value: list[str], setting: str) -> list[str]:
    """Upper-case environment variable names (the component's rule), each once."""
    problems = env_name_problems(value, setting, upper_case=True)
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        problems.append(invalid(setting, repeated, "each name once"))
    return problems


def _assignments(value: list[str], setting: str) -> list[str]:
    """``NAME=value`` entries whose names pass :func:`variable_names`."""
    without_value = [v.split("=", 1)[0] for v in value if "=" not in v]
    if without_value:
        return [invalid(setting, without_value, "NAME=value entries with upper-case names")]
    return variable_names([v.split("=", 1)[0] for v in value], setting)


def _plain_environment(value: list[str], setting: str) -> list[str]:
    names = [entry.split("=", 1)[0] for entry in value]
    return secret_looking_problems(names, setting, instead=key("app_secrets"))


def _environment_problems(value: list[str], setting: str) -> list[str]:
    """``appEnvironment``'s rule: the task's variable rule (:func:`_assignments`), then no
    secret-looking name among them (:func:`_plain_environment`)."""
    return _assignments(value, setting) or _plain_environment(value, setting)


def _on_demand_base(value: int, setting: str) -> list[str]:
    return capacity_base_problems(
        value,
        setting,
        maximum=MAX_TASKS,
        reason=f"a stack's service runs at most {MAX_TASKS} tasks",
    )


def _desired_count(value: int, setting: str) -> list[str]:
    return desired_count_problems(
        value,
        setting,
        minimum=1,
        reason="a stack's service runs at least one task: minCount and maxCount start from it",
    )


HEALTH_PATH = optional(
    HEALTH_CHECK_PATH, "a URL path starting with '/', without spaces, query or fragment"
)
"""``healthCheckPath`` follows the service's own rule (:data:`HEALTH_CHECK_PATH`)."""


@dataclass(frozen=True)
class ComputeProfile:
    """What the profile decides for the cluster and the service."""

    capacity_on_demand_base: int = decision("Tasks always on on-demand Fargate")
    capacity_spot_weight: int = decision("Weight of Fargate Spot against on-demand")
    task_cpu: int = decision("Task CPU units (`taskCpu`)")
    task_memory: int = decision("Task memory in MiB (`taskMemory`)")
    desired_count: int = decision("Tasks to run (`desiredCount`)")
    autoscaling: bool = decision("Target tracking owns the task count (`autoscaling`)")
    alarm_rollback: bool = decision("A firing 5xx or unhealthy-host alarm rolls back")
    https_only: bool = decision(
        "The load balancer serves HTTPS only, so `certificateArn` is required"
    )
    deletion_protection: bool = decision("The load balancer cannot be deleted by accident")
    wait_for_steady_state: bool = decision(
        "Once CI has deployed, `pulumi up` follows a deployment it starts until it succeeds, "
        "and fails when its tasks cannot start (`waitForSteadyState`; never on the first `up`)"
    )
    waf: bool = decision(
        "A WAF web ACL in front of the load balancer: a per-IP rate limit (`wafRateLimit`) "
        "and AWS's common and known-bad-inputs managed rules (`waf`)"
    )
    deployment_strategy: str = decision(
        "How ECS moves traffic to a new revision (`deploymentStrategy`; "
        "docs/deployment-strategies.md)"
    )
    canary_percent: int = decision("Production traffic the canary takes, % (`canaryPercent`)")
    linear_step_percent: int = decision(
        "Production traffic each linear step adds, % (`linearStepPercent`)"
    )
    step_interval_minutes: int = decision(
        "Minutes between traffic steps: the canary's, or each linear step's (`stepIntervalMinutes`)"
    )
    bake_time_minutes: int = decision(
        "Minutes the old revision stays after all traffic moved, so an alarm can still roll "
        "back (`bakeTimeMinutes`)"
    )


PROFILES = ProfileTable(
    dev=ComputeProfile(
        capacity_on_demand_base=0,
        capacity_spot_weight=3,
        task_cpu=256,
        task_memory=512,
        desired_count=1,
        autoscaling=False,
        alarm_rollback=False,
        https_only=False,
        deletion_protection=False,
        wait_for_steady_state=False,
        waf=False,
        deployment_strategy=StrategyKind.ROLLING.value,
        canary_percent=10,
        linear_step_percent=25,
        step_interval_minutes=2,
        bake_time_minutes=0,
    ),
    staging=ComputeProfile(
        capacity_on_demand_base=1,
        capacity_spot_weight=1,
        task_cpu=512,
        task_memory=1024,
        desired_count=2,
        autoscaling=False,
        alarm_rollback=True,
        https_only=True,
        deletion_protection=False,
        wait_for_steady_state=True,
        waf=True,
        deployment_strategy=StrategyKind.LINEAR.value,
        canary_percent=10,
        linear_step_percent=25,
        step_interval_minutes=2,
        bake_time_minutes=5,
    ),
    prod=ComputeProfile(
        capacity_on_demand_base=2,
        capacity_spot_weight=0,
        task_cpu=1024,
        task_memory=2048,
        desired_count=3,
        autoscaling=True,
        alarm_rollback=True,
        https_only=True,
        deletion_protection=True,
        wait_for_steady_state=True,
        waf=True,
        deployment_strategy=StrategyKind.CANARY.value,
        canary_percent=10,
        linear_step_percent=10,
        step_interval_minutes=10,
        bake_time_minutes=15,
    ),
)


class ComputeSettings(SettingsModel):
    """The cluster and the service."""

    PROFILES = PROFILES

    container_insights: ContainerInsights = Field(
        default=ContainerInsights.ENHANCED,
        description="Container Insights level of the cluster.",
    )

    capacity_on_demand_base: Annotated[int | None, component_rule(_on_demand_base)] = Field(
        default=None,
        description="Tasks that always run on on-demand Fargate before the weights apply.",
    )

    capacity_spot_weight: Annotated[int | None, component_rule(capacity_weight_problems)] = Field(
        default=None,
        description="Weight of Fargate Spot against on-demand Fargate (weight 1) beyond the base.",
    )

    execute_command: bool = Field(
        default=False,
        description="Allow `aws ecs execute-command` into tasks; every session is logged to "
        "an encrypted, retained log group.",
    )

    container_port: Annotated[int, component_rule(container_port_problems)] = Field(
        default=3000,
        description="Port the application listens on: 1024 to 65535 (the container runs "
        "without root, so it cannot bind a lower port). The container gets it as `PORT` "
        "unless `appEnvironment` or `appSecrets` sets `PORT`.",
    )

    health_check_path: Annotated[str, HEALTH_PATH] = Field(
        default="/health",
        description="Path that answers 200 when the application is healthy; used by the "
        "load balancer, the container health check and the deploy workflow.",
    )

    task_cpu: int | None = Field(
        default=None,
        description="Task CPU units (256 = 0.25 vCPU), a Fargate size.",
    )

    task_memory: int | None = Field(
        default=None,
        description="Task memory in MiB; must be a valid Fargate combination with `taskCpu`.",
    )

    cpu_architecture: Annotated[str, component_rule(cpu_architecture_problems)] = Field(
        default="X86_64",
        description="CPU architecture of the tasks. Both run on Fargate Spot (ARM64 since "
        "2024-09: https://aws.amazon.com/about-aws/whats-new/2024/09/"
        "amazon-ecs-graviton-based-spot-compute-fargate/).",
    )

    desired_count: Annotated[int | None, component_rule(_desired_count)] = Field(
        default=None,
        description="Tasks to run (the starting point when autoscaling is on).",
    )

    autoscaling: bool | None = Field(
        default=None,
        description="Target tracking on CPU and requests per target; autoscaling then owns "
        "the task count.",
    )

    min_count: int | None = Field(
        default=None,
        description="Fewest tasks autoscaling may leave. Default: `desiredCount`.",
    )

    max_count: int | None = Field(
        default=None,
        description="Most tasks autoscaling may start. Default: four times `desiredCount`, at "
        "most 100.",
    )

    certificate_arn: Annotated[
        str | None,
        optional(
            CERTIFICATE_ARN,
            "an ACM certificate ARN (arn:<partition>:acm:<region>:<account>:certificate/<id>)",
        ),
    ] = Field(
        default=None,
        description="ACM certificate for the HTTPS listener; HTTP then redirects to HTTPS. "
        "Required in staging and prod unless `hostedZoneId` is set (never both); without "
        "either, dev serves plain HTTP and the plan says so.",
    )

    hosted_zone_id: Annotated[str | None, component_rule(hosted_zone_id_problems)] = Field(
        default=None,
        description="Route 53 hosted zone of `domainName`: the stack then issues a "
        "DNS-validated ACM certificate for `domainName` and points it at the load balancer "
        "with an alias record. Instead of `certificateArn` (never both).",
    )

    alarm_rollback: bool | None = Field(
        default=None,
        description="Roll a deployment back when its 5xx or unhealthy-host alarm fires. "
        "The circuit breaker is always on.",
    )

    ingress_cidrs: Annotated[list[str], component_rule(cidr_problems)] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        description="Who may reach the load balancer on 80/443. The load balancer is the only "
        "thing that accepts traffic from outside the VPC.",
    )

    app_environment: Annotated[list[str], component_rule(_environment_problems)] = Field(
        default_factory=list,
        description="Plain environment variables of the application, `NAME=value`. Never put "
        "secrets here: use `appSecrets`.",
    )

    app_egress: Annotated[list[str], component_rule(egress_problems)] = Field(
        default_factory=list,
        description="Ways out for the application's tasks beside HTTPS (databases, caches), "
        "each `PROTOCOL:PORT[-PORT]:DESTINATION`: protocol `tcp` or `udp`, a port or range, and "
        "a security group ID (`tcp:5432:sg-0123abcd`; that group must admit the tasks' own, "
        "output `serviceSecurityGroupId`), a managed prefix list ID "
        "(`tcp:443:pl-0123abcd`) or a network inside `vpcCidr` (`tcp:6379:10.20.0.0/16`).",
    )

    wait_for_steady_state: bool | None = Field(
        default=None,
        description="Make `pulumi up` follow a deployment it starts (a task-definition "
        "change) until ECS reports it successful, so tasks that cannot start fail the update. "
        "Only once CI has deployed through the image channel: the first `up` never waits, "
        "because the image and the secrets' values come later (docs/deployment-guide.md). "
        "The service's timeouts then come from the deployment strategy.",
    )

    waf: bool | None = Field(
        default=None,
        description="Put a regional WAF web ACL in front of the load balancer: a per-IP rate "
        "limit (`wafRateLimit`), then AWS's managed rule groups AWSManagedRulesCommonRuleSet "
        "and AWSManagedRulesKnownBadInputsRuleSet. The common rule set blocks request bodies "
        "over 8 KB, among others: watch its metrics before relying on large uploads.",
    )

    waf_rate_limit: Annotated[int, component_rule(rate_limit_problems)] = Field(
        default=2000,
        description="Requests one IP address may send in five minutes before the web ACL "
        "blocks it (with `waf`); 10 to 2,000,000,000.",
    )

    deployment_strategy: Annotated[str | None, component_rule(strategy_kind_problems)] = Field(
        default=None,
        description="How ECS moves traffic to a new revision: `rolling` (replace tasks in "
        "batches), `canary` (`canaryPercent` of traffic for `stepIntervalMinutes`, then the "
        "rest), `linear` (`linearStepPercent` more every `stepIntervalMinutes`) or `blue_green` "
        "(all at once after test traffic). The last three keep the old revision for "
        "`bakeTimeMinutes` and roll back when an alarm fires or a lifecycle hook fails; they "
        "add a second target group and a test listener reachable only from the VPC "
        "(docs/deployment-strategies.md).",
    )

    canary_percent: Annotated[int | None, component_rule(canary_percent_problems)] = Field(
        default=None,
        description="Production traffic, in whole percent, the canary takes during "
        "`stepIntervalMinutes` (`deploymentStrategy` canary); ECS's CanaryConfiguration "
        "allows 0.1 to 100.",
    )

    linear_step_percent: Annotated[int | None, component_rule(linear_step_percent_problems)] = (
        Field(
            default=None,
            description="Production traffic, in whole percent, each step of a linear "
            "deployment adds (`deploymentStrategy` linear); ECS's LinearConfiguration allows "
            "3 to 100.",
        )
    )

    step_interval_minutes: Annotated[int | None, component_rule(step_interval_problems)] = Field(
        default=None,
        description="Minutes between traffic steps: how long the canary runs alone, or the "
        "wait after each linear step (none after the last); 0 to 1440.",
    )

    bake_time_minutes: Annotated[int | None, component_rule(bake_time_problems)] = Field(
        default=None,
        description="Minutes the old revision keeps running after all traffic moved "
        "(`deploymentStrategy` canary, linear or blue_green): alarm rollback still acts then; "
        "0 to 1440.",
    )

    smoke_test_hook: bool = Field(
        default=False,
        description="A smoke-test hook (a Lambda in the private subnets) that ECS runs once "
        "test traffic reaches a new revision: the health path through the test listener must "
        "answer 200 with the JSON field `version` equal to the image's release tag; if not, "
        "ECS rolls back before production traffic moves. Needs deploymentStrategy canary, "
        "linear or blue_green, and an application whose health answer reports its version. "
        "The function calls the ECS, ECR and EC2 APIs: with natStrategy none, "
        "vpcInterfaceEndpoints must include ecs, ecr.api and ec2.",
    )

    domain_name: Annotated[str | None, component_rule(domain_name_problems)] = Field(
        default=None,
        description="Public name of the environment (covered by `certificateArn`); point a DNS "
        "alias at the load balancer (output `loadBalancerDnsName`), or set `hostedZoneId` and "
        "the stack does. It makes the environment URL that GitHub shows and the deploy "
        "workflow probes. Required with `certificateArn` or `hostedZoneId`.",
    )

    previews: bool = Field(
        default=False,
        description="Turn per-pull-request previews on (docs/previews.md): the one setting. "
        "This stack owns the preview base of its account and region (a dedicated load "
        "balancer with an HTTPS listener, a wildcard certificate for `*.pr.<domainName>` and "
        "one wildcard alias record, in this stack's VPC) and the application repository's "
        "`preview` environment, and the stack that owns the repository "
        "(`ownsRepositoryResources`) reads this setting from this stack file and delivers "
        "`preview.yml` with the generated workflows. Needs `hostedZoneId` and `domainName`; "
        "one stack per repository, account and region (typically dev).",
    )

    preview_ttl_hours: Annotated[int | None, component_rule(ttl_hours_problems)] = Field(
        default=None,
        description=f"With `previews`: how long a preview lives after its last push, in hours "
        f"(1 to 8760; default {PREVIEW_TTL_HOURS}). One number drives both the `preview` "
        "environment's `PREVIEW_TTL_HOURS`, which the preview scripts stamp as each preview's "
        "expiry, and the previews' ECR lifecycle rule, which expires `pr-*` images after it "
        "rounded up to whole days, so an image never expires before its preview. Refused on a "
        "stack without `previews`.",
    )

    preview_label: Annotated[str | None, component_rule(preview_label_problems)] = Field(
        default=None,
        description="With `previews`: create or update a pull request's preview only while it "
        "carries this label (a GitHub label name of 1 to 50 letters, digits, spaces and "
        "`. _ : / -`), and also when the label is added. Unset (the default): every pull "
        "request from a branch of the repository gets a preview. Teardown and the sweep ignore "
        "the label. The stack that owns the repository reads it from this stack file into "
        "`preview.yml`. Refused on a stack without `previews`.",
    )

    @property
    def preview_ttl(self) -> int:
        """``previewTtlHours``, or its default (:data:`~slipway.preview_base.PREVIEW_TTL_HOURS`)."""
        return PREVIEW_TTL_HOURS if self.preview_ttl_hours is None else self.preview_ttl_hours

    @property
    def task_counts(self) -> tuple[int, int, int]:
        """Autoscaling's fewest, starting and most tasks: ``minCount`` (default: the desired
        count), ``desiredCount`` (by profile) and ``maxCount`` (default: four times the desired
        count, at most :data:`~slipway.fargate_service.MAX_TASKS`).

        An unset bound never falls on the wrong side of a set one, so a problem with them
        (:func:`~slipway.fargate_service.task_count_problems`) names the setting the user
        wrote: ``desiredCount 20`` with ``maxCount 12`` blames desiredCount, not minCount.
        """
        desired = self.by_profile("desired_count")
        assert isinstance(desired, int)
        high = self.max_count if self.max_count is not None else min(4 * desired, MAX_TASKS)
        low = self.min_count if self.min_count is not None else min(desired, high)
        if self.max_count is None:
            high = max(high, low)
        return low, desired, high

    @property
    def strategy(self) -> DeploymentStrategy:
        """The service's deployment strategy, from ``deploymentStrategy`` and its parameters
        (each by profile)."""
        return deployment_strategy(
            self.by_profile("deployment_strategy"),
            canary_percent=self.by_profile("canary_percent"),
            linear_step_percent=self.by_profile("linear_step_percent"),
            step_interval_minutes=self.by_profile("step_interval_minutes"),
            bake_time_minutes=self.by_profile("bake_time_minutes"),
        )

    def _strategy_parameter_problems(self) -> list[str]:
        """A parameter set in the stack file that the chosen strategy does not use."""
        kind = StrategyKind(self.by_profile("deployment_strategy"))
        users = {
            "canary_percent": (StrategyKind.CANARY,),
            "linear_step_percent": (StrategyKind.LINEAR,),
            "step_interval_minutes": (StrategyKind.CANARY, StrategyKind.LINEAR),
            "bake_time_minutes": (
                StrategyKind.CANARY,
                StrategyKind.LINEAR,
                StrategyKind.BLUE_GREEN,
            ),
        }
        return [
            self.invalid(
                field_name,
                f"unset with deploymentStrategy {kind.value}: only "
                + " or ".join(k.value for k in kinds)
                + " uses it",
            )
            for field_name, kinds in users.items()
            if getattr(self, field_name) is not None and kind not in kinds
        ]

    def record_names(self) -> tuple[str, ...]:
        """The DNS names whose records this stack changes: with ``hostedZoneId``, the domain
        and its ACM validation record (:func:`slipway.stack_boundary.record_name_patterns`),
        and with ``previews`` the pattern ``*.pr.<domain>`` (an IAM ``StringLike`` pattern: the
        wildcard record, normalized by Route 53 to ``\\052.pr.<domain>``, and the certificate's
        validation record under it); none otherwise. The stack's boundary denies record
        changes to any other name."""
        if self.hosted_zone_id is None or self.domain_name is None:
            return ()
        own = record_name_patterns(self.domain_name)
        return (*own, preview_wildcard(self.domain_name)) if self.previews else own

    @property
    def platform(self) -> str:
        """The Docker platform of the tasks' CPU architecture."""
        return "linux/arm64" if self.cpu_architecture == "ARM64" else "linux/amd64"

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings, the region and the application's secrets."""
        region, secret_variables = context.region, context.secret_variables
        problems: list[str] = []
        if (
            self.decided().https_only
            and self.certificate_arn is None
            and self.hosted_zone_id is None
        ):
            problems.append(
                self.invalid(
                    "certificate_arn",
                    f"the {self.profile.value} profile serves HTTPS only, so the HTTPS listener "
                    "needs an ACM certificate ARN (or hostedZoneId, to issue one); plain HTTP "
                    "is allowed only in dev",
                )
            )
        if self.certificate_arn is not None and self.hosted_zone_id is not None:
            problems.append(
                self.invalid(
                    "hosted_zone_id",
                    "unset while certificateArn is set: with hostedZoneId the stack issues and "
                    "validates its own certificate; set one of certificateArn and "
                    "hostedZoneId, not both",
                )
            )
        if self.hosted_zone_id is not None and self.domain_name is None:
            problems.append(
                self.invalid(
                    "domain_name",
                    "the name to issue the certificate for and point at the load balancer "
                    "(set with hostedZoneId)",
                )
            )
        if self.hosted_zone_id is not None and self.domain_name is not None:
            problems.extend(record_domain_problems(self.domain_name, key("domain_name")))
        for setting in ("preview_ttl_hours", "preview_label"):
            if not self.previews and getattr(self, setting) is not None:
                problems.append(
                    self.invalid(
                        setting,
                        f"unset unless {key('previews')} is true on this stack: a setting of the "
                        "stack that owns the preview base (docs/previews.md)",
                    )
                )
        if self.previews and (self.hosted_zone_id is None or self.domain_name is None):
            missing = [
                key(name)
                for name in ("hosted_zone_id", "domain_name")
                if getattr(self, name) is None
            ]
            problems.append(
                self.invalid(
                    "previews",
                    "false unless "
                    + " and ".join(missing)
                    + (" are" if len(missing) > 1 else " is")
                    + " set: the preview base "
                    "issues a wildcard certificate for *.pr.<domainName> and writes its alias "
                    "record in that hosted zone",
                )
            )
        problems.extend(
            fargate_size_problems(
                self.by_profile("task_cpu"),
                self.by_profile("task_memory"),
                key("task_cpu"),
                key("task_memory"),
            )
        )
        problems.extend(
            task_count_problems(
                *self.task_counts, (key("min_count"), key("desired_count"), key("max_count"))
            )
        )
        if self.container_insights is ContainerInsights.DISABLED:
            problems.append(
                self.invalid(
                    "container_insights",
                    "enabled or enhanced: the running-tasks alarm reads Container Insights metrics",
                )
            )
        if self.certificate_arn is not None and self.domain_name is None:
            problems.append(
                self.invalid(
                    "domain_name", "the name the certificate covers (set with certificateArn)"
                )
            )
        if self.certificate_arn is not None and region is not None:
            certificate_region = self.certificate_arn.split(":")[3]
            if certificate_region != region:
                problems.append(
                    self.invalid(
                        "certificate_arn",
                        f"an ACM certificate in {region} (aws:region): a load balancer's "
                        "listener can only use certificates of its own region, not "
                        f"{certificate_region}",
                    )
                )
        if self.certificate_arn is not None and context.accounts:
            certificate_account = self.certificate_arn.split(":")[4]
            if certificate_account not in context.accounts:
                problems.append(
                    self.invalid(
                        "certificate_arn",
                        f"an ACM certificate of the stack's account ({', '.join(context.accounts)}"
                        ", aws:allowedAccountIds): a listener can only use a certificate of "
                        f"its own account, not {certificate_account} (ACM certificates cannot "
                        "be shared across accounts; import or issue one there)",
                    )
                )
        problems.extend(
            egress_problems(
                self.app_egress,
                key("app_egress"),
                vpc_cidr=context.vpc_cidr,
                vpc_cidr_setting=key("vpc_cidr"),
            )
        )
        if self.by_profile("deployment_strategy") in {k.value for k in StrategyKind}:
            problems.extend(self._strategy_parameter_problems())
            if (
                self.smoke_test_hook
                and self.by_profile("deployment_strategy") == StrategyKind.ROLLING.value
            ):
                problems.append(
                    self.invalid(
                        "smoke_test_hook",
                        "false with deploymentStrategy rolling: a rolling deployment has no "
                        "test traffic to check (choose canary, linear or blue_green)",
                    )
                )
        if self.smoke_test_hook and context.nat_strategy is not None:
            problems.extend(
                no_nat_endpoint_problems(
                    context.nat_strategy,
                    context.vpc_interface_endpoints,
                    (key("smoke_test_hook"), key("nat_strategy"), key("vpc_interface_endpoints")),
                )
            )
        plain = {entry.split("=", 1)[0] for entry in self.app_environment}
        if plain & set(secret_variables):
            problems.append(
                self.invalid(
                    "app_environment",
                    f"names that are not also secrets; {sorted(plain & set(secret_variables))} "
                    "are in appSecrets",
                )
            )
        return problems


PORT_VARIABLE = "PORT"
"""The variable that tells the container which port to listen on (the convention of Heroku, Cloud
Run and others; the placeholder image reads it, slipway.setup.placeholder)."""


def container_environment(
    settings: ComputeSettings, secret_names: Mapping[str, str]
) -> dict[str, str]:
    """The container's plain environment: ``PORT=<containerPort>``, then ``appEnvironment``.
    A ``PORT`` of the application's own (in ``appEnvironment`` or ``appSecrets``) wins."""
    environment = dict(entry.split("=", 1) for entry in settings.app_environment)
    if PORT_VARIABLE in environment or PORT_VARIABLE in secret_names:
        return environment
    return {PORT_VARIABLE: str(settings.container_port), **environment}


def check_hosted_zone(settings: ComputeSettings) -> None:
    """Before anything is registered: ``hostedZoneId`` names a public zone that contains
    ``domainName`` (:func:`slipway.edge.hosted_zone_problems`), read live from Route 53. The
    certificate's validation waits on it (docs/deployment-guide.md, "The first `pulumi up`")."""
    zone_id, domain = settings.hosted_zone_id, settings.domain_name
    if zone_id is None or domain is None:
        return
    # A zone the credentials cannot read fails the invoke with Route 53's own error
    # (NoSuchHostedZone, AccessDenied), which Pulumi reports.
    zone = aws.route53.get_zone(zone_id=zone_id)
    problems = hosted_zone_problems(
        zone.name or "", bool(zone.private_zone), domain, key("hosted_zone_id"), zone_id
    )
    if problems:
        raise ConfigError(problems)


def check_port_change(settings: ComputeSettings, image_channel_prefix: str) -> None:
    """Before anything is registered: a ``containerPort`` change the strategy cannot make in
    one ``up`` (:func:`slipway.fargate_service.port_change_problems`), against the port the
    last run recorded in the image channel (read live)."""
    if not is_progressive(settings.strategy):
        return  # a rolling stack changes the port in one up: nothing to read
    registered = read_live(image_channel_prefix).registered
    problems = port_change_problems(
        registered.container_port if registered is not None else None,
        settings.container_port,
        settings.strategy,
        key("container_port"),
    )
    if problems:
        raise ConfigError(problems)


def build_cluster(
    settings: ComputeSettings,
    identity: StackIdentity,
    log_retention_days: int,
    log_key_arn: pulumi.Input[str] | None,
) -> EcsCluster:
    """The ECS cluster and its capacity providers."""
    return EcsCluster(
        "cluster",
        EcsClusterArgs(
            cluster_name=identity.resource_prefix,
            container_insights=ContainerInsights(settings.container_insights),
            on_demand_base=settings.by_profile("capacity_on_demand_base"),
            on_demand_weight=1,
            spot_weight=settings.by_profile("capacity_spot_weight"),
            execute_command=settings.execute_command,
            exec_log_retention_days=log_retention_days,
            log_kms_key_arn=log_key_arn,
            key_deletion_window_days=identity.key_deletion_window_days,
            protect=identity.protect,
            tags=identity.tags,
        ),
    )


@dataclass(frozen=True)
class ServiceInputs:
    """What the service takes from the other domains."""

    network: Network
    cluster: EcsCluster
    image_channel_prefix: str
    """SSM path of the stack's image channel (docs/image-channel.md)."""
    bootstrap_image: pulumi.Input[str]
    repository_arn: pulumi.Input[str] | None
    """The ECR repository the execution role may pull from (None with GHCR)."""
    repository_credentials_secret_arn: pulumi.Input[str] | None
    """The GHCR pull token's secret (None with ECR)."""
    secrets: SecretStore
    secret_names: dict[str, str]
    """Environment variable to the secret's name in ``secrets``."""
    log_retention_days: int
    """Days the service's log group keeps events and its access logs' bucket keeps files
    (the observability domain's ``logRetentionDays``, by profile)."""
    log_key_arn: pulumi.Input[str] | None
    alerting: Alerting
    thresholds: AlarmThresholds


def rollout_minutes(settings: ComputeSettings) -> int:
    """Minutes this stack's deployments take until they complete
    (:func:`slipway.deployment_strategy.rollout_minutes`)."""
    return strategy_rollout_minutes(settings.strategy)


def build_service(
    settings: ComputeSettings, identity: StackIdentity, inputs: ServiceInputs
) -> FargateService:
    """The application's Fargate service, its load balancer and its rollback alarms."""
    cluster, network = inputs.cluster, inputs.network
    low, desired, high = settings.task_counts
    service = FargateService(
        "service",
        FargateServiceArgs(
            service_name=identity.resource_prefix,
            placement=PlacementOptions.of(cluster, network),
            listener=ListenerOptions(
                certificate_arn=settings.certificate_arn,
                hosted_zone_id=settings.hosted_zone_id,
                allow_plain_http=(
                    not settings.decided().https_only
                    and settings.certificate_arn is None
                    and settings.hosted_zone_id is None
                ),
                domain_name=settings.domain_name,
                ingress_cidrs=tuple(settings.ingress_cidrs),
            ),
            image_channel_prefix=inputs.image_channel_prefix,
            bootstrap_image=inputs.bootstrap_image,
            repository_arn=inputs.repository_arn,
            repository_credentials_secret_arn=inputs.repository_credentials_secret_arn,
            container_port=settings.container_port,
            health_check_path=settings.health_check_path,
            environment=container_environment(settings, inputs.secret_names),
            secrets=inputs.secrets.environment_secrets(inputs.secret_names),
            secret_kms_key_arns=(inputs.secrets.kms_key_arn,),
            deletion_protection=settings.decided().deletion_protection,
            egress=egress_rules(settings.app_egress),
            wait_for_steady_state=settings.by_profile("wait_for_steady_state"),
            access_logs=AccessLogOptions(retention_days=inputs.log_retention_days),
            web_acl=(
                WebAclOptions(rate_limit=settings.waf_rate_limit)
                if settings.by_profile("waf")
                else None
            ),
            enable_execute_command=settings.execute_command,
            logging=LoggingOptions(
                retention_days=inputs.log_retention_days, kms_key_arn=inputs.log_key_arn
            ),
            capacity=CapacityOptions(
                cpu=settings.by_profile("task_cpu"),
                memory=settings.by_profile("task_memory"),
                cpu_architecture=settings.cpu_architecture,
                desired_count=desired,
                capacity_provider_strategy=cluster.default_capacity_provider_strategy,
            ),
            autoscaling=(
                AutoscalingOptions(min_count=low, max_count=high)
                if settings.by_profile("autoscaling")
                else None
            ),
            deployment_strategy=settings.strategy,
            smoke_test=SmokeTestOptions() if settings.smoke_test_hook else None,
            rollback_alarms=(
                RollbackAlarmOptions(
                    alarm_actions=(inputs.alerting.topic_arn,),
                    target_5xx_threshold=inputs.thresholds.target_5xx_count,
                )
                if settings.by_profile("alarm_rollback")
                else None
            ),
            protect=identity.protect,
            tags=identity.tags,
        ),
    )
    if settings.execute_command:
        cluster.grant_exec(service.task_role)
    return service


def build_preview_base(
    settings: ComputeSettings, identity: StackIdentity, network: Network
) -> PreviewBase | None:
    """With ``previews``: the preview base of the account and region (docs/previews.md), in
    this stack's VPC; None otherwise."""
    if not settings.previews:
        return None
    assert settings.hosted_zone_id is not None
    assert settings.domain_name is not None
    return PreviewBase(
        "previews",
        PreviewBaseArgs(
            app=identity.app,
            domain_name=settings.domain_name,
            hosted_zone_id=settings.hosted_zone_id,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            container_port=settings.container_port,
            ingress_cidrs=tuple(settings.ingress_cidrs),
            deletion_protection=settings.decided().deletion_protection,
            protect=identity.protect,
            ttl_hours=settings.preview_ttl,
            key_deletion_window_days=identity.key_deletion_window_days,
            tags=identity.tags,
        ),
    )


def preview_outputs(base: PreviewBase | None, network: Network) -> dict[str, Any]:
    """The preview base's part of the stack outputs (docs/outputs.md): what the preview
    workflow needs. None without ``previews``."""
    if base is None:
        return {}
    return {
        "previewListenerArn": base.listener_arn,
        "previewDomain": base.domain_name,
        "previewSecurityGroupId": base.tasks_security_group_id,
        "previewSubnetIds": network.private_subnet_ids,
        "previewRepositoryUrl": base.repository_url,
    }


def outputs(cluster: EcsCluster, service: FargateService) -> dict[str, Any]:
    """The cluster's and the service's part of the stack outputs (docs/outputs.md)."""
    return {
        "clusterName": cluster.cluster_name,
        "clusterArn": cluster.cluster_arn,
        "serviceName": service.service_name,
        "serviceArn": service.service_arn,
        "taskFamily": service.task_family,
        "containerName": service.container_name,
        "taskRoleArn": service.task_role_arn,
        "executionRoleArn": service.execution_role_arn,
        "serviceSecurityGroupId": service.service_security_group_id,
        "loadBalancerDnsName": service.load_balancer_dns_name,
        "environmentUrl": service.url,
        "logGroupName": service.log_group_name,
        "imageChannelParameter": service.image_channel.deployed_parameter_name,
    }
