"""Settings: every malformed configuration fails before any resource exists, and says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.domains.identity import IdentitySettings
from infra.settings import SECRET_SETTINGS, Profile, StackSettings, parse_settings
from slipway import ConfigError
from slipway.alerting import email_problems
from slipway.audit_trail import audit_retention_problems, trail_arn_problems
from slipway.backup import cool_off_problems
from slipway.cluster import EcsClusterArgs, capacity_base_problems, capacity_weight_problems
from slipway.deployment_environment import wait_timer_problems
from slipway.deployment_strategy import (
    bake_time_problems,
    canary_percent_problems,
    linear_step_percent_problems,
    step_interval_problems,
    strategy_kind_problems,
)
from slipway.fargate_service import (
    container_port_problems,
    desired_count_problems,
    env_name_problems,
)
from slipway.load_balancer import domain_name_problems
from slipway.logs import CLOUDWATCH_RETENTION_DAYS
from slipway.registry import (
    keep_release_problems,
    pull_account_problems,
    release_tag_pattern_problems,
    untagged_expiry_problems,
)
from tooling.offline import run_stack

PREVIEWS_ON = {
    "previews": "true",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "domainName": "dev.acme-corp.example",
}
CERTIFICATE = "arn:aws:acm:eu-west-1:111122223333:certificate/6c1f0f5e-2b7a-4b57-9d0e-1a4c5e7f9b21"

# (case id, stack, config overrides (None removes the key), secret values, expected fragments)
MALFORMED: list[tuple[str, str, dict[str, str | None], dict[str, str], list[str]]] = [
    (
        "unknown key with a suggestion",
        "dev",
        {"logRetentionDay": "30"},
        {},
        [
            "slipway:logRetentionDay is not a Slipway setting",
            "did you mean slipway:logRetentionDays",
        ],
    ),
    (
        "unknown key without a close match",
        "dev",
        {"colour": "blue"},
        {},
        ["slipway:colour is not a Slipway setting", "docs/configuration.md"],
    ),
    (
        "integer given as a word",
        "dev",
        {"logRetentionDays": "thirty"},
        {},
        ["slipway:logRetentionDays: got 'thirty'; a whole number"],
    ),
    (
        "retention CloudWatch does not offer",
        "dev",
        {"logRetentionDays": "10"},
        {},
        ["slipway:logRetentionDays: got 10;", "one of CloudWatch's values: 1, 3, 5, 7, 14"],
    ),
    (
        "prod retention below 90 days",
        "prod",
        {"logRetentionDays": "30"},
        {},
        [
            "slipway:logRetentionDays: got 30;",
            "prod profile keeps logs at least 90 days: one of 90, 120, 150",
        ],
    ),
    (
        "unknown profile",
        "dev",
        {"profile": "production"},
        {},
        ["slipway:profile: got 'production';", "'dev', 'staging' or 'prod'"],
    ),
    (
        "missing profile",
        "staging",
        {"profile": None},
        {},
        ["slipway:profile is required and not set", "pulumi config set profile"],
    ),
    (
        "missing application repository",
        "prod",
        {"githubRepository": None},
        {},
        ["slipway:githubRepository is required and not set"],
    ),
    (
        "OIDC subject format that does not exist",
        "dev",
        {"githubOidcSubjectFormat": "ids"},
        {},
        ["slipway:githubOidcSubjectFormat: got 'ids';", "'immutable', 'name' or 'both'"],
    ),
    (
        "owner type that is neither organisation nor user",
        "prod",
        {"githubOwnerType": "enterprise"},
        {},
        ["slipway:githubOwnerType: got 'enterprise';", "'organization' or 'user'"],
    ),
    (
        "private repository on GitHub Free",
        "dev",
        {"githubRepositoryVisibility": "private"},
        {},
        [
            "slipway:githubPlan: got 'free'; pro, team or enterprise for a private repository",
            "no environments, environment secrets or rulesets",
        ],
    ),
    (
        "prod approval gate GitHub would not enforce",
        "prod",
        {"githubRepositoryVisibility": "private", "githubPlan": "team"},
        {},
        [
            "slipway:githubRepositoryVisibility: got 'private'; public, or githubPlan enterprise: "
            "the prod environment asks for required reviewers (reviewers, reviewerTeams) and a "
            "5-minute wait timer (waitTimerMinutes), which GitHub enforces on a private "
            "repository on the team plan only with GitHub Enterprise",
            "requireReviewers false, waitTimerMinutes 0",
        ],
    ),
    (
        "wait timer alone on a private repository of a personal Pro account",
        "staging",
        {
            "githubRepositoryVisibility": "private",
            "githubPlan": "pro",
            "githubOwnerType": "user",
            "waitTimerMinutes": "10",
        },
        {},
        ["slipway:githubRepositoryVisibility: got 'private';", "a 10-minute wait timer"],
    ),
    (
        "internal repository below Enterprise",
        "dev",
        {"githubRepositoryVisibility": "internal", "githubPlan": "team"},
        {},
        [
            "slipway:githubRepositoryVisibility: got 'internal'; public or private: internal "
            "repositories exist only on GitHub Enterprise (githubPlan is team)"
        ],
    ),
    (
        "organisation on a personal plan",
        "dev",
        {"githubPlan": "pro"},
        {},
        [
            "slipway:githubPlan: got 'pro'; one of ['enterprise', 'free', 'team'] for a "
            "repository owned by an organisation (githubOwnerType organization)"
        ],
    ),
    (
        "plan GitHub does not sell",
        "dev",
        {"githubPlan": "business"},
        {},
        ["slipway:githubPlan: got 'business';", "'free', 'pro', 'team' or 'enterprise'"],
    ),
    (
        "code scanning on a private Pro repository",
        "dev",
        {
            "githubRepositoryVisibility": "private",
            "githubPlan": "pro",
            "githubOwnerType": "user",
            "githubCodeScanning": "true",
        },
        {},
        [
            "slipway:githubCodeScanning: got True; false or unset: code scanning is not "
            "available on a private repository on the pro plan"
        ],
    ),
    (
        "release app without its App ID on the owner stack",
        "prod",
        {"releaseAppId": None},
        {},
        [
            "slipway:releaseAppId is required with releaseToken app on the stack that owns "
            "repository resources",
            "or set releaseToken github-token",
        ],
    ),
    (
        "release app without its client ID on the owner stack",
        "prod",
        {"releaseAppClientId": None},
        {},
        ["slipway:releaseAppClientId is required with releaseToken app", "its client ID"],
    ),
    (
        "OAuth app client ID given for the release app",
        "prod",
        {"releaseAppClientId": "Ov23liB4xKz7Qm2NpR8s"},
        {},
        [
            "slipway:releaseAppClientId: got 'Ov23liB4xKz7Qm2NpR8s'; a GitHub App client ID",
            "not an OAuth app's (Ov…)",
        ],
    ),
    (
        "numeric App ID given as the client ID",
        "prod",
        {"releaseAppClientId": "1234567"},
        {},
        ["slipway:releaseAppClientId: got '1234567';", "not the numeric App ID"],
    ),
    (
        "App ID of zero",
        "prod",
        {"releaseAppId": "0"},
        {},
        ["slipway:releaseAppId: got 0;", "a whole number above 0"],
    ),
    (
        "release token mode that does not exist",
        "prod",
        {"releaseToken": "pat"},
        {},
        ["slipway:releaseToken: got 'pat';", "'app' or 'github-token'"],
    ),
    (
        "release app settings on a stack that does not own the repository",
        "dev",
        {"releaseAppId": "1234567"},
        {},
        [
            "slipway:releaseAppId is set; set only on the stack that owns repository resources "
            "(ownsRepositoryResources)"
        ],
    ),
    (
        "the removed preview workflow setting",
        "prod",
        {"previewWorkflow": "true"},
        {},
        [
            "slipway:previewWorkflow: got 'true'; no longer a setting, remove it (`pulumi config "
            "rm previewWorkflow`): slipway:previews on the stack that owns the preview base "
            "(typically dev) now turns previews on alone"
        ],
    ),
    (
        "preview TTL of zero hours",
        "dev",
        {**PREVIEWS_ON, "previewTtlHours": "0"},
        {},
        ["slipway:previewTtlHours: got 0; 1 to 8760 hours (the images' lifecycle rule"],
    ),
    (
        "preview TTL over a year",
        "dev",
        {**PREVIEWS_ON, "previewTtlHours": "8761"},
        {},
        ["slipway:previewTtlHours: got 8761; 1 to 8760 hours"],
    ),
    (
        "preview label with a quote",
        "dev",
        {**PREVIEWS_ON, "previewLabel": "it's"},
        {},
        ['slipway:previewLabel: got "it\'s"; a label of 1-50 letters, digits, spaces'],
    ),
    (
        "preview label over 50 characters",
        "dev",
        {**PREVIEWS_ON, "previewLabel": "p" * 51},
        {},
        ["slipway:previewLabel: got 'ppppp", "a label of 1-50 letters"],
    ),
    (
        "preview label on a stack without previews",
        "prod",
        {"previewLabel": "preview"},
        {},
        [
            "slipway:previewLabel: got 'preview'; unset unless slipway:previews is true on this "
            "stack: a setting of the stack that owns the preview base (docs/previews.md)"
        ],
    ),
    (
        "preview TTL on a stack without previews",
        "dev",
        {"previewTtlHours": "48"},
        {},
        [
            "slipway:previewTtlHours: got 48; unset unless slipway:previews is true on this "
            "stack: a setting of the stack that owns the preview base (docs/previews.md)"
        ],
    ),
    (
        "release app key with GITHUB_TOKEN releases",
        "prod",
        {"releaseToken": "github-token", "releaseAppId": None, "releaseAppClientId": None},
        {"releaseAppPrivateKey": "-----BEGIN RSA PRIVATE KEY-----"},
        [
            "slipway:releaseAppPrivateKey is set; unset with releaseToken github-token (no "
            "release app)"
        ],
    ),
    (
        "release app key in plain text",
        "prod",
        {"releaseAppPrivateKey": "-----BEGIN RSA PRIVATE KEY-----"},
        {},
        ["slipway:releaseAppPrivateKey holds a secret in plain text"],
    ),
    (
        "repository slug without owner",
        "dev",
        {"githubRepository": "storefront"},
        {},
        ["slipway:githubRepository: got 'storefront';", "owner/name"],
    ),
    (
        "repository owner with a double hyphen",
        "dev",
        {"githubRepository": "acme--corp/storefront"},
        {},
        ["slipway:githubRepository: got 'acme--corp/storefront';", "single inner hyphens"],
    ),
    (
        "repository name that is a path",
        "dev",
        {"githubRepository": "acme-corp/.."},
        {},
        ["slipway:githubRepository: got 'acme-corp/..';"],
    ),
    (
        "infra repository given as a URL",
        "dev",
        {"githubInfraRepository": "https://github.com/acme-corp/infra"},
        {},
        ["slipway:githubInfraRepository: got 'https://github.com/acme-corp/infra';", "owner/name"],
    ),
    (
        "CIDR with an impossible prefix",
        "dev",
        {"vpcCidr": "10.20.0.0/33"},
        {},
        ["slipway:vpcCidr: got '10.20.0.0/33';", "CIDR notation"],
    ),
    (
        "CIDR that is not an address",
        "dev",
        {"vpcCidr": "ten.twenty/16"},
        {},
        ["slipway:vpcCidr: got 'ten.twenty/16';", "CIDR notation"],
    ),
    (
        "public CIDR",
        "prod",
        {"vpcCidr": "8.8.0.0/16"},
        {},
        [
            "slipway:vpcCidr: got '8.8.0.0/16';",
            "a private IPv4 network (RFC 1918: 10/8, 172.16/12, 192.168/16), /16 to /24",
        ],
    ),
    (
        "CIDR with host bits set",
        "dev",
        {"vpcCidr": "10.20.1.0/16"},
        {},
        ["slipway:vpcCidr: got '10.20.1.0/16';", "has host bits set"],
    ),
    (
        "CIDR too small for the subnets",
        "dev",
        {"vpcCidr": "10.20.0.0/28"},
        {},
        ["slipway:vpcCidr: got '10.20.0.0/28';", "/16 to /24"],
    ),
    (
        "keep zero release images",
        "dev",
        {"registryKeepReleaseImages": "0"},
        {},
        ["slipway:registryKeepReleaseImages: got 0; 1 to 1000"],
    ),
    (
        "keep too many release images",
        "prod",
        {"registryKeepReleaseImages": "5000"},
        {},
        ["slipway:registryKeepReleaseImages: got 5000; 1 to 1000"],
    ),
    (
        "negative untagged expiry",
        "dev",
        {"registryUntaggedExpiryDays": "-1"},
        {},
        ["slipway:registryUntaggedExpiryDays: got -1; 1 to 365"],
    ),
    (
        "release pattern that matches everything",
        "dev",
        {"registryReleaseTagPatterns": '["*"]'},
        {},
        ["slipway:registryReleaseTagPatterns: got ['*'];", "a lone '*' would match every"],
    ),
    (
        "list setting given as a plain string",
        "dev",
        {"registryReleaseTagPatterns": "v*"},
        {},
        ["slipway:registryReleaseTagPatterns: got 'v*'; a list of strings"],
    ),
    (
        "pull account that is not an account ID",
        "dev",
        {"registryPullAccountIds": '["12345"]'},
        {},
        ["slipway:registryPullAccountIds: got ['12345'];", "12-digit AWS account IDs"],
    ),
    (
        "KMS deletion window shorter than KMS allows",
        "dev",
        {"kmsDeletionWindowDays": "3"},
        {},
        ["slipway:kmsDeletionWindowDays: got 3;", "KMS allows 7 to 30 days"],
    ),
    (
        "environment name with upper case and underscore",
        "dev",
        {"environment": "Dev_1"},
        {},
        ["slipway:environment: got 'Dev_1';", "lower-case letters"],
    ),
    (
        "application name ending with a hyphen",
        "dev",
        {"appName": "shop-"},
        {},
        ["slipway:appName: got 'shop-';", "not ending with '-'"],
    ),
    (
        "HTTPS listener without a certificate in prod",
        "prod",
        {"certificateArn": None},
        {},
        ["slipway:certificateArn: got None;", "plain HTTP is allowed only in dev"],
    ),
    (
        "waf that is not a boolean",
        "prod",
        {"waf": "sometimes"},
        {},
        ["slipway:waf: got 'sometimes'; true or false"],
    ),
    (
        "WAF rate limit below WAF's minimum",
        "staging",
        {"wafRateLimit": "5"},
        {},
        ["slipway:wafRateLimit: got 5;", "10 to 2,000,000,000"],
    ),
    (
        "WAF rate limit that is not a number",
        "dev",
        {"wafRateLimit": "lots"},
        {},
        ["slipway:wafRateLimit: got 'lots';"],
    ),
    (
        "hosted zone ID that is not one",
        "dev",
        {"hostedZoneId": "example.com", "domainName": "shop.example.com"},
        {},
        ["slipway:hostedZoneId: got 'example.com';", "a Route 53 hosted zone ID"],
    ),
    (
        "both a certificate and a hosted zone",
        "prod",
        {"hostedZoneId": "Z0123456789ABCDEFGHIJ"},
        {},
        ["slipway:hostedZoneId: got 'Z0123456789ABCDEFGHIJ';", "not both"],
    ),
    (
        "hosted zone with a domain too long for the boundary",
        "dev",
        {"hostedZoneId": "Z0123456789ABCDEFGHIJ", "domainName": "a" * 60 + "." + "b" * 50 + ".io"},
        {},
        ["slipway:domainName: got 'aaaa", "at most 90 characters with hostedZoneId"],
    ),
    (
        "hosted zone without the domain name",
        "dev",
        {"hostedZoneId": "Z0123456789ABCDEFGHIJ"},
        {},
        ["slipway:domainName: got None;", "set with hostedZoneId"],
    ),
    (
        "certificate that is not an ACM ARN",
        "staging",
        {"certificateArn": "arn:aws:iam::111122223333:server-certificate/x"},
        {},
        ["slipway:certificateArn: got 'arn:aws:iam::111122223333:server-certificate/x';"],
    ),
    (
        "VPC overlapping a reserved range",
        "prod",
        {"vpcCidr": "10.0.0.0/20"},
        {},
        ["slipway:vpcCidr: got '10.0.0.0/20';", "does not overlap reservedCidrs (10.0.0.0/16)"],
    ),
    (
        "no NAT and no endpoints",
        "dev",
        {"natStrategy": "none", "vpcInterfaceEndpoints": '["secretsmanager"]'},
        {},
        [
            "slipway:natStrategy: got 'none';",
            "missing: ecr.api, ecr.dkr, logs in slipway:vpcInterfaceEndpoints",
        ],
    ),
    (
        "unknown interface endpoint",
        "dev",
        {"vpcInterfaceEndpoints": '["ecr.api", "dynamodb"]'},
        {},
        [
            "slipway:vpcInterfaceEndpoints: got ['ecr.api', 'dynamodb']; distinct services among",
            "ecr.api, ecr.dkr, logs, secretsmanager",
        ],
    ),
    (
        "three availability zones too many",
        "prod",
        {"azCount": "4"},
        {},
        ["slipway:azCount: got 4;", "slipway:azCount: got 4; 2 to 3"],
    ),
    (
        "an unknown CPU architecture",
        "dev",
        {"cpuArchitecture": "RISCV"},
        {},
        ["slipway:cpuArchitecture: got 'RISCV';"],
    ),
    (
        "desired count above the maximum",
        "prod",
        {"desiredCount": "20"},
        {},
        ["slipway:desiredCount: got 20;", "from slipway:minCount (12) to slipway:maxCount (12)"],
    ),
    (
        "GHCR without its pull token",
        "dev",
        {"imageSource": "ghcr", "ghcrImage": "ghcr.io/acme-corp/storefront", "ghcrUsername": "bot"},
        {},
        ["slipway:ghcrPullToken is required when imageSource is ghcr"],
    ),
    (
        "health path without a leading slash",
        "dev",
        {"healthCheckPath": "health"},
        {},
        ["slipway:healthCheckPath: got 'health';", "starting with '/'"],
    ),
    (
        "privileged container port",
        "dev",
        {"containerPort": "80"},
        {},
        ["slipway:containerPort: got 80; 1024 to 65535", "without root"],
    ),
    (
        "compliance lock cool-off shorter than AWS allows",
        "prod",
        {"backupVaultLockCoolOffDays": "2"},
        {},
        ["slipway:backupVaultLockCoolOffDays: got 2; 3 to 36500 days"],
    ),
    (
        "on-demand base above the most tasks a stack runs",
        "dev",
        {"capacityOnDemandBase": "101"},
        {},
        ["slipway:capacityOnDemandBase: got 101; 0 to 100", "at most 100 tasks"],
    ),
    (
        "spot weight above what ECS allows",
        "dev",
        {"capacitySpotWeight": "1001"},
        {},
        ["slipway:capacitySpotWeight: got 1001; 0 to 1000"],
    ),
    (
        "alert e-mail given twice",
        "dev",
        {"alertEmails": '["oncall@example.com", "oncall@example.com"]'},
        {},
        ["slipway:alertEmails: got ['oncall@example.com', 'oncall@example.com']; no duplicates"],
    ),
    (
        "existing trail ARN with a malformed trail name",
        "prod",
        {
            "existingTrailArn": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/a..b",
            "ownsAccountResources": "true",
        },
        {},
        ["slipway:existingTrailArn: got 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/a..b'"],
    ),
    (
        "domain name with upper case",
        "dev",
        {"domainName": "Shop.Example.com", "certificateArn": CERTIFICATE},
        {},
        ["slipway:domainName: got 'Shop.Example.com'; a lower-case DNS name"],
    ),
    (
        "no task at all",
        "dev",
        {"desiredCount": "0"},
        {},
        ["slipway:desiredCount: got 0; 1 to 100", "runs at least one task"],
    ),
    (
        "application secret with a lower-case name",
        "dev",
        {"appSecrets": '["database_url"]'},
        {},
        ["slipway:appSecrets: got ['database_url'];", "names of upper-case letters"],
    ),
    (
        "environment variable name starting with a digit",
        "dev",
        {"appEnvironment": '["1PORT=3000"]'},
        {},
        ["slipway:appEnvironment: got ['1PORT'];", "not starting with a digit"],
    ),
    (
        "application secret named twice",
        "dev",
        {"appSecrets": '["DATABASE_URL", "DATABASE_URL"]'},
        {},
        ["slipway:appSecrets: got ['DATABASE_URL']; each name once"],
    ),
    (
        "environment entry without a value",
        "dev",
        {"appEnvironment": '["NODE_ENV"]'},
        {},
        ["slipway:appEnvironment: got ['NODE_ENV'];", "NAME=value"],
    ),
    (
        "secret also given as a plain variable",
        "staging",
        {"appEnvironment": '["DATABASE_URL=postgres://db"]'},
        {},
        ["slipway:appEnvironment:", "['DATABASE_URL'] are in appSecrets"],
    ),
    (
        "boolean given as yes",
        "dev",
        {"executeCommand": "yes"},
        {},
        ["slipway:executeCommand: got 'yes'; true or false"],
    ),
    (
        "backup copy region equal to the primary",
        "prod",
        {"backupCopyRegion": "eu-west-1"},
        {},
        ["slipway:backupCopyRegion: got 'eu-west-1';", "other than aws:region (eu-west-1)"],
    ),
    (
        "prod without a backup copy region",
        "prod",
        {"backupCopyRegion": None},
        {},
        ["slipway:backupCopyRegion: got None;", "prod copies every backup out of region"],
    ),
    (
        "compliance lock without a cool-off in prod",
        "prod",
        {"backupVaultLockCoolOffDays": None},
        {},
        ["slipway:backupVaultLockCoolOffDays is required with a compliance vault lock"],
    ),
    (
        "cool-off without a compliance lock",
        "staging",
        {"backupVaultLockCoolOffDays": "7"},
        {},
        ["slipway:backupVaultLockCoolOffDays: got 7;", "unless backupVaultLock is compliance"],
    ),
    (
        "copy region that is not a region",
        "prod",
        {"backupCopyRegion": "Frankfurt"},
        {},
        ["slipway:backupCopyRegion: got 'Frankfurt';", "a region code", "pulumi_aws.Region"],
    ),
    (
        "alert e-mail without a domain",
        "staging",
        {"alertEmails": '["oncall"]'},
        {},
        ["slipway:alertEmails: got ['oncall'];", "e-mail addresses"],
    ),
    (
        "alert endpoint over plain HTTP",
        "prod",
        {"alertHttpsEndpoints": '["http://hooks.example.com/x"]'},
        {},
        ["slipway:alertHttpsEndpoints:", "https:// URLs"],
    ),
    (
        "audit retention shorter than a quarter",
        "prod",
        {"auditRetentionDays": "30"},
        {},
        ["slipway:auditRetentionDays: got 30; 91 to 3653", "files move to GLACIER"],
    ),
    (
        "Container Insights off under the running-tasks alarm",
        "dev",
        {"containerInsights": "disabled"},
        {},
        ["slipway:containerInsights: got 'disabled';", "running-tasks alarm"],
    ),
    (
        "seven reviewers",
        "prod",
        {"reviewers": '["a1", "a2", "a3", "a4", "a5", "a6", "a7"]'},
        {},
        ["slipway:reviewers: got ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', ", "at most 6"],
    ),
    (
        "seven reviewers counting teams",
        "prod",
        {"reviewers": '["a1", "a2", "a3", "a4", "a5"]', "reviewerTeams": '["t1", "t2"]'},
        {},
        ["slipway:reviewers:", "users and teams together"],
    ),
    (
        "wait timer of 50000 minutes",
        "prod",
        {"waitTimerMinutes": "50000"},
        {},
        ["slipway:waitTimerMinutes: got 50000; 0 to 43200 minutes"],
    ),
    (
        "empty reviewer list in prod",
        "prod",
        {"reviewers": None, "reviewerTeams": None},
        {},
        ["slipway:reviewers: got [];", "the prod environment requires approval"],
    ),
    (
        "branch pattern that is not a glob",
        "staging",
        {"deployBranchPatterns": '["release/..", "main"]'},
        {},
        ["slipway:deployBranchPatterns: got 'release/..';", "a glob with no"],
    ),
    (
        "admins bypassing prod approval",
        "prod",
        {"environmentAdminsBypass": "true"},
        {},
        ["slipway:environmentAdminsBypass: got True;", "false in prod"],
    ),
    (
        "certificate without the name it covers",
        "staging",
        {"domainName": None},
        {},
        ["slipway:domainName: got None;", "the name the certificate covers"],
    ),
    (
        "application secret value in plain text",
        "staging",
        {"secretDatabaseUrl": "postgres://user:pw@db/app"},
        {},
        ["slipway:secretDatabaseUrl holds a secret in plain text"],
    ),
    (
        "value for an application secret that is not declared",
        "staging",
        {},
        {"secretStripeKey": "sk_live_x"},
        ["slipway:secretStripeKey is the value of no application secret", "appSecrets"],
    ),
    (
        "secret setting in plain text",
        "prod",
        {"slackWebhookUrl": "https://hooks.slack.com/services/T000/B000/XXXX"},
        {},
        ["slipway:slackWebhookUrl holds a secret in plain text", "pulumi config set --secret"],
    ),
    (
        "code owner without the @",
        "prod",
        {"workflowCodeOwners": '["acme-corp/platform"]'},
        {},
        ["slipway:workflowCodeOwners", "'@user' or '@org/team'", "acme-corp/platform"],
    ),
    (
        "certificate in another region than the stack",
        "prod",
        {
            "certificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/"
            "9a3d7b42-6e1c-4f08-b5d2-3c8e0a7f1d64"
        },
        {},
        ["slipway:certificateArn", "an ACM certificate in eu-west-1", "not us-east-1"],
    ),
    (
        "Changesets CLI 2, whose action cannot split the release jobs",
        "prod",
        {"changesetsCliMajor": "2"},
        {},
        ["slipway:changesetsCliMajor", "got 2", "one of [3]"],
    ),
    (
        "task CPU that is not a Fargate size",
        "dev",
        {"taskCpu": "300"},
        {},
        ["slipway:taskCpu: got 300;", "Fargate allows CPU units 256, 512, 1024"],
    ),
    (
        "task memory that does not go with the task CPU",
        "dev",
        {"taskCpu": "256", "taskMemory": "4096"},
        {},
        [
            "slipway:taskMemory: got 4096;",
            "with slipway:taskCpu 256 Fargate allows memory (MiB) 512, 1024, 2048",
        ],
    ),
    (
        "profile's task memory that does not go with a bigger task CPU",
        "dev",
        {"taskCpu": "2048"},
        {},
        ["slipway:taskMemory: got 512;", "with slipway:taskCpu 2048 Fargate allows memory"],
    ),
    (
        "secret recovery window Secrets Manager refuses",
        "staging",
        {"secretsRecoveryWindowDays": "3"},
        {},
        ["slipway:secretsRecoveryWindowDays: got 3;", "0 (delete at once) or 7 to 30"],
    ),
    (
        "backup resource that is not an ARN",
        "dev",
        {"backupResourceArns": '["not-an-arn"]'},
        {},
        ["slipway:backupResourceArns: got ['not-an-arn'];", "resource ARNs (arn:<partition>:"],
    ),
    (
        "plain environment variable that looks like a secret",
        "dev",
        {"appEnvironment": '["DB_PASSWORD=hunter2"]'},
        {},
        [
            "slipway:appEnvironment: got ['DB_PASSWORD'];",
            "no secret-looking names",
            "slipway:appSecrets",
        ],
    ),
    (
        "reviewer named twice",
        "prod",
        {"reviewers": '["octocat", "octocat"]'},
        {},
        ["slipway:reviewers: got ['octocat', 'octocat'];", "distinct GitHub logins"],
    ),
    (
        "reviewer team named twice",
        "prod",
        {"reviewerTeams": '["platform", "platform"]'},
        {},
        ["slipway:reviewerTeams: got ['platform', 'platform'];", "distinct team slugs"],
    ),
    (
        "bootstrap build context that does not exist",
        "dev",
        {"bootstrapBuildContext": "no/such/context"},
        {},
        ["slipway:bootstrapBuildContext: got 'no/such/context';", "an existing directory"],
    ),
    (
        "bootstrap build context without a Dockerfile",
        "dev",
        {"bootstrapBuildContext": "docs"},
        {},
        ["slipway:bootstrapBuildContext: got 'docs';", "a directory that holds a Dockerfile"],
    ),
    (
        "fewest tasks above the most tasks",
        "dev",
        {"minCount": "5", "maxCount": "2"},
        {},
        ["slipway:minCount: got 5;", "at most slipway:maxCount (2)"],
    ),
    (
        "desired count outside the autoscaling bounds",
        "prod",
        {"minCount": "4", "maxCount": "8"},
        {},
        [
            "slipway:desiredCount: got 3;",
            "a count from slipway:minCount (4) to slipway:maxCount (8)",
        ],
    ),
    (
        "region the AWS provider does not know",
        "dev",
        {"aws:region": "eu-west-9"},
        {},
        ["aws:region: got 'eu-west-9';", "pulumi_aws.Region", "eu-central-1"],
    ),
    (
        "region given by its display name",
        "dev",
        {"aws:region": "Europe (Ireland)"},
        {},
        ["aws:region: got 'Europe (Ireland)';", "a region code (not its display name)"],
    ),
    (
        "missing region",
        "staging",
        {"aws:region": None},
        {},
        ["aws:region is required and not set", "pulumi config set aws:region"],
    ),
    (
        "AWS access key in plain text",
        "dev",
        {"aws:accessKey": "AKIAIOSFODNN7EXAMPLE"},
        {},
        ["aws:accessKey is set (in plain text)", "AWS credentials never go in a stack file"],
    ),
    (
        "AWS secret key even as a secret",
        "prod",
        {},
        {"aws:secretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
        ["aws:secretKey is set (with --secret)", "AWS_PROFILE"],
    ),
    (
        "GitHub token in plain text",
        "staging",
        {"github:token": "ghp_0000000000000000000000000000000000"},
        {},
        ["github:token holds a secret in plain text", "pulumi config set --secret github:token"],
    ),
    (
        "more required approvals than a ruleset allows",
        "prod",
        {"requiredApprovals": "11"},
        {},
        ["slipway:requiredApprovals: got 11; 1 to 10"],
    ),
    (
        "a health check path the container's health command cannot carry",
        "dev",
        {"healthCheckPath": "/health?x=1"},
        {},
        ["slipway:healthCheckPath: got '/health?x=1'"],
    ),
    (
        "a deployment strategy ECS does not have",
        "dev",
        {"deploymentStrategy": "bluegreen"},
        {},
        ["slipway:deploymentStrategy: got 'bluegreen'; rolling or canary or linear or blue_green"],
    ),
    (
        "a canary above all of the traffic",
        "prod",
        {"canaryPercent": "150"},
        {},
        [
            "slipway:canaryPercent: got 150; 0.1 to 100 %, in steps of 0.1 "
            "(ECS's CanaryConfiguration.canaryPercent)"
        ],
    ),
    (
        "a linear step below ECS's smallest",
        "staging",
        {"linearStepPercent": "2"},
        {},
        [
            "slipway:linearStepPercent: got 2; 3 to 100 %, in steps of 0.1 "
            "(ECS's LinearConfiguration.stepPercent)"
        ],
    ),
    (
        "a step interval longer than ECS's day",
        "prod",
        {"stepIntervalMinutes": "1441"},
        {},
        ["slipway:stepIntervalMinutes: got 1441; 0 to 1440 minutes (ECS's CanaryConfiguration"],
    ),
    (
        "a negative bake time",
        "prod",
        {"bakeTimeMinutes": "-1"},
        {},
        [
            "slipway:bakeTimeMinutes: got -1; 0 to 1440 minutes "
            "(ECS's DeploymentConfiguration.bakeTimeInMinutes)"
        ],
    ),
    (
        "a canary share with a linear strategy",
        "staging",
        {"canaryPercent": "5"},
        {},
        ["slipway:canaryPercent: got 5; unset with deploymentStrategy linear: only canary uses it"],
    ),
    (
        "a bake time with a rolling strategy",
        "dev",
        {"bakeTimeMinutes": "10"},
        {},
        [
            "slipway:bakeTimeMinutes: got 10; unset with deploymentStrategy rolling: only "
            "canary or linear or blue_green uses it"
        ],
    ),
    (
        "plain setting set as a secret",
        "dev",
        {},
        {"vpcCidr": "10.20.0.0/16"},
        ["slipway:vpcCidr is not a secret setting but was set with --secret"],
    ),
    (
        "OIDC provider ownership that does not exist",
        "dev",
        {"githubOidcProvider": "import"},
        {},
        ["slipway:githubOidcProvider: got 'import';", "'adopt'"],
    ),
    (
        "audit-trail ownership given as a word",
        "dev",
        {"ownsAuditTrail": "maybe"},
        {},
        ["slipway:ownsAuditTrail: got 'maybe'"],
    ),
    (
        "replicated repositories on a stack that does not own replication",
        "staging",
        {"replicatedRepositories": '["storefront/prod"]'},
        {},
        ["slipway:replicatedRepositories: got ['storefront/prod'];", "ownsRegistryReplication"],
    ),
    (
        "replicated repository in upper case",
        "prod",
        {"replicatedRepositories": '["Storefront/prod"]'},
        {},
        ["slipway:replicatedRepositories: got ['Storefront/prod'];", "repository name prefixes"],
    ),
    (
        "deploy timeout beyond GitHub's six hours",
        "prod",
        {"deployTimeoutMinutes": "400"},
        {},
        ["slipway:deployTimeoutMinutes: got 400;", "from 5 to 360"],
    ),
    (
        "CIS alarms on a stack whose trail another stack owns",
        "prod",
        {"ownsAuditTrail": "false", "cisAlarms": "true"},
        {},
        ["slipway:cisAlarms: got True;", "ownsAuditTrail"],
    ),
    # Issue 21, section 4: each refused before any registration, naming the key.
    (
        "no one may reach the load balancer",
        "prod",
        {"ingressCidrs": "[]"},
        {},
        ["slipway:ingressCidrs: got [];", "one or more IPv4 networks in CIDR notation"],
    ),
    (
        "a branch pattern with a trailing slash",
        "prod",
        {"deployBranchPatterns": '["main", "release/"]'},
        {},
        ["slipway:deployBranchPatterns: got 'release/';", "no leading or trailing '/'"],
    ),
    (
        "a branch pattern with an empty path segment",
        "prod",
        {"deployBranchPatterns": '["a//b"]'},
        {},
        ["slipway:deployBranchPatterns: got 'a//b';", "'//'"],
    ),
    (
        "a tag pattern given twice",
        "prod",
        {"deployTagPatterns": '["v*", "v*"]'},
        {},
        ["slipway:deployTagPatterns: got ['v*', 'v*'];", "distinct patterns; ['v*'] given twice"],
    ),
    (
        "a bootstrap image with an empty path segment",
        "prod",
        {"bootstrapImage": "ghcr.io/acme//app:1"},
        {},
        ["slipway:bootstrapImage: got 'ghcr.io/acme//app:1';", "with a tag or an @sha256 digest"],
    ),
    (
        "a GHCR image ending with a dot",
        "prod",
        {"imageSource": "ghcr", "ghcrImage": "ghcr.io/acme/app.", "ghcrUsername": "acme-bot"},
        {"ghcrPullToken": "token"},
        ["slipway:ghcrImage: got 'ghcr.io/acme/app.';", "an image repository on ghcr.io"],
    ),
    (
        "a GHCR user that is no GitHub login",
        "prod",
        {"imageSource": "ghcr", "ghcrImage": "ghcr.io/acme/app", "ghcrUsername": "acme bot!"},
        {"ghcrPullToken": "token"},
        ["slipway:ghcrUsername: got 'acme bot!';", "a GitHub login"],
    ),
    (
        "replicated repositories in two namespaces",
        "prod",
        {"replicatedRepositories": '["storefront/prod", "billing/prod"]'},
        {},
        [
            "slipway:replicatedRepositories: got ['storefront/prod', 'billing/prod'];",
            "prefixes under one namespace",
        ],
    ),
    (
        "a certificate of another account",
        "prod",
        {"aws:allowedAccountIds": '["444455556666"]'},
        {},
        [
            "slipway:certificateArn: got 'arn:aws:acm:eu-west-1:111122223333:certificate/",
            "an ACM certificate of the stack's account (444455556666, aws:allowedAccountIds)",
            "not 111122223333",
        ],
    ),
    (
        "an account ID of four digits",
        "dev",
        {"aws:allowedAccountIds": '["1234"]'},
        {},
        ["aws:allowedAccountIds: got ['1234'];", "a list of 12-digit AWS account IDs"],
    ),
    (
        "an account ID YAML read as a number",
        "dev",
        {"aws:allowedAccountIds": "[11122223333]"},
        {},
        ["aws:allowedAccountIds: got [11122223333];", "each quoted"],
    ),
    (
        "allowed and forbidden accounts together",
        "dev",
        {"aws:forbiddenAccountIds": '["444455556666"]'},
        {},
        ["aws:forbiddenAccountIds is set with aws:allowedAccountIds; the provider takes one"],
    ),
    (
        "a key in a namespace nothing reads",
        "dev",
        {"slipwy:logRetentionDays": "30"},
        {},
        [
            "slipwy:logRetentionDays is in the namespace 'slipwy', which nothing in this program "
            "reads;",
            "did you mean slipway:logRetentionDays?",
        ],
    ),
    (
        "a profile that does not exist, in the project's words",
        "dev",
        {"profile": "qa"},
        {},
        ["slipway:profile: got 'qa'; one of 'dev', 'staging' or 'prod'"],
    ),
]


@pytest.mark.parametrize(
    ("stack_name", "overrides", "secrets", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in MALFORMED],
)
def test_malformed_configuration_fails_before_any_resource(
    stack_name: str, overrides: dict[str, str | None], secrets: dict[str, str], expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack(stack_name, overrides=overrides, secrets=secrets)
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message
    assert len(caught.value.problems) == 1, message
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_arm_tasks_may_run_on_fargate_spot() -> None:
    """ECS runs ARM64 tasks on Fargate Spot since 2024-09 ("Amazon ECS now supports AWS
    Graviton-based Spot compute with AWS Fargate", AWS What's New, 2024-09-06)."""
    recording = run_stack("dev", overrides={"cpuArchitecture": "ARM64"})
    (task,) = recording.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    (service,) = recording.of_type("aws:ecs/service:Service")
    providers = {s["capacityProvider"] for s in service.inputs["capacityProviderStrategies"]}
    assert "FARGATE_SPOT" in providers


def test_required_approvals_follow_the_rulesets_own_limit() -> None:
    """One rule (RepositoryGuardrails' ``required_approvals_problems``): a ruleset's
    pull-request rule takes up to 10 approvals, so the setting does too."""
    settings, _ = parse_settings(
        {"profile": "dev", "githubRepository": "a/b", "requiredApprovals": "10"}, set(), "dev"
    )
    assert settings.workflows.required_approvals == 10


def test_malformed_table_is_large_and_distinct() -> None:
    assert len(MALFORMED) >= 40
    assert len({case[0] for case in MALFORMED}) == len(MALFORMED)


def test_every_problem_is_reported_in_one_message() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides={"logRetentionDays": "10", "vpcCidr": "nope", "bogus": "1"})
    keys = sorted(p.split(" ")[0].split(":")[1] for p in caught.value.problems)
    assert keys == ["bogus", "logRetentionDays", "vpcCidr"]
    assert str(caught.value).count("\n") == 2


