"""Start the server exactly as the systemd unit and the image do: their command line and
environment, a temporary data folder and keys, a free port; wait for systemd's READY=1 and an
HTTP answer, see the watchdog pings, stop with SIGTERM and check the clean exit."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_support import REPO, UNITS, dockerfile, exec_form, image_env, one, unit

from server.config import generate_key_files

VENV_BIN = Path(sys.executable).parent
START_S = 180  # migrations on a fresh database, on a busy 2-core machine
# What the image leaves out (deploy/Dockerfile); importing one must not be needed.
BLOCKER = """
import sys
class _NotInTheImage:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"face_recognition", "face_recognition_models", "dlib", "faiss"}:
            raise ModuleNotFoundError(f"{name} is not in the server image")
        return None
sys.meta_path.insert(0, _NotInTheImage())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_port(argv: list[str], port: int) -> list[str]:
    out = list(argv)
    out[out.index("--port") + 1] = str(port)
    return out


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    name = f"@sitegate-start-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name[1:])
    sock.settimeout(1)
    yield sock, name
    sock.close()


def base_env(tmp_path: Path, *, block_face: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SITEGATE_", "NOTIFY_"))}
    paths = [str(REPO)]
    if block_face:
        (tmp_path / "block").mkdir()
        (tmp_path / "block" / "sitecustomize.py").write_text(BLOCKER)
        paths.insert(0, str(tmp_path / "block"))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["WATCHDOG_USEC"] = "2000000"
    return env


def run_until_sigterm(
    argv: list[str], env: dict[str, str], cwd: Path, sock: socket.socket, port: int
) -> tuple[list[str], str]:
    """Returns the datagrams received and the process's output."""
    got: list[str] = []
    out = cwd / "server.log"
    with out.open("w") as log:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_S
            while "READY=1" not in "\n".join(got):
                assert proc.poll() is None, out.read_text()
                assert time.monotonic() < deadline, "no READY=1"
                with contextlib.suppress(TimeoutError):
                    got.append(sock.recv(4096).decode())
            # READY=1 is sent once uvicorn listens: the first request must be answered.
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
                    status = r.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status < 500
            while "WATCHDOG=1" not in got:
                assert time.monotonic() < deadline, "no WATCHDOG=1"
                with contextlib.suppress(TimeoutError):
                    got.append(sock.recv(4096).decode())
            proc.send_signal(signal.SIGTERM)
            returncode = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    while True:
        try:
            got.append(sock.recv(4096).decode())
        except (TimeoutError, BlockingIOError):
            break
    text = out.read_text()
    # uvicorn finishes its shutdown, then re-raises the SIGTERM it caught: systemd counts
    # death by SIGTERM as a clean stop (SuccessExitStatus), and so does docker stop.
    assert returncode in (0, -signal.SIGTERM), text
    assert "Finished server process" in text
    assert "Traceback" not in text
    return got, text


def test_the_unit_command_line(tmp_path: Path, notify_socket: tuple[socket.socket, str]) -> None:
    sock, name = notify_socket
    service = unit(UNITS / "sitegate-server.service")["Service"]
    data, creds = tmp_path / "state", tmp_path / "credentials"
    data.mkdir()
    generate_key_files(creds)
    port = free_port()

    def here(value: str) -> str:  # systemd's specifiers and folders, in the test's tree
        return (
            value.replace("%d", str(creds))
            .replace("/var/lib/sitegate", str(data))
            .replace("/opt/sitegate/.venv/bin", str(VENV_BIN))
        )

    env = base_env(tmp_path, block_face=False)
    env.update(dict(here(e).split("=", 1) for e in service["Environment"]))
    env["NOTIFY_SOCKET"] = name
    argv = with_port(shlex.split(here(one(service, "ExecStart"))), port)
    cwd = Path(here(one(service, "WorkingDirectory")))

    got, text = run_until_sigterm(argv, env, cwd, sock, port)

    assert got[0] == "READY=1\nSTATUS=serving"
    assert "STOPPING=1" in got
    assert (data / "sitegate.sqlite3").is_file()
    assert "admin created" in text  # the first admin's password, once, in the journal


def test_the_image_command_without_the_face_engine(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, name = notify_socket
    instructions = dockerfile()
    last = max(i.stage for i in instructions)
    data, secrets = tmp_path / "var-lib-sitegate", tmp_path / "run-secrets"
    data.mkdir()
    secrets.mkdir()
    for path in generate_key_files(tmp_path / "keys"):
        shutil.copy(path, secrets / f"sitegate_{path.stem}_key")
    port = free_port()

    def here(value: str) -> str:
        return value.replace("/var/lib/sitegate", str(data)).replace("/run/secrets", str(secrets))

    env = base_env(tmp_path, block_face=True)
    env.update({k: here(v) for k, v in image_env(instructions).items() if k != "PATH"})
    env["NOTIFY_SOCKET"] = name
    cmd = exec_form([i for i in instructions if i.stage == last and i.name == "CMD"][-1].args)
    argv = with_port([str(VENV_BIN / cmd[0]), *cmd[1:]], port)
    assert argv[argv.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - the container's own interface
    argv[argv.index("--host") + 1] = "127.0.0.1"  # nothing here needs to face the network

    got, _ = run_until_sigterm(argv, env, data, sock, port)

    assert "WATCHDOG=1" in got
    assert (data / "sitegate.sqlite3").is_file()
