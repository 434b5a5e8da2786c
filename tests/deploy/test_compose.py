"""The compose file, read as data: no docker daemon or compose plugin runs here to start it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from deploy_support import PACKAGING

SECRET_WORDS = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((PACKAGING / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def env_file_keys(name: str) -> dict[str, str]:
    text = (PACKAGING / f"{name}.example").read_text(encoding="utf-8")
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


class TestCompose:
    def test_server_and_postgres_15(self, compose: dict[str, Any]) -> None:
        services = compose["services"]
        assert set(services) == {"db", "server"}
        assert re.fullmatch(r"postgres:15\.\d+(-\w+)?", services["db"]["image"])
        assert services["server"]["build"] == {
            "context": "..",
            "dockerfile": "deploy/Dockerfile",
        }
        assert (PACKAGING / ".." / services["server"]["build"]["dockerfile"]).is_file()

    def test_each_has_a_healthcheck(self, compose: dict[str, Any]) -> None:
        db = compose["services"]["db"]["healthcheck"]
        assert db["test"][0] == "CMD-SHELL"
        assert "pg_isready" in db["test"][1]
        server = compose["services"]["server"]["healthcheck"]
        assert server["test"][:2] == ["CMD", "python"]
        assert "/healthz" in server["test"][-1]
        for check in (db, server):
            assert {"interval", "timeout", "retries", "start_period"} <= set(check)

    def test_server_waits_for_a_healthy_database(self, compose: dict[str, Any]) -> None:
        depends = compose["services"]["server"]["depends_on"]
        assert depends == {"db": {"condition": "service_healthy"}}

    def test_a_named_volume_each(self, compose: dict[str, Any]) -> None:
        declared = set(compose["volumes"])
        mounts = {
            name: {v.split(":")[0]: v.split(":")[1] for v in svc["volumes"]}
            for name, svc in compose["services"].items()
        }
        assert mounts["db"] == {"db-data": "/var/lib/postgresql/data"}
        assert mounts["server"] == {"sitegate-data": "/var/lib/sitegate"}
        assert declared == {"db-data", "sitegate-data"}

    def test_no_secret_inline(self, compose: dict[str, Any]) -> None:
        for name, svc in compose["services"].items():
            for key, value in (svc.get("environment") or {}).items():
                if key.endswith("_FILE"):
                    assert str(value).startswith("/run/secrets/"), key
                elif SECRET_WORDS.search(key):
                    pytest.fail(f"{name}: {key} set inline ({value!r}); use a file or env_file")
            for value in (svc.get("environment") or {}).values():
                assert "://" not in str(value) or "@" not in str(value), "credentials in a URL"
        server = compose["services"]["server"]
        files = {s: compose["secrets"][s]["file"] for s in server["secrets"]}
        assert files == {
            "sitegate_secret_key": "./secrets/secret.key",
            "sitegate_template_key": "./secrets/template.key",
        }
        env = server["environment"]
        for secret in server["secrets"]:
            assert f"/run/secrets/{secret}" in env.values()

    def test_env_files_are_examples_and_ignored(self, compose: dict[str, Any]) -> None:
        gitignore = (PACKAGING.parent / ".gitignore").read_text().splitlines()
        for svc in compose["services"].values():
            name = svc["env_file"]
            assert (PACKAGING / f"{name}.example").is_file(), name
            assert f"deploy/{name}" in gitignore
        assert "deploy/secrets/" in gitignore
        server, db = env_file_keys("sitegate.env"), env_file_keys("postgres.env")
        url = server["SITEGATE_DATABASE_URL"]
        assert url.startswith(f"postgresql://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:")
        assert url.endswith(f"/{db['POSTGRES_DB']}")

    def test_server_published_on_loopback_only(self, compose: dict[str, Any]) -> None:
        # TLS is the reverse proxy's job; the plain-HTTP port must not face the network.
        assert compose["services"]["server"]["ports"] == ["127.0.0.1:8000:8000"]
        assert "ports" not in compose["services"]["db"]

    def test_image_command_is_not_overridden(self, compose: dict[str, Any]) -> None:
        server = compose["services"]["server"]
        assert "command" not in server
        assert "entrypoint" not in server
        assert server["restart"] == "unless-stopped"
