"""The server image's definition, checked as text: no docker daemon runs here to build it."""

from __future__ import annotations

import re
import shlex
import tomllib

import pytest
from deploy_support import PACKAGING, REPO, Instruction, dockerfile, exec_form, image_env

# Packages the server never imports (only the gate agent and the demo do), left out of the image.
FACE_PACKAGES = {"face-recognition", "face-recognition-models", "dlib-bin", "faiss-cpu"}


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return dockerfile()


def final(instructions: list[Instruction], name: str) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last and i.name == name]


class TestDockerfile:
    def test_multi_stage_and_every_image_pinned(self, instructions: list[Instruction]) -> None:
        froms = [i.args.split()[0] for i in instructions if i.name == "FROM"]
        copied_from = [
            m.group(1) for i in instructions for m in re.finditer(r"--from=(\S+)", i.args)
        ]
        stages = {i.args.split()[-1] for i in instructions if i.name == "FROM" and " AS " in i.args}
        images = froms + [c for c in copied_from if c not in stages]
        assert len(froms) >= 2, "multi-stage: build and runtime"
        for image in images:
            # an exact version tag (x.y.z) or a digest; never latest or a moving major tag
            assert "@sha256:" in image or re.search(r":\d+\.\d+\.\d+", image), image

    def test_python_matches_the_project(self, instructions: list[Instruction]) -> None:
        requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
            "requires-python"
        ]
        assert requires == ">=3.11,<3.12"
        for i in instructions:
            if i.name == "FROM":
                assert i.args.startswith("python:3.11."), i.args
                assert "-slim" in i.args

    def test_runs_as_an_unprivileged_user(self, instructions: list[Instruction]) -> None:
        users = final(instructions, "USER")
        assert users, "the runtime stage sets USER"
        assert users[-1].args not in {"root", "0", "0:0"}
        created = " ".join(i.args for i in final(instructions, "RUN"))
        assert f"useradd --system --uid 10001 --gid {users[-1].args}" in created

    def test_data_folder_is_a_volume_and_the_working_folder(
        self, instructions: list[Instruction]
    ) -> None:
        assert exec_form(final(instructions, "VOLUME")[-1].args) == ["/var/lib/sitegate"]
        assert final(instructions, "WORKDIR")[-1].args == "/var/lib/sitegate"
        env = image_env(instructions)
        assert env["SITEGATE_DATABASE_URL"] == "sqlite:////var/lib/sitegate/sitegate.sqlite3"
        assert env["SITEGATE_ENVIRONMENT"] == "production"
        assert env["SITEGATE_SECRET_KEY_FILE"].startswith("/run/secrets/")
        assert env["SITEGATE_TEMPLATE_KEY_FILE"].startswith("/run/secrets/")

    def test_command_is_the_server(self, instructions: list[Instruction]) -> None:
        cmd = exec_form(final(instructions, "CMD")[-1].args)
        assert cmd[:2] == ["sitegate", "server"]
        # inside its container; compose publishes it on the host's loopback only
        assert cmd[cmd.index("--host") + 1] == "0.0.0.0"  # noqa: S104
        assert not final(instructions, "ENTRYPOINT")

    def test_healthcheck_asks_the_server(self, instructions: list[Instruction]) -> None:
        (check,) = final(instructions, "HEALTHCHECK")
        options, _, cmd = check.args.partition(" CMD ")
        assert "--interval=" in options
        assert "--start-period=" in options
        argv = exec_form(cmd)
        assert argv[0] == "python"
        assert "http://127.0.0.1:8000/healthz" in argv[-1]

    def test_only_the_server_packages_are_installed(self, instructions: list[Instruction]) -> None:
        (arg,) = [i for i in instructions if i.name == "ARG" and i.args.startswith("UV_SYNC=")]
        sync = shlex.split(arg.args.partition("=")[2])[0].split()
        assert sync[:3] == ["uv", "sync", "--frozen"]
        assert "--no-dev" in sync
        assert "--no-editable" in sync
        left_out = {sync[n + 1] for n, a in enumerate(sync) if a == "--no-install-package"}
        assert left_out == FACE_PACKAGES
        lock = (REPO / "uv.lock").read_text()
        for name in left_out:  # a renamed package would silently be installed again
            assert f'name = "{name}"' in lock

    def test_copies_the_wheel_packages_and_no_tests(self, instructions: list[Instruction]) -> None:
        wheel = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
            "targets"
        ]["wheel"]["packages"]
        sources = {
            src.rstrip("/")
            for i in instructions
            if i.name == "COPY" and "--from=" not in i.args
            for src in i.args.split()[:-1]
        }
        assert set(wheel) <= sources
        assert not sources & {".", "tests", "benchmarks", "soak", "scripts", "var"}


class TestDockerignore:
    def test_keeps_out_what_must_not_ship(self) -> None:
        patterns = {
            line.strip()
            for line in (REPO / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        for must in (".git", ".venv", "tests", "var", "**/*.sqlite3", "**/*.key", "**/.env"):
            assert must in patterns, must

    def test_context_folders_exist(self) -> None:
        assert (PACKAGING / "Dockerfile").is_file()
        assert (REPO / "README.md").is_file()  # the wheel's readme, copied with the lock
