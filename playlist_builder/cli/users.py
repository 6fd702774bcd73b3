"""`playlist-builder users`: accounts of the clinic app (clinicians review; staff build and export)."""

from __future__ import annotations

import sys

import click

from playlist_builder.cli.common import AppContext, echo_json, echo_table, json_option, pass_app
from playlist_builder.services.users import MIN_PASSWORD_LENGTH, ROLES, add_user, list_users


@click.group()
def group() -> None:
    """Accounts of the clinic app (`playlist-builder serve`).

    \b
    Example:
      playlist-builder users add amira --role clinician
      playlist-builder users list
    """


@group.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="clinician (reviews, decides) or staff."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@pass_app
def add(app: AppContext, name: str, role: str, password_stdin: bool) -> None:
    """Create an account; asks for its password twice (hashed with argon2id, never stored).

    \b
    Example:
      playlist-builder users add amira --role clinician
      printf '%s\\n' "$PASSWORD" | playlist-builder users add desk --role staff --password-stdin
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"Password for {name} (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    user = add_user(app.library, name, role, password)
    click.echo(f"Created account {user.name} ({user.role}).")


@group.command("list")
@json_option
@pass_app
def list_command(app: AppContext) -> None:
    """List the accounts and their roles.

    \b
    Example:
      playlist-builder users list --json
    """
    users = list_users(app.library)
    if app.json:
        echo_json([{"name": u.name, "role": u.role} for u in users])
        return
    if not users:
        click.echo("No accounts: the app runs for one local user on 127.0.0.1 only.")
        return
    echo_table(["name", "role"], [[u.name, u.role] for u in users])