def test_type_errors_and_value_errors_are_collected_together() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            {"profile": "dev", "githubRepository": "a/b", "registryKeepReleaseImages": "x"},
            set(),
            "dev",
        )
    assert caught.value.problems == ["slipway:registryKeepReleaseImages: got 'x'; a whole number"]


def test_environment_defaults_to_the_stack_name() -> None:
    settings, _ = parse_settings({"profile": "dev", "githubRepository": "a/b"}, set(), "qa")
    assert settings.identity.env == "qa"
    assert settings.identity.resource_prefix == "b-qa"


def test_app_name_defaults_to_a_cleaned_repository_name() -> None:
    settings, _ = parse_settings(
        {"profile": "dev", "githubRepository": "acme/My_Shop.Web"}, set(), "dev"
    )
    assert settings.identity.app == "my-shop-web"


@pytest.mark.parametrize(
    ("profile", "retention"), [(Profile.DEV, 30), (Profile.STAGING, 90), (Profile.PROD, 365)]
)
def test_log_retention_follows_the_profile(profile: Profile, retention: int) -> None:
    raw = {"profile": profile.value, "githubRepository": "a/b"}
    if profile is not Profile.DEV:
        raw |= {"certificateArn": CERTIFICATE, "domainName": "shop.example.com"}
    if profile is Profile.PROD:
        raw |= {
            "backupCopyRegion": "eu-central-1",
            "backupVaultLockCoolOffDays": "7",
            "reviewers": '["octocat"]',
        }
    settings, _ = parse_settings(raw, set(), "x", "eu-west-1")
    assert settings.observability.log_retention == retention
    assert settings.identity.protect_stateful is (profile is Profile.PROD)


