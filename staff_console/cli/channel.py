"""`channel key create|revoke|list`: the channel back-ends' API keys (admins).

`create` prints the key once (the store keeps only its SHA-256): hand it to the channel
back-end's operator over a channel you trust, then it is gone from here.
"""

from typing import Annotated

import typer

from ..i18n import t
from ._output import console, emit_json, instant, jsonable, label
from ._runtime import AsOpt, JsonOpt, env, handled
from ._usage import ConsoleTyper

channel_app = ConsoleTyper(no_args_is_help=True, help="cli.help.channel")
key_app = ConsoleTyper(no_args_is_help=True, help="cli.help.channel.key")
channel_app.add_typer(key_app, name="key")


@key_app.command("create", help="cli.help.channel.key.create")
@handled
def key_create(
    channel: Annotated[str, typer.Argument(help="cli.help.channel.key.create.channel")],
    as_: AsOpt,
    name: Annotated[str | None, typer.Option("--name",
                                             help="cli.help.channel.key.create.name")] = None,
    as_json: JsonOpt = False,
) -> None:
    created = env().console(as_).create_channel_key(channel, name=name)
    if as_json:
        emit_json({"key": jsonable(created.key), "secret": created.secret})
        return
    out = console()
    out.print(t("cli.channel_key.created", id=created.key.id,
                channel=label("channel", created.key.channel), name=created.key.name))
    out.print(t("cli.channel_key.shown_once"))
    typer.echo(created.secret)


@key_app.command("revoke", help="cli.help.channel.key.revoke")
@handled
def key_revoke(
    key_id: Annotated[int, typer.Argument(help="cli.help.channel.key.revoke.key_id")],
    as_: AsOpt,
    as_json: JsonOpt = False,
) -> None:
    view = env().console(as_).revoke_channel_key(key_id)
    if as_json:
        emit_json(jsonable(view))
        return
    console().print(t("cli.channel_key.revoked", id=view.id, channel=label("channel", view.channel),
                      name=view.name, at=instant(view.revoked_at)))


@key_app.command("list", help="cli.help.channel.key.list")
@handled
def key_list(as_: AsOpt, as_json: JsonOpt = False) -> None:
    from rich.table import Table

    views = env().console(as_).list_channel_keys()
    if as_json:
        emit_json({"items": [jsonable(v) for v in views]})
        return
    table = Table("#", t("cli.col.channel"), t("cli.col.name"), t("cli.channel_key.col_created"),
                  t("cli.channel_key.col_revoked"))
    for v in views:
        table.add_row(str(v.id), label("channel", v.channel), v.name,
                      f"{v.created_by} {instant(v.created_at)}",
                      instant(v.revoked_at) if v.revoked_at else "-")
    console().print(table)
