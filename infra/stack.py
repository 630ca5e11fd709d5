"""Composition of one Slipway stack from its settings.

``build`` wires the components together in dependency order and returns the stack outputs.
Everything that differs between dev, staging and prod comes from :class:`StackSettings` (the
stack file plus the profile's defaults); nothing here tests the stack's name.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from infra.settings import (
    Profile,
    StackSecrets,
    StackSettings,
    app_secret_key,
    key,
    load_settings,
)
from slipway import (
    BootstrapImage,
    BootstrapImageArgs,
    ContainerRegistry,
    ContainerRegistryArgs,
    EcsCluster,
    EcsClusterArgs,
    EncryptionKey,
    EncryptionKeyArgs,
    SecretSpec,
    SecretStore,
    SecretStoreArgs,
    ServiceKeyAccess,
)
from slipway.alerting import Alerting, AlertingArgs
from slipway.audit_trail import AuditTrail, AuditTrailArgs
from slipway.backup import (
    BackupPlan,
    BackupPlanArgs,
    VaultLock,
    dev_rules,
    prod_rules,
    staging_rules,
)
from slipway.cluster import ContainerInsights
from slipway.contract import (
    EnvironmentSecret,
    EnvironmentVariable,
    ReleaseSecret,
    ReleaseVariable,
)
from slipway.deployment_environment import (
    DeploymentEnvironment,
    DeploymentEnvironmentArgs,
    SecretName,
    VariableName,
)
from slipway.errors import ConfigError, invalid
from slipway.fargate_service import (
    AutoscalingOptions,
    CapacityOptions,
    FargateService,
    FargateServiceArgs,
    PlacementOptions,
)
from slipway.fargate_task import LoggingOptions
from slipway.github_oidc import (
    DeployRoleArgs,
    GithubOidc,
    GithubOidcArgs,
    GithubRepositoryFacts,
    OwnerType,
    SubjectFormat,
    read_repository,
)
from slipway.jsonout import json_output
from slipway.load_balancer import ListenerOptions
from slipway.logs import logs_service_principal
from slipway.monitoring import ServiceMonitoring, ServiceMonitoringArgs, thresholds_for
from slipway.network import NatStrategy, Network, NetworkArgs
from slipway.registry_replication import RegistryReplication, RegistryReplicationArgs
from slipway.repository_guardrails import RepositoryGuardrails, RepositoryGuardrailsArgs
from slipway.rollback_alarms import RollbackAlarmOptions
from slipway.workflow_set import WorkflowSet, WorkflowSetArgs
from slipway.workflows import (
    NpmPublishMode,
    ReleaseTokenMode,
    WorkflowSpec,
    render_workflow_files,
)

OIDC_HOST = "token.actions.githubusercontent.com"
GHCR_PULL_SECRET = "ghcr-pull"
BACKUP_RULES = {Profile.DEV: dev_rules, Profile.STAGING: staging_rules, Profile.PROD: prod_rules}


def secret_name(variable: str) -> str:
    """Secrets Manager name of an application secret after the stack's prefix: the variable
    itself (``storefront/prod/DATABASE_URL``), so operators know what to fill."""
    return variable


def image_channel_prefix(settings: StackSettings) -> str:
    """SSM path of the stack's image channel (docs/image-channel.md)."""
    return f"/slipway/{settings.app}/{settings.env}/image-channel"


def _logs_key(settings: StackSettings, region: str) -> EncryptionKey | None:
    if not settings.by_profile("encrypt_logs"):
        return None
    identity = aws.get_caller_identity_output()
    log_groups = pulumi.Output.concat("arn:aws:logs:", region, ":", identity.account_id, ":*")
    return EncryptionKey(
        "logs-key",
        EncryptionKeyArgs(
            description=f"Encrypts the log groups of {settings.resource_prefix}",
            alias=f"{settings.resource_prefix}/logs",
            deletion_window_days=settings.kms_deletion_window_days,
            services=(
                ServiceKeyAccess(
                    service=logs_service_principal(region),
                    condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
                ),
            ),
            protect=settings.protect_stateful,
            tags=settings.tags,
        ),
    )


