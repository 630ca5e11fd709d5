"""Composition of one Slipway stack: each domain builds from its own settings and the stack's
identity (``infra/domains/*``); this module only passes what one domain made to the next.

Everything that differs between dev, staging and prod comes from the settings and the
profile tables of the domains; nothing here tests the stack's name or its profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from infra.common import NAMESPACE
from infra.domains import (
    account,
    backup,
    compute,
    github,
    network,
    observability,
    registry,
    secrets,
    workflows,
)
from infra.previews import stack_previews
from infra.settings import StackSecrets, StackSettings, app_secret_key, load_settings
from infra.stack_files import PROJECT_ROOT
from slipway.deployment_strategy import ROLLOUT_START_MINUTES, describe
from slipway.errors import ConfigError
from slipway.preview_access import PREVIEW_ENVIRONMENT
from slipway.workflows import WorkflowSpec, render_workflow_files
from slipway.workflows.deploy import deploy_budget, deploy_timeout_for


def image_channel_prefix(settings: StackSettings) -> str:
    """SSM path of the stack's image channel (docs/image-channel.md)."""
    return f"/slipway/{settings.identity.app}/{settings.identity.env}/image-channel"


def application_facts(settings: StackSettings) -> workflows.ApplicationFacts:
    """What the generated files need of the application, from the domains that decide it."""
    return workflows.ApplicationFacts(
        repository=settings.identity.github_repository,
        container_port=settings.compute.container_port,
        health_check_path=settings.compute.health_check_path,
        repository_plan=settings.github.repository_plan,
        code_scanning=settings.github.code_scanning,
        rollout_minutes=compute.rollout_minutes(settings.compute),
    )


def workflow_spec(
    settings: StackSettings, previews: workflows.RepositoryPreviews = workflows.PREVIEWS_OFF
) -> WorkflowSpec:
    """What the application repository's generated files are rendered from; ``previews``: the
    stack files' (:func:`infra.previews.stack_previews`)."""
    return workflows.spec(settings.workflows, application_facts(settings), previews)


def generated_files(
    settings: StackSettings, previews: workflows.RepositoryPreviews = workflows.PREVIEWS_OFF
) -> dict[str, str]:
    """The files this stack delivers into the application repository (path to content)."""
    if not settings.workflows.owns_repository_resources:
        return {}
    return render_workflow_files(workflow_spec(settings, previews))


def deploy_timeout_problems(stacks: Mapping[str, StackSettings]) -> list[str]:
    """The deploy jobs of a repository's deploy.yml (rendered by its owner stack) must be able to
    wait for every stack's deployments to complete, and then for a rollback as long: one
    problem per owner whose ``deployTimeoutMinutes`` is too short for the slowest stack's
    strategy among ``stacks``. ``make plan`` passes every stack file
    (:mod:`tooling.cross_stack`); ``pulumi up`` passes its own stack alone (:func:`build`)."""
    problems: list[str] = []
    for owner, settings in stacks.items():
        if not settings.workflows.owns_repository_resources:
            continue
        repository = settings.identity.github_repository.lower()
        spec = workflow_spec(settings)
        timeout = spec.deploy_timeout_minutes
        try:
            wait = deploy_budget(spec).rollout_minutes
        except ConfigError:
            wait = 0  # shorter than any rollout: reported below, naming the setting
        needs = {
            name: compute.rollout_minutes(other.compute)
            for name, other in stacks.items()
            if other.identity.github_repository.lower() == repository
        }
        slowest = max(needs, key=lambda name: needs[name])
        if needs[slowest] > wait:
            problems.append(
                f"{NAMESPACE}:deployTimeoutMinutes (Pulumi.{owner}.yaml): got {timeout}; at least "
                f"{deploy_timeout_for(needs[slowest])}, which waits {needs[slowest]} minutes for "
                f"a deployment and as long for its rollback (it waits {wait}): "
                f"Pulumi.{slowest}.yaml deploys {describe(stacks[slowest].compute.strategy)}, "
                f"after its tasks start ({ROLLOUT_START_MINUTES} min)"
            )
    return problems


