"""`sitegate verify PACK`: the verifier shipped in every evidence pack (models.pack_verifier,
the pack's verify_pack.py), with the same options, output and exit status."""

from __future__ import annotations

from typing import Annotated

import typer

from models import pack_verifier


def verify(
    pack: Annotated[str, typer.Argument(help="证据包 zip / the evidence pack (zip)")],
    gate_key: Annotated[
        list[str] | None,
        typer.Option("--gate-key", help="考勤表上的闸机指纹 / gate fingerprint, CODE=FP"),
    ] = None,
    server_key: Annotated[
        str | None, typer.Option("--server-key", help="报表页脚的服务器指纹 / server key FP")
    ] = None,
    digests: Annotated[
        list[str] | None,
        typer.Option("--digests", help="存档的每日摘要（文件或目录）/ archived digests"),
    ] = None,
    earlier: Annotated[
        list[str] | None, typer.Option("--earlier", help="先前下载的证据包 / an earlier pack")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出 / print JSON")] = False,
    lang: Annotated[str, typer.Option("--lang", help="zh | en | both")] = "both",
) -> None:
    """核验证据包 / verify an evidence pack: exit 0 VALID, 3 VALID_UNANCHORED, 1 INVALID,
    2 the inputs cannot be read."""
    argv = [pack, "--lang", lang]
    argv += [a for k in gate_key or [] for a in ("--gate-key", k)]
    argv += ["--server-key", server_key] if server_key else []
    argv += [a for d in digests or [] for a in ("--digests", d)]
    argv += [a for p in earlier or [] for a in ("--earlier", p)]
    argv += ["--json"] if as_json else []
    raise typer.Exit(pack_verifier.main(argv))