def _check_github_owner(settings: StackSettings) -> None:
    """The GitHub provider's ``owner`` must be the application repository's owner."""
    owner = pulumi.Config("github").get("owner")
    if owner is not None and owner.lower() != settings.repository_owner.lower():
        raise ConfigError(
            invalid(
                "github:owner",
                owner,
                f"the owner of slipway:githubRepository ({settings.repository_owner}): the GitHub "
                "provider writes the environment and files there",
            )
        )


def read_github_repositories(
    settings: StackSettings,
) -> tuple[GithubRepositoryFacts, GithubRepositoryFacts | None]:
    """What GitHub says about the application and infrastructure repositories (IDs, spelling,
    visibility), read before anything is registered: a repository the provider cannot read,
    or one spelled differently, stops the program before the first resource."""
    owner_type = OwnerType(settings.github_owner_type)
    owner_key = key("github_owner_type")
    application = read_repository(
        settings.github_repository, owner_type, key("github_repository"), owner_key
    )
    infra = settings.github_infra_repository
    infrastructure = (
        read_repository(infra, owner_type, key("github_infra_repository"), owner_key)
        if infra is not None
        else None
    )
    if application.visibility != settings.github_repository_visibility:
        raise ConfigError(
            invalid(
                key("github_repository_visibility"),
                settings.github_repository_visibility,
                f"{application.visibility!r}, what GitHub reports for {application.full_name}: "
                "the visibility decides which protections GitHub enforces",
            )
        )
    return application, infrastructure


def _secret_store(settings: StackSettings, secrets: StackSecrets) -> SecretStore:
    """The application's secrets (and the GHCR pull token in GHCR mode)."""
    prefix = settings.resource_prefix
    # prod keeps copies of its secrets in the backup copy region (disaster recovery).
    dr_regions = (
        (settings.backup_copy_region,)
        if settings.is_prod and settings.backup_copy_region is not None
        else ()
    )
    specs = [
        SecretSpec(
            name=secret_name(variable),
            description=f"{variable} of {prefix}",
            value=secrets.get(app_secret_key(variable)),
        )
        for variable in settings.app_secrets
    ]
    if settings.image_source == "ghcr":
        token = secrets.get("ghcrPullToken")
        assert token is not None  # the settings refuse GHCR without the token
        specs.append(
            SecretSpec(
                name=GHCR_PULL_SECRET,
                description="Read-only GHCR package token ECS pulls the image with",
                value=json_output({"username": settings.ghcr_username, "password": token}),
            )
        )
    return SecretStore(
        "secrets",
        SecretStoreArgs(
            name_prefix=f"{settings.app}/{settings.env}/",
            secrets=tuple(specs),
            key_deletion_window_days=settings.kms_deletion_window_days,
            recovery_window_days=settings.by_profile("secrets_recovery_window_days"),
            replica_regions=dr_regions,
            protect=settings.protect_stateful,
            tags=settings.tags,
        ),
    )


def _bootstrap_image(settings: StackSettings, registry: ContainerRegistry) -> pulumi.Input[str]:
    """The image the service runs until CI deploys one: given, built here, or ``:bootstrap``."""
    if settings.bootstrap_image is not None:
        return settings.bootstrap_image
    if settings.bootstrap_build_context is not None:
        return BootstrapImage(
            "bootstrap",
            BootstrapImageArgs(
                context=settings.bootstrap_build_context,
                repository_url=registry.repository_url,
                registry_id=registry.registry_id,
                platform="linux/arm64" if settings.cpu_architecture == "ARM64" else "linux/amd64",
            ),
        ).image
    if settings.image_source == "ghcr":
        return f"{settings.ghcr_image}:bootstrap"
    return pulumi.Output.concat(registry.repository_url, ":bootstrap")


