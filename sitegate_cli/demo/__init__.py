"""`sitegate demo`: a paid site month and the days since, live today (see runner.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def run(
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="CI: 60 workers, 10 working days, 4 face workers; exits without serving",
        ),
    ] = False,
    port: Annotated[
        int | None, typer.Option(help="server port (default 8000; a free port with --fast)")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--dir", help="demo data folder, recreated each run (default var/demo)"),
    ] = None,
    faces: Annotated[
        Path | None,
        typer.Option(
            "--faces",
            help="face photos, one sub-folder per person, two photos or more each "
            "(default ../shared/testdata/faces; without any: card only)",
        ),
    ] = None,
) -> None:
    """演示:一个工地的一个月,从闸机到工资核对 / demo: a whole site month, gates to wage checks."""
    import faulthandler
    import warnings

    from rich.console import Console

    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    faulthandler.enable()

    from sitegate_cli.demo.runner import DEFAULT_DIR, run_demo

    run_demo(fast=fast, port=port, root=data_dir or DEFAULT_DIR, console=Console(), faces=faces)