def test_settings_are_frozen() -> None:
    settings, _ = parse_settings({"profile": "dev", "githubRepository": "a/b"}, set(), "dev")
    with pytest.raises(ValueError, match="frozen"):
        settings.network.vpc_cidr = "10.0.0.0/16"  # type: ignore[misc]


def test_model_rejects_unknown_fields_when_used_directly() -> None:
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        IdentitySettings.model_validate({"profile": "dev", "githubRepository": "a/b", "x": 1})


def test_secret_settings_come_out_only_as_secret_outputs() -> None:
    recording_secrets: dict[str, bool] = {}

    def program() -> dict[str, object]:
        from infra.settings import load_settings

        _, secrets = load_settings()
        value = secrets.get("slackWebhookUrl")
        assert value is not None
        return {"webhook": value}

    from tooling.offline import load_stack_config, run_program

    config, secret_keys = load_stack_config("prod")
    config["slipway:slackWebhookUrl"] = "https://hooks.slack.com/services/T/B/X"
    recording = run_program("prod", config, [*secret_keys, "slipway:slackWebhookUrl"], program)
    recording_secrets["webhook"] = "webhook" in recording.secret_outputs
    assert recording_secrets == {"webhook": True}


def test_unset_secret_is_none_and_undeclared_secret_is_refused() -> None:
    _, secrets = parse_settings({"profile": "dev", "githubRepository": "a/b"}, set(), "dev")
    assert secrets.get("slackWebhookUrl") is None
    with pytest.raises(KeyError, match="not a declared secret setting"):
        secrets.get("databasePassword")
    assert {s.key for s in SECRET_SETTINGS} == {
        "ghcrPullToken",
        "releaseAppPrivateKey",
        "slackWebhookUrl",
    }