def build(settings: StackSettings, secrets: StackSecrets) -> dict[str, Any]:
    """Create every resource of the stack and return its outputs (name to value).

    The output names are a stable, documented contract (docs/outputs.md): other stacks and
    the application repository's workflows read them.
    """
    region = pulumi.Config("aws").require("region")
    _check_github_owner(settings)
    repositories = read_github_repositories(settings)
    prefix = settings.resource_prefix
    protect = settings.protect_stateful
    tags = settings.tags
    retention = settings.log_retention

    logs_key = _logs_key(settings, region)
    log_key_arn = logs_key.key_arn if logs_key else None

    registry = ContainerRegistry(
        "registry",
        ContainerRegistryArgs(
            repository_name=f"{settings.app}/{settings.env}",
            untagged_expiry_days=settings.registry_untagged_expiry_days,
            keep_release_images=settings.registry_keep_release_images,
            release_tag_patterns=tuple(settings.registry_release_tag_patterns),
            pull_account_ids=tuple(settings.registry_pull_account_ids),
            key_deletion_window_days=settings.kms_deletion_window_days,
            protect=protect,
            tags=tags,
        ),
    )

    network = Network(
        "network",
        NetworkArgs(
            name_prefix=prefix,
            vpc_cidr=settings.vpc_cidr,
            az_count=settings.by_profile("az_count"),
            nat_strategy=NatStrategy(settings.by_profile("nat_strategy")),
            interface_endpoints=tuple(settings.vpc_interface_endpoints),
            s3_gateway_endpoint=settings.vpc_s3_gateway_endpoint,
            flow_logs=settings.by_profile("flow_logs"),
            flow_log_retention_days=retention,
            log_kms_key_arn=log_key_arn,
            protect=protect,
            tags=tags,
        ),
    )

    cluster = EcsCluster(
        "cluster",
        EcsClusterArgs(
            cluster_name=prefix,
            container_insights=ContainerInsights(settings.container_insights),
            on_demand_base=settings.by_profile("capacity_on_demand_base"),
            on_demand_weight=1,
            spot_weight=settings.by_profile("capacity_spot_weight"),
            execute_command=settings.execute_command,
            exec_log_retention_days=retention,
            log_kms_key_arn=log_key_arn,
            key_deletion_window_days=settings.kms_deletion_window_days,
            protect=protect,
            tags=tags,
        ),
    )

    ghcr = settings.image_source == "ghcr"
    store = _secret_store(settings, secrets)

    alerting = Alerting(
        "alerting",
        AlertingArgs(
            topic_name=f"{prefix}-alerts",
            email_endpoints=tuple(settings.alert_emails),
            https_endpoints=tuple(settings.alert_https_endpoints),
            key_deletion_window_days=settings.kms_deletion_window_days,
            protect=protect,
            tags=tags,
        ),
    )

    bootstrap = _bootstrap_image(settings, registry)

    desired = settings.by_profile("desired_count")
    # One set of thresholds for the rollback alarms and the operational ones.
    thresholds = thresholds_for(settings.profile.value)
    service = FargateService(
        "service",
        FargateServiceArgs(
            service_name=prefix,
            placement=PlacementOptions.of(cluster, network),
            listener=ListenerOptions(
                certificate_arn=settings.certificate_arn,
                allow_plain_http=(
                    settings.profile is Profile.DEV and settings.certificate_arn is None
                ),
                domain_name=settings.domain_name,
                ingress_cidrs=tuple(settings.ingress_cidrs),
            ),
            image_channel_prefix=image_channel_prefix(settings),
            bootstrap_image=bootstrap,
            repository_arn=None if ghcr else registry.repository_arn,
            repository_credentials_secret_arn=(
                store.secret_arns[GHCR_PULL_SECRET] if ghcr else None
            ),
            container_port=settings.container_port,
            health_check_path=settings.health_check_path,
            environment=dict(entry.split("=", 1) for entry in settings.app_environment),
            secrets=store.environment_secrets(
                {variable: secret_name(variable) for variable in settings.app_secrets}
            ),
            secret_kms_key_arns=(store.kms_key_arn,),
            deletion_protection=settings.is_prod,
            enable_execute_command=settings.execute_command,
            logging=LoggingOptions(retention_days=retention, kms_key_arn=log_key_arn),
            capacity=CapacityOptions(
                cpu=settings.by_profile("task_cpu"),
                memory=settings.by_profile("task_memory"),
                cpu_architecture=settings.cpu_architecture,
                desired_count=desired,
                capacity_provider_strategy=cluster.default_capacity_provider_strategy,
            ),
            autoscaling=AutoscalingOptions(
                min_count=settings.task_counts[0], max_count=settings.task_counts[2]
            )
            if settings.by_profile("autoscaling")
            else None,
            rollback_alarms=RollbackAlarmOptions(
                alarm_actions=(alerting.topic_arn,),
                target_5xx_threshold=thresholds.target_5xx_count,
            )
            if settings.by_profile("alarm_rollback")
            else None,
            protect=protect,
            tags=tags,
        ),
    )
    if settings.execute_command:
        cluster.grant_exec(service.task_role)

    backup = BackupPlan(
        "backup",
        BackupPlanArgs(
            name_prefix=prefix,
            selection_tag_value=settings.env,
            rules=BACKUP_RULES[settings.profile](),
            resource_arns=tuple(settings.backup_resource_arns),
            region=region,
            copy_region=settings.backup_copy_region,
            vault_lock=VaultLock(settings.by_profile("backup_vault_lock")),
            vault_lock_cool_off_days=settings.backup_vault_lock_cool_off_days,
            notification_topic_arn=alerting.topic_arn if settings.is_prod else None,
            key_deletion_window_days=settings.kms_deletion_window_days,
            data_bucket=settings.data_bucket,
            protect=protect,
            tags=tags,
        ),
    )
    if settings.data_bucket:
        backup.grant_read_write(service.task_role)

    monitoring = ServiceMonitoring(
        "monitoring",
        ServiceMonitoringArgs(
            name_prefix=prefix,
            cluster_name=cluster.cluster_name,
            service_name=service.service_name,
            lb_arn_suffix=service.lb_arn_suffix,
            target_group_arn_suffix=service.target_group_arn_suffix,
            alarm_actions=(alerting.topic_arn,),
            thresholds=thresholds,
            backup_vault_name=backup.vault_name if settings.is_prod else None,
            tags=tags,
            # The rollback alarms already page on these metrics: no second alarm for them.
            existing_alarms={
                key: service.rollback_alarm_arns[key] for key in service.rollback_alarm_keys
            },
        ),
    )

    outputs: dict[str, Any] = {
        "environment": settings.env,
        "profile": settings.profile.value,
        "awsRegion": region,
        "repositoryUrl": registry.repository_url,
        "repositoryArn": registry.repository_arn,
        "registryId": registry.registry_id,
        "registryKmsKeyArn": registry.kms_key_arn,
        "vpcId": network.vpc_id,
        "privateSubnetIds": network.private_subnet_ids,
        "publicSubnetIds": network.public_subnet_ids,
        "clusterName": cluster.cluster_name,
        "clusterArn": cluster.cluster_arn,
        "serviceName": service.service_name,
        "serviceArn": service.service_arn,
        "taskFamily": service.task_family,
        "containerName": service.container_name,
        "taskRoleArn": service.task_role_arn,
        "executionRoleArn": service.execution_role_arn,
        "loadBalancerDnsName": service.load_balancer_dns_name,
        "environmentUrl": service.url,
        "logGroupName": service.log_group_name,
        "imageChannelParameter": service.image_channel.deployed_parameter_name,
        "secretArns": store.secret_arns,
        "alertTopicArn": alerting.topic_arn,
        "dashboardName": monitoring.dashboard_name,
        "backupVaultName": backup.vault_name,
        "backupPlanId": backup.plan_id,
        "backupCopyVaultArn": backup.copy_vault_arn,
        "dataBucketName": backup.data_bucket_name,
    }
    outputs |= _account_resources(settings, region)
    outputs |= _github(settings, secrets, region, registry, service, repositories)
    return outputs