def build(
    settings: StackSettings, stack_secrets: StackSecrets, root: Path = PROJECT_ROOT
) -> dict[str, Any]:
    """Create every resource of the stack and return its outputs (name to value).

    The output names are a stable, documented contract (docs/outputs.md): other stacks and
    the application repository's workflows read them. First, before anything is registered,
    what the cross-stack checks can tell from this stack alone (:func:`deploy_timeout_problems`
    with its own strategy), and, on the stack that owns the repository, whether a stack file
    in ``root`` turns previews on (:func:`infra.previews.stack_previews`); what needs every
    stack's settings runs in ``make plan``.
    """
    alone = deploy_timeout_problems({pulumi.get_stack(): settings})
    if alone:
        raise ConfigError(alone)
    previews_plan = stack_previews(pulumi.get_stack(), settings, root)
    identity = settings.stack_identity(pulumi.Config("aws").require("region"))
    github.check_provider_owner(identity.repository, settings.github.github_infra_repository)
    repositories = github.read_repositories(settings.github, identity.repository)
    compute.check_hosted_zone(settings.compute)
    compute.check_port_change(settings.compute, image_channel_prefix(settings))
    boundary = github.build_boundary(
        identity,
        settings.account.owned(),
        settings.compute.record_names(),
        settings.compute.hosted_zone_id,
        shared_environments=(PREVIEW_ENVIRONMENT,) if settings.compute.previews else (),
    )
    logs = settings.observability
    retention = logs.log_retention

    logs_key = observability.build_log_key(logs, identity)
    log_key_arn = logs_key.key_arn if logs_key else None
    image_registry = registry.build(settings.registry, identity)
    vpc = network.build(settings.network, identity, retention, log_key_arn)
    cluster = compute.build_cluster(settings.compute, identity, retention, log_key_arn)

    ghcr = settings.registry.ghcr
    pull_token = stack_secrets.get("ghcrPullToken") if ghcr else None
    store = secrets.build(
        settings.secrets,
        identity,
        {v: stack_secrets.get(app_secret_key(v)) for v in settings.secrets.app_secrets},
        copy_region=settings.backup.backup_copy_region,
        ghcr=(
            secrets.GhcrPull(str(settings.registry.ghcr_username), pull_token)
            if pull_token is not None
            else None
        ),
    )
    alerting = observability.build_alerting(logs, identity)
    service = compute.build_service(
        settings.compute,
        identity,
        compute.ServiceInputs(
            network=vpc,
            cluster=cluster,
            image_channel_prefix=image_channel_prefix(settings),
            bootstrap_image=registry.bootstrap_image(
                settings.registry, image_registry, settings.compute.platform
            ),
            repository_arn=None if ghcr else image_registry.repository_arn,
            repository_credentials_secret_arn=(
                store.secret_arns[secrets.GHCR_PULL_SECRET] if ghcr else None
            ),
            secrets=store,
            secret_names={v: secrets.secret_name(v) for v in settings.secrets.app_secrets},
            log_retention_days=retention,
            log_key_arn=log_key_arn,
            alerting=alerting,
            thresholds=logs.thresholds,
        ),
    )
    previews = compute.build_preview_base(settings.compute, identity, vpc)
    backups = backup.build(settings.backup, identity, alerting.topic_arn)
    if settings.backup.data_bucket:
        backups.grant_read_write(service.task_role)
    monitoring = observability.build_monitoring(
        logs, identity, cluster.cluster_name, service, alerting, settings.compute.task_counts[0]
    )

    outputs: dict[str, Any] = {
        "environment": identity.environment,
        "profile": identity.profile.value,
        "awsRegion": identity.region,
        **registry.outputs(image_registry),
        **network.outputs(vpc),
        **compute.outputs(cluster, service),
        **compute.preview_outputs(previews, vpc),
        **secrets.outputs(store),
        **observability.outputs(alerting, monitoring),
        **backup.outputs(backups),
    }
    outputs |= account.build(
        settings.account,
        identity,
        retention,
        account.Replication(
            copy_region=settings.backup.backup_copy_region,
            repository=registry.repository_name(identity),
            template=registry.replica_template(settings.registry),
        ),
        alerting.topic_arn,
    )
    slack_webhook = stack_secrets.get("slackWebhookUrl")
    outputs |= github.build(
        settings.github,
        identity,
        repositories,
        settings.account.oidc_provider,
        github.DeliveryTargets(
            registry=image_registry,
            service=service,
            health_check_path=settings.compute.health_check_path,
            slack_webhook=slack_webhook,
        ),
        boundary.policy_arn,
    )
    if previews is not None:
        outputs |= github.build_preview_environment(
            settings.github,
            identity,
            repositories[0],
            github.PreviewTargets(
                listener_arn=previews.listener_arn,
                domain=previews.domain_name,
                cluster_name=cluster.cluster_name,
                vpc_id=vpc.vpc_id,
                subnet_ids=vpc.private_subnet_ids,
                security_group_id=previews.tasks_security_group_id,
                provider_arn=outputs["githubOidcProviderArn"],
                repository_url=previews.repository_url,
                repository_arn=previews.repository_arn,
                ttl_hours=settings.compute.preview_ttl,
            ),
            boundary.policy_arn,
        )
    outputs |= workflows.build(
        settings.workflows,
        application_facts(settings),
        workflows.ReleaseSecrets(
            app_private_key=stack_secrets.get("releaseAppPrivateKey"),
            slack_webhook=slack_webhook,
        ),
        previews_plan,
    )
    return outputs


def main() -> None:
    """Load settings, build the stack and export its outputs: what ``pulumi up`` runs."""
    settings, stack_secrets = load_settings()
    for name, value in build(settings, stack_secrets).items():
        pulumi.export(name, value)