def test_app_secret_keys_follow_the_variable_names() -> None:
    from infra.settings import app_secret_key

    assert app_secret_key("DATABASE_URL") == "secretDatabaseUrl"
    assert app_secret_key("SESSION_SECRET") == "secretSessionSecret"
    assert app_secret_key("X") == "secretX"


def _settings(stack: str, **overrides: str | None) -> StackSettings:
    from tooling.offline import load_stack_config

    config, secret_keys = load_stack_config(stack)
    raw = {k.removeprefix("slipway:"): v for k, v in config.items() if k.startswith("slipway:")}
    secret = {k.removeprefix("slipway:") for k in secret_keys}
    merged = {k: v for k, v in {**raw, **overrides}.items() if v is not None}
    settings, _ = parse_settings(merged, secret, stack, "eu-west-1")
    return settings


@pytest.mark.parametrize(
    ("overrides", "attestations", "code_scanning"),
    [
        ({}, True, True),
        ({"githubCodeScanning": "false"}, True, False),
        ({"githubRepositoryVisibility": "private", "githubPlan": "enterprise"}, True, False),
        (
            {
                "githubRepositoryVisibility": "private",
                "githubPlan": "enterprise",
                "githubCodeScanning": "true",
            },
            True,
            True,
        ),
        (
            {
                "githubRepositoryVisibility": "private",
                "githubPlan": "team",
                "githubCodeScanning": "true",
                "reviewers": "[]",
                "reviewerTeams": "[]",
                "requireReviewers": "false",
                "waitTimerMinutes": "0",
            },
            False,
            True,
        ),
    ],
)
def test_the_workflows_use_attestations_and_code_scanning_only_where_github_has_them(
    overrides: dict[str, str], attestations: bool, code_scanning: bool
) -> None:
    from infra.stack import workflow_spec

    spec = workflow_spec(_settings("prod", **overrides))
    assert spec.attestations is attestations
    assert spec.code_scanning is code_scanning


