"""The systemd units: their settings, and `systemd-analyze verify` on them."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_support import UNITS, one, unit

SERVER = UNITS / "sitegate-server.service"
GATE = UNITS / "sitegate-gate.service"
VENV_BIN = "/opt/sitegate/.venv/bin"


@pytest.mark.parametrize("path", [SERVER, GATE], ids=lambda p: p.stem)
class TestUnit:
    def test_restarts_and_watchdog(self, path: Path) -> None:
        service = unit(path)["Service"]
        assert one(service, "Restart") == "on-failure"
        # WatchdogSec only with a process that notifies (sitegate_cli/systemd.py)
        assert one(service, "Type") == "notify"
        assert one(service, "NotifyAccess") == "main"
        assert int(one(service, "WatchdogSec")) >= 10

    def test_user_and_data_folder(self, path: Path) -> None:
        service = unit(path)["Service"]
        assert one(service, "User") == "sitegate"
        state = one(service, "StateDirectory")
        assert state.startswith("sitegate")
        assert one(service, "WorkingDirectory") == f"/var/lib/{state}"
        assert one(service, "ReadWritePaths") == f"/var/lib/{state}"

    def test_hardened(self, path: Path) -> None:
        service = unit(path)["Service"]
        assert one(service, "NoNewPrivileges") == "yes"
        assert one(service, "ProtectSystem") == "strict"
        assert one(service, "ProtectHome") == "yes"
        assert one(service, "CapabilityBoundingSet") == ""
        assert "AF_UNIX" in one(service, "RestrictAddressFamilies")  # $NOTIFY_SOCKET

    def test_starts_the_installed_command(self, path: Path) -> None:
        argv = shlex.split(one(unit(path)["Service"], "ExecStart"))
        assert argv[0] == f"{VENV_BIN}/sitegate"
        assert unit(path)["Install"]["WantedBy"] == ["multi-user.target"]


class TestServerUnit:
    def test_keys_are_credentials_in_production(self) -> None:
        service = unit(SERVER)["Service"]
        env = dict(e.split("=", 1) for e in service["Environment"])
        assert env["SITEGATE_ENVIRONMENT"] == "production"
        assert env["SITEGATE_SECRET_KEY_FILE"] == "%d/secret.key"
        assert env["SITEGATE_TEMPLATE_KEY_FILE"] == "%d/template.key"
        assert service["LoadCredential"] == [
            "secret.key:/etc/sitegate/secret.key",
            "template.key:/etc/sitegate/template.key",
        ]
        assert env["SITEGATE_DATABASE_URL"] == "sqlite:////var/lib/sitegate/sitegate.sqlite3"

    def test_listens_on_loopback(self) -> None:
        argv = shlex.split(one(unit(SERVER)["Service"], "ExecStart"))
        assert argv[1:] == ["server", "--host", "127.0.0.1", "--port", "8000"]
        assert one(unit(SERVER)["Service"], "PrivateDevices") == "yes"


class TestGateUnit:
    def test_runs_the_agent_with_its_devices(self) -> None:
        service = unit(GATE)["Service"]
        argv = shlex.split(one(service, "ExecStart"))
        assert argv[1:] == ["edge", "run", "--config", "/etc/sitegate/gate.yaml"]
        # serial readers and relays: dialout; no PrivateDevices, which would hide them
        assert "dialout" in one(service, "SupplementaryGroups").split()
        assert "PrivateDevices" not in service

    def test_data_folder_matches_the_example_config(self) -> None:
        import yaml

        example = yaml.safe_load((UNITS.parents[1] / "docs" / "gate.example.yaml").read_text())
        state = one(unit(GATE)["Service"], "StateDirectory")
        assert example["data_dir"] == f"/var/lib/{state}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("path", [SERVER, GATE], ids=lambda p: p.stem)
def test_systemd_analyze_verify(path: Path, tmp_path: Path) -> None:
    # verify also checks that ExecStart is executable: point it at this environment's sitegate
    # (the units name /opt/sitegate, where the README's install puts it).
    here = str(Path(sys.executable).parent)
    assert (Path(here) / "sitegate").exists()
    copy = tmp_path / path.name
    copy.write_text(path.read_text(encoding="utf-8").replace(VENV_BIN, here), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify exits 0 on unknown keys and bad values too; it only says so: nothing may be said
    said = [line for line in (done.stdout + done.stderr).splitlines() if copy.name in line]
    assert done.returncode == 0, done.stderr
    assert said == []
