"""``riskkit team apply FILE``: users and permissions of a risk team on the authenticated server."""

from __future__ import annotations

import argparse
from typing import Any

from riskkit.app.team import apply_team, describe_server_role, load_team, plan_grants, plan_server_roles
from riskkit.cli._common import EXIT_OK, guarded

__all__ = ["register"]


def _cmd_apply(args: argparse.Namespace) -> int:
    team = load_team(args.file)
    if args.dry_run:
        for grant in plan_grants(team):
            print(f"{grant.username}: {grant.permission} on {grant.resource_type} {grant.resource!r}")
        for username, role in plan_server_roles(team):
            print(f"{username}: role {role} ({describe_server_role(role)})")
        return EXIT_OK
    for line in apply_team(team, args.server):
        print(line)
    print(f"team applied: {len(team.members)} user(s), {len(team.experiments)} experiment(s), "
          f"{len(team.registered_models)} registered model(s)")
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``team`` (``team apply FILE``) to the ``riskkit`` subcommands."""
    team = sub.add_parser("team", help="users and permissions of a risk team on the authenticated tracking server")
    team_sub = team.add_subparsers(dest="team_command", required=True)
    apply = team_sub.add_parser(
        "apply", help="create the team's users, experiments and registered models and set their permissions",
        description="Passwords come from the environment variables the file names (password_env); the admin's "
                    "from admin.password_env (default RISKKIT_ADMIN_PASSWORD).",
    )
    apply.add_argument("file", help="team file, e.g. data/team_roles.example.yaml")
    apply.add_argument("--server", metavar="URI", help="the team server (default: MLFLOW_TRACKING_URI)")
    apply.add_argument("--dry-run", action="store_true", help="print the permissions without contacting the server")
    apply.set_defaults(func=guarded("team apply", _cmd_apply))