@pytest.mark.parametrize(
    ("overrides", "mode"),
    [
        ({}, "app"),
        (
            {"releaseToken": "github-token", "releaseAppId": None, "releaseAppClientId": None},
            "github-token",
        ),
    ],
)
def test_the_workflows_act_as_the_configured_release_identity(
    overrides: dict[str, str | None], mode: str
) -> None:
    from infra.stack import workflow_spec
    from slipway.workflows import ReleaseTokenMode

    settings = _settings("prod", **overrides)
    assert workflow_spec(settings).release_token is ReleaseTokenMode(mode)


def test_provider_settings_are_checked_in_the_same_round_as_slipway_settings() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack(
            "dev",
            overrides={"aws:region": "eu-west-9", "taskCpu": "300", "github:token": "ghp_x"},
        )
    keys = sorted(p.split(" ")[0].rstrip(":") for p in caught.value.problems)
    assert keys == ["aws:region", "github:token", "slipway:taskCpu"]


def test_credentials_are_refused_without_echoing_them() -> None:
    key_id, token = "AKIAIOSFODNN7EXAMPLE", "ghp_0123456789abcdef"
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides={"aws:accessKey": key_id, "github:token": token})
    assert key_id not in str(caught.value)
    assert token not in str(caught.value)


def test_a_github_token_set_as_a_secret_is_accepted() -> None:
    recording = run_stack("dev", secrets={"github:token": "ghp_0123456789abcdef"})
    assert recording.resources


