"""The stack files as the per-stack tests see them: what each stack file says (its profile, its
environment, what it owns), and temporary copies of the project to change them in.

Per-stack tests take the stacks from the files (:data:`tooling.offline.STACKS`) and their
expectations from what each file says, never from a stack's name: a ``Pulumi.qa.yaml`` added as
docs/runbooks/environments.md says is tested like the others.
"""

from __future__ import annotations

import functools
import ipaddress
import shutil
import uuid
from pathlib import Path
from typing import Any

import yaml

from infra.common import NAMESPACE, Profile
from infra.settings import StackSettings
from slipway.stack_boundary import AccountResource
from tooling.offline import ROOT, discover_stacks, stack_settings


@functools.cache
def settings_of(stack: str) -> StackSettings:
    """The validated settings of a stack file of this project (read once per process)."""
    return stack_settings(stack)


def profile_of(stack: str) -> Profile:
    """The profile the stack file sets."""
    return settings_of(stack).profile


def environment_of(stack: str) -> str:
    """The stack's environment: ``slipway:environment``, else the stack's name."""
    return settings_of(stack).identity.env


def owns_repository(stack: str) -> bool:
    """Does the stack own its application repository's shared resources?"""
    return settings_of(stack).workflows.owns_repository_resources


def owns(stack: str, resource: AccountResource) -> bool:
    """Does the stack own this account-wide resource (directly or through the shorthand)?"""
    return resource in settings_of(stack).account.owned()


def repository_owner(root: Path = ROOT) -> str:
    """The stack of ``root`` that owns the repository resources (the shipped files have one)."""
    (owner,) = [
        s
        for s in discover_stacks(root)
        if stack_settings(s, root).workflows.owns_repository_resources
    ]
    return owner


# --------------------------------------------------------------------------------------------
# Temporary copies of the project
# --------------------------------------------------------------------------------------------


def project_copy(tmp_path: Path, root: Path = ROOT) -> Path:
    """``Pulumi.yaml`` and every stack file of ``root``, copied into ``tmp_path``."""
    for path in root.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def read_config(path: Path) -> dict[str, Any]:
    """The ``config:`` block of a stack file."""
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, Any] = document.get("config") or {}
    return config


def set_config(path: Path, values: dict[str, Any]) -> None:
    """Set (or, with ``None``, remove) keys of a stack file's ``config:`` block, each key once.
    Keys without a namespace are ``slipway:`` keys. The file is written again without its
    comments."""
    document = yaml.safe_load(path.read_text()) or {}
    config = document.setdefault("config", {})
    for name, value in values.items():
        full = name if ":" in name else f"{NAMESPACE}:{name}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def new_stack_name(root: Path, base: str = "qa") -> str:
    """A stack name no file of ``root`` has yet: ``base``, else ``base2``, ``base3``…"""
    taken = set(discover_stacks(root))
    return next(n for n in (base, *(f"{base}{i}" for i in range(2, 100))) if n not in taken)


def free_vpc_cidr(root: Path) -> str:
    """A /16 in 10.0.0.0/8 that overlaps no stack file's ``vpcCidr`` or ``reservedCidrs``."""
    used: list[ipaddress.IPv4Network] = []
    for stack in discover_stacks(root):
        config = read_config(root / f"Pulumi.{stack}.yaml")
        cidrs = [
            config.get(f"{NAMESPACE}:vpcCidr", "10.20.0.0/16"),
            *config.get(f"{NAMESPACE}:reservedCidrs", []),
        ]
        used.extend(ipaddress.IPv4Network(cidr) for cidr in cidrs)
    for candidate in ipaddress.IPv4Network("10.0.0.0/8").subnets(new_prefix=16):
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    raise AssertionError("no free /16 left")


def copy_stack(root: Path, name: str, template: str) -> Path:
    """Copy ``Pulumi.<template>.yaml`` to ``Pulumi.<name>.yaml`` as docs/runbooks/environments.md
    says: the copy gets its own VPC range, host name and certificate (two stacks may share none
    of them). Returns the new file."""
    target = root / f"Pulumi.{name}.yaml"
    shutil.copy(root / f"Pulumi.{template}.yaml", target)
    config = read_config(target)
    changes: dict[str, Any] = {"vpcCidr": free_vpc_cidr(root)}
    domain = config.get(f"{NAMESPACE}:domainName")
    if domain:
        changes["domainName"] = f"{name}.{domain.split('.', 1)[1]}"
    certificate = config.get(f"{NAMESPACE}:certificateArn")
    if certificate:
        changes["certificateArn"] = (
            certificate.rsplit("/", 1)[0] + f"/{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
        )
    if config.get(f"{NAMESPACE}:environment"):
        changes["environment"] = name
    set_config(target, changes)
    return target


def add_environment(root: Path, name: str, profile: Profile = Profile.STAGING) -> Path:
    """Add the stack ``name`` to the project in ``root`` as docs/runbooks/environments.md says:
    copy a stack file of ``profile``, give the copy its own VPC range, host and certificate, and
    list its environment in the owner stack's ``workflowEnvironments`` in promotion order (after
    the last environment of a profile up to ``profile``). Returns the new file."""
    stacks = discover_stacks(root)
    template = next(s for s in stacks if stack_settings(s, root).profile is profile)
    target = copy_stack(root, name, template)
    owner = repository_owner(root)
    chain = list(stack_settings(owner, root).workflows.workflow_environments)
    order = list(Profile)
    ranks = {
        stack_settings(s, root).identity.env: order.index(stack_settings(s, root).profile)
        for s in stacks
    }
    position = sum(1 for e in chain if ranks.get(e, len(order)) <= order.index(profile))
    chain.insert(position, name)
    set_config(root / f"Pulumi.{owner}.yaml", {"workflowEnvironments": chain})
    return target