def _account_resources(settings: StackSettings, region: str) -> dict[str, Any]:
    """The CloudTrail trail, created only by the stack that owns the account's resources."""
    if not settings.owns_account_resources:
        return {}
    trail = AuditTrail(
        "audit",
        AuditTrailArgs(
            trail_name=f"{settings.app}-account-trail",
            use_existing_trail_arn=settings.existing_trail_arn,
            retention_days=settings.by_profile("audit_retention_days"),
            log_retention_days=settings.log_retention,
            object_lock=settings.by_profile("audit_object_lock"),
            key_deletion_window_days=settings.kms_deletion_window_days,
            protect=settings.protect_stateful,
            tags=settings.tags,
        ),
    )
    outputs: dict[str, Any] = {
        "auditTrailArn": trail.trail_arn,
        "auditBucketName": trail.bucket_name,
    }
    if settings.backup_copy_region is not None:
        RegistryReplication(
            "registry-replication",
            RegistryReplicationArgs(
                destination_region=settings.backup_copy_region,
                repository_prefixes=(f"{settings.app}/",),
                source_region=region,
            ),
        )
    return outputs


def _github(
    settings: StackSettings,
    secrets: StackSecrets,
    region: str,
    registry: ContainerRegistry,
    service: FargateService,
    repositories: tuple[GithubRepositoryFacts, GithubRepositoryFacts | None],
) -> dict[str, Any]:
    """GitHub OIDC roles, the deployment environment and, for the owner, the repository."""
    identity = aws.get_caller_identity_output()
    infra = settings.github_infra_repository
    application, infrastructure = repositories
    subject_format = SubjectFormat(settings.github_oidc_subject_format)
    oidc = GithubOidc(
        "github-oidc",
        GithubOidcArgs(
            existing_provider_arn=(
                None
                if settings.owns_account_resources
                else pulumi.Output.concat(
                    "arn:aws:iam::", identity.account_id, ":oidc-provider/", OIDC_HOST
                )
            ),
            infrastructure_repository=infra,
            infrastructure_repository_ids=infrastructure.ids if infrastructure else None,
            infrastructure_subject_format=subject_format,
            infrastructure_environments=(f"infra-{settings.env}",) if infra else (),
            state_bucket_arn=settings.state_bucket_arn,
            state_key_arn=settings.state_key_arn,
            protect=settings.protect_stateful,
            tags=settings.tags,
        ),
    )
    deploy_role = oidc.deploy_role(
        "deploy",
        DeployRoleArgs(
            repository=settings.github_repository,
            environment=settings.env,
            repository_ids=application.ids,
            subject_format=subject_format,
            ecr_repository_arn=registry.repository_arn,
            ecs_service_arn=service.service_arn,
            task_family=service.task_family,
            task_role_arn=service.task_role_arn,
            execution_role_arn=service.execution_role_arn,
            image_channel_parameter_arn=service.image_channel.deployed_parameter_arn,
            tags=settings.tags,
        ),
    )
    variables: dict[VariableName, pulumi.Input[str]] = {
        EnvironmentVariable.AWS_REGION: region,
        EnvironmentVariable.AWS_ACCOUNT_ID: identity.account_id,
        EnvironmentVariable.AWS_DEPLOY_ROLE_ARN: deploy_role.arn,
        EnvironmentVariable.ECR_REPOSITORY_URL: registry.repository_url,
        EnvironmentVariable.ECS_CLUSTER: pulumi.Output.from_input(settings.resource_prefix),
        EnvironmentVariable.ECS_SERVICE: service.service_name,
        EnvironmentVariable.ECS_CONTAINER_NAME: service.container_name,
        EnvironmentVariable.ECS_TASK_FAMILY: service.task_family,
        EnvironmentVariable.ENVIRONMENT_URL: service.url,
        EnvironmentVariable.HEALTH_CHECK_PATH: settings.health_check_path,
        EnvironmentVariable.IMAGE_CHANNEL_PARAMETER: (
            service.image_channel.deployed_parameter_name
        ),
    }
    environment_secrets: dict[SecretName, pulumi.Input[str]] = {}
    webhook = secrets.get("slackWebhookUrl")
    if webhook is not None:
        environment_secrets[EnvironmentSecret.SLACK_WEBHOOK_URL] = webhook
    environment = DeploymentEnvironment(
        "github-environment",
        DeploymentEnvironmentArgs(
            repository=settings.github_repository,
            environment=settings.env,
            reviewers=tuple(settings.reviewers),
            reviewer_teams=tuple(settings.reviewer_teams),
            require_reviewers=settings.by_profile("require_reviewers"),
            prevent_self_review=settings.prevent_self_review,
            wait_timer_minutes=settings.by_profile("wait_timer_minutes"),
            can_admins_bypass=settings.environment_admins_bypass,
            deploy_branch_patterns=tuple(settings.deploy_branch_patterns),
            deploy_tag_patterns=tuple(settings.deploy_tag_patterns),
            variables=variables,
            secrets=environment_secrets,
            repository_plan=settings.repository_plan,
        ),
    )
    outputs: dict[str, Any] = {
        "githubEnvironment": environment.environment,
        "deployRoleArn": deploy_role.arn,
        "githubOidcProviderArn": oidc.provider_arn,
    }
    if oidc.preview_role_arn is not None:
        outputs["infraPreviewRoleArn"] = oidc.preview_role_arn
    if oidc.apply_role_arn is not None:
        outputs["infraApplyRoleArn"] = oidc.apply_role_arn
    if settings.owns_repository_resources:
        spec = workflow_spec(settings)
        workflows = WorkflowSet(
            "workflows",
            WorkflowSetArgs(
                repository=settings.github_repository,
                spec=spec,
                direct_commit=settings.workflows_direct_commit,
            ),
        )
        outputs["workflowsContentSha"] = workflows.content_sha
        outputs["workflowsPullRequest"] = workflows.pull_request_number
        app = spec.release_token is ReleaseTokenMode.APP
        # Every release run reports from it (the notify job), whatever else it holds.
        release_environment = _release_environment(settings, secrets, spec)
        outputs["npmEnvironment"] = release_environment.environment
        owners = bool(spec.code_owners)
        if not owners:
            pulumi.log.warn(
                "slipway:workflowCodeOwners is empty: no .github/CODEOWNERS is delivered with "
                "the workflows, so a change to the release machinery needs no owner's review"
            )
        RepositoryGuardrails(
            "repository",
            RepositoryGuardrailsArgs(
                repository=settings.github_repository,
                required_approvals=settings.required_approvals,
                release_app_id=settings.release_app_id if app else None,
                # Only GITHUB_TOKEN releases need workflows to open pull requests.
                actions_can_create_pull_requests=not app,
                # The workflow pull request delivers CODEOWNERS (WorkflowSpec.code_owners).
                require_code_owner_review=owners,
                external_codeowners=owners,
            ),
        )
    return outputs