def test_rules_across_settings_run_in_the_same_round_as_single_values() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides={"logRetentionDays": "10", "taskCpu": "300", "bogus": "1"})
    keys = sorted(p.split(" ")[0].split(":")[1] for p in caught.value.problems)
    assert keys == ["bogus", "logRetentionDays", "taskCpu"]


def test_a_refused_value_does_not_make_the_rules_across_settings_blame_another() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides={"taskCpu": "lots", "taskMemory": "4096"})
    assert caught.value.problems == ["slipway:taskCpu: got 'lots'; a whole number"]


def _setting_verdict(raw: dict[str, str], setting: str) -> list[str]:
    """The problems the settings report for ``setting`` (empty: accepted)."""
    base = {"profile": "dev", "githubRepository": "a/b"}
    try:
        parse_settings({**base, **raw}, set(), "dev")
    except ConfigError as error:
        return [p for p in error.problems if p.startswith(f"slipway:{setting}:")]
    return []


@pytest.mark.parametrize("days", [0, 1, 2, 10, 30, 90, 400, 731, 3653, 3654, 36500])
def test_log_retention_is_one_rule_for_the_settings_and_the_components(days: int) -> None:
    """slipway:logRetentionDays and a component's retention give the same verdict, in the same
    words after the name: both call slipway.logs.retention_problems."""
    settings = _setting_verdict({"logRetentionDays": str(days)}, "logRetentionDays")
    try:
        EcsClusterArgs(cluster_name="c", exec_log_retention_days=days)
        component: list[str] = []
    except ConfigError as error:
        component = error.problems
    assert bool(settings) == bool(component) == (days not in CLOUDWATCH_RETENTION_DAYS)
    assert [p.split(":", 2)[2] for p in settings] == [p.split(":", 1)[1] for p in component]


@pytest.mark.parametrize("days", [-1, 0, 6, 7, 14, 30, 31, 365])
def test_kms_deletion_window_is_one_rule_for_the_settings_and_the_components(days: int) -> None:
    """slipway:kmsDeletionWindowDays and EcsClusterArgs.key_deletion_window_days give the same
    verdict, in the same words after the name: both call
    slipway.encryption_key.deletion_window_problems."""
    settings = _setting_verdict({"kmsDeletionWindowDays": str(days)}, "kmsDeletionWindowDays")
    try:
        EcsClusterArgs(cluster_name="c", key_deletion_window_days=days)
        component: list[str] = []
    except ConfigError as error:
        component = error.problems
    assert bool(settings) == bool(component) == (not 7 <= days <= 30)
    assert [p.split(":", 2)[2] for p in settings] == [p.split(":", 1)[1] for p in component]


@pytest.mark.parametrize("count", [-1, 0, 1, 3, 100, 101])
def test_desired_count_is_the_components_rule_with_one_task_at_least(count: int) -> None:
    """slipway:desiredCount and CapacityOptions.desired_count use one range rule
    (components.fargate_service.desired_count_problems); the settings differ only by asking
    for one task at least, and say why."""
    settings = _setting_verdict({"desiredCount": str(count)}, "desiredCount")
    component = desired_count_problems(count)
    assert bool(settings) == (not 1 <= count <= 100)
    assert bool(component) == (not 0 <= count <= 100)
    if settings and component:
        assert settings[0].split("; ")[1].startswith("1 to 100")
        assert component[0].split("; ")[1] == "0 to 100"


@pytest.mark.parametrize("name", ["DATABASE_URL", "_X", "database_url", "1X", "A-B", "X" * 256])
def test_variable_names_are_the_components_rule(name: str) -> None:
    """slipway:appSecrets and FargateServiceArgs.secrets refuse the same names, in the same
    words (components.fargate_service.env_name_problems); the settings also refuse lower case."""
    settings = _setting_verdict({"appSecrets": f'["{name}"]'}, "appSecrets")
    component = env_name_problems([name], "FargateServiceArgs.secrets")
    upper = env_name_problems([name], "x", upper_case=True)
    assert bool(settings) == bool(upper) == bool(component or name != name.upper())
    assert [p.split(": ", 1)[1] for p in settings] == [p.split(": ", 1)[1] for p in upper]