def _release_environment(
    settings: StackSettings, secrets: StackSecrets, spec: WorkflowSpec
) -> DeploymentEnvironment:
    """The environment the version, publish and notify jobs run in (``spec.npm_environment``):
    it holds the release app's client ID and key and the Slack webhook of release reports, and
    trusted publishers name it. The component's
    default branches are the release workflow's (main and the release branches); no reviewers,
    since a merged version pull request is the approval."""
    variables: dict[VariableName, pulumi.Input[str]] = {}
    release_secrets: dict[SecretName, pulumi.Input[str]] = {}
    if spec.release_token is ReleaseTokenMode.APP:
        assert settings.release_app_client_id is not None  # the settings require it
        variables[ReleaseVariable.RELEASE_APP_CLIENT_ID] = settings.release_app_client_id
        key_value = secrets.get("releaseAppPrivateKey")
        if key_value is not None:
            release_secrets[ReleaseSecret.RELEASE_APP_PRIVATE_KEY] = key_value
    webhook = secrets.get("slackWebhookUrl")
    if webhook is not None:
        release_secrets[EnvironmentSecret.SLACK_WEBHOOK_URL] = webhook
    return DeploymentEnvironment(
        "npm-environment",
        DeploymentEnvironmentArgs(
            repository=settings.github_repository,
            environment=spec.npm_environment,
            variables=variables,
            secrets=release_secrets,
            repository_plan=settings.repository_plan,
        ),
    )


def workflow_spec(settings: StackSettings) -> WorkflowSpec:
    """What the application repository's generated files are rendered from. Identical for
    every stack with the same settings, so whichever stack owns the files renders the same."""
    return WorkflowSpec(
        repository=settings.github_repository,
        environments=tuple(settings.workflow_environments),
        changesets_cli_major=settings.changesets_cli_major,
        npm_publish=NpmPublishMode(settings.npm_publish),
        container_port=settings.container_port,
        health_check_path=settings.health_check_path,
        release_token=ReleaseTokenMode(settings.release_token),
        code_owners=tuple(settings.workflow_code_owners),
        attestations=settings.repository_plan.attestations,
        code_scanning=settings.code_scanning,
    )


def generated_files(settings: StackSettings) -> dict[str, str]:
    """The files this stack delivers into the application repository (path to content)."""
    if not settings.owns_repository_resources:
        return {}
    return render_workflow_files(workflow_spec(settings))


def main() -> None:
    """Load settings, build the stack and export its outputs: what ``pulumi up`` runs."""
    settings, secrets = load_settings()
    for name, value in build(settings, secrets).items():
        pulumi.export(name, value)