@pytest.mark.parametrize("port", [0, 80, 1023, 1024, 3000, 65535, 65536])
def test_container_port_is_the_components_rule(port: int) -> None:
    """slipway:containerPort is refused up front exactly when FargateServiceArgs.container_port
    would refuse it later (components.fargate_service.container_port_problems)."""
    settings = _setting_verdict({"containerPort": str(port)}, "containerPort")
    component = container_port_problems(port)
    assert bool(settings) == bool(component) == (not 1024 <= port <= 65535)
    assert [p.split(": ", 1)[1] for p in settings] == [p.split(": ", 1)[1] for p in component]


@pytest.mark.parametrize(
    ("setting", "rule", "values"),
    [
        ("auditRetentionDays", audit_retention_problems, [0, 90, 91, 365, 3653, 3654]),
        ("backupVaultLockCoolOffDays", cool_off_problems, [0, 2, 3, 7, 36500, 36501]),
    ],
)
def test_day_ranges_are_the_components_rules(
    setting: str, rule: Callable[[object, str], list[str]], values: list[int]
) -> None:
    """slipway:auditRetentionDays (AuditTrailArgs.retention_days) and
    slipway:backupVaultLockCoolOffDays (BackupPlanArgs.vault_lock_cool_off_days) are refused
    by the components' own functions, in the same words."""
    for value in values:
        raw = {setting: str(value), "backupVaultLock": "compliance"}
        found = _setting_verdict(raw, setting)
        assert found == rule(value, f"slipway:{setting}"), value


@pytest.mark.parametrize(
    ("setting", "raw", "rule", "value"),
    [
        ("registryUntaggedExpiryDays", "0", untagged_expiry_problems, 0),
        ("registryUntaggedExpiryDays", "365", untagged_expiry_problems, 365),
        ("registryUntaggedExpiryDays", "366", untagged_expiry_problems, 366),
        ("registryKeepReleaseImages", "1000", keep_release_problems, 1000),
        ("registryKeepReleaseImages", "1001", keep_release_problems, 1001),
        ("registryReleaseTagPatterns", '["v*"]', release_tag_pattern_problems, ["v*"]),
        ("registryReleaseTagPatterns", '["*"]', release_tag_pattern_problems, ["*"]),
        ("registryReleaseTagPatterns", "[]", release_tag_pattern_problems, []),
        (
            "registryReleaseTagPatterns",
            '["a*b*c*d*e*"]',
            release_tag_pattern_problems,
            ["a*b*c*d*e*"],
        ),
        ("registryPullAccountIds", '["111122223333"]', pull_account_problems, ["111122223333"]),
        ("registryPullAccountIds", '["12345"]', pull_account_problems, ["12345"]),
    ],
)
def test_registry_settings_are_the_registrys_rules(
    setting: str, raw: str, rule: Callable[[Any, str], list[str]], value: object
) -> None:
    """The registry settings are refused by ContainerRegistryArgs' own functions
    (components/slipway/registry.py), in the same words, with the config key as the name."""
    assert _setting_verdict({setting: raw}, setting) == rule(value, f"slipway:{setting}")


@pytest.mark.parametrize("value", [-1, 0, 3, 100, 101, 1000, 1001])
def test_capacity_settings_are_the_clusters_rules(value: int) -> None:
    """slipway:capacitySpotWeight is EcsClusterArgs.spot_weight's rule; slipway:capacityOnDemandBase
    is on_demand_base's rule with a stack's 100-task ceiling (components/slipway/cluster.py)."""
    weight = _setting_verdict({"capacitySpotWeight": str(value)}, "capacitySpotWeight")
    assert weight == capacity_weight_problems(value, "slipway:capacitySpotWeight")
    base = _setting_verdict({"capacityOnDemandBase": str(value)}, "capacityOnDemandBase")
    assert bool(base) == (not 0 <= value <= 100)
    assert bool(capacity_base_problems(value, "x")) == (value < 0)


@pytest.mark.parametrize(
    ("setting", "raw", "rule", "value"),
    [
        ("alertEmails", '["a@example.com"]', email_problems, ["a@example.com"]),
        ("alertEmails", '["a,b@example.com"]', email_problems, ["a,b@example.com"]),
        ("alertEmails", '["a@x.com", "a@x.com"]', email_problems, ["a@x.com", "a@x.com"]),
        (
            "existingTrailArn",
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org",
            trail_arn_problems,
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org",
        ),
        (
            "existingTrailArn",
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/a__b",
            trail_arn_problems,
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/a__b",
        ),
    ],
)
def test_alerting_and_trail_settings_are_the_components_rules(
    setting: str, raw: str, rule: Callable[[Any, str], list[str]], value: object
) -> None:
    """slipway:alertEmails is AlertingArgs.email_endpoints' rule and slipway:existingTrailArn
    AuditTrailArgs.use_existing_trail_arn's, in the same words: a value the component would
    refuse later is refused up front."""
    raw_config = {setting: raw, "ownsAccountResources": "true"}
    assert _setting_verdict(raw_config, setting) == rule(value, f"slipway:{setting}")


@pytest.mark.parametrize("name", ["shop.example.com", "a.io", "Shop.example.com", "x", "a..b.com"])
def test_domain_name_is_the_components_rule(name: str) -> None:
    """slipway:domainName is ListenerOptions.domain_name's rule, in the same words."""
    found = _setting_verdict({"domainName": name, "certificateArn": CERTIFICATE}, "domainName")
    assert found == domain_name_problems(name, "slipway:domainName")


@pytest.mark.parametrize("minutes", [-1, 0, 5, 43200, 43201])
def test_wait_timer_is_the_environments_rule(minutes: int) -> None:
    """slipway:waitTimerMinutes is DeploymentEnvironmentArgs.wait_timer_minutes' rule."""
    found = _setting_verdict({"waitTimerMinutes": str(minutes)}, "waitTimerMinutes")
    assert found == wait_timer_problems(minutes, "slipway:waitTimerMinutes")


@pytest.mark.parametrize(
    ("setting", "rule", "values"),
    [
        ("deploymentStrategy", strategy_kind_problems, ["rolling", "canary", "blue-green", "x"]),
        ("canaryPercent", canary_percent_problems, [0, 1, 10, 100, 101]),
        ("linearStepPercent", linear_step_percent_problems, [2, 3, 50, 100, 101]),
        ("stepIntervalMinutes", step_interval_problems, [-1, 0, 10, 1440, 1441]),
        ("bakeTimeMinutes", bake_time_problems, [-1, 0, 60, 1440, 1441]),
    ],
)
def test_deployment_strategy_settings_are_the_components_rules(
    setting: str, rule: Callable[[object, str], list[str]], values: list[object]
) -> None:
    """Each strategy setting gives the verdict, in the same words after the name, that the
    component's rule (slipway.deployment_strategy, from ECS's own limits) gives."""
    strategy = {
        "canaryPercent": "canary",
        "linearStepPercent": "linear",
        "stepIntervalMinutes": "linear",
        "bakeTimeMinutes": "blue_green",
    }
    for value in values:
        raw = {setting: str(value)}
        if setting in strategy:
            raw["deploymentStrategy"] = strategy[setting]
        settings = _setting_verdict(raw, setting)
        component = rule(value, "x")
        assert bool(settings) == bool(component), value
        assert [p.split(": ", 1)[1] for p in settings] == [p.split(": ", 1)[1] for p in component]
