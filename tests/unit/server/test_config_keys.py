"""Production refuses weak keys (issue 10.5): at least 32 random bytes each, hex or Base64, or
from a key file that `sitegate admin generate-keys` writes."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.config import InsecureSettingsError, Settings, generate_key_files, key_problem
from sitegate_cli.app import app as cli_app

GOOD_A = base64.b64encode(secrets.token_bytes(32)).decode()
GOOD_B = secrets.token_hex(32)


def _production(**keys: str) -> Settings:
    return Settings(environment="production", database_url="sqlite://", **keys)  # type: ignore[arg-type]


class TestKeyProblem:
    @pytest.mark.parametrize(
        "key",
        [
            "",
            "x",
            "dev-only-secret-change-me",
            "short-but-random-0123",
            "a" * 64,
            "0123456789abcdef" * 4,  # hex, 256 bits by length, but a repeated pattern
            "this-is-my-very-secret-production-key-of-sitegate",  # words: few symbols
            "correct horse battery staple, staple, staple!",  # not an encoding of bytes
            base64.b64encode(bytes(range(100, 131))).decode(),  # 31 bytes: one short
        ],
        ids=lambda k: repr(k[:12]),
    )
    def test_weak_keys_are_named(self, key: str) -> None:
        assert key_problem(key) is not None

    @pytest.mark.parametrize(
        "make",
        [
            lambda: secrets.token_urlsafe(32),
            lambda: secrets.token_hex(32),
            lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
            lambda: base64.b64encode(secrets.token_bytes(64)).decode(),
        ],
        ids=["urlsafe-32", "hex-32", "base64-32", "base64-64"],
    )
    def test_random_keys_pass(self, make: Callable[[], str]) -> None:
        assert key_problem(make()) is None

    def test_no_genuine_key_is_refused_over_many_draws(self) -> None:
        keys = [secrets.token_urlsafe(32) for _ in range(2000)]
        keys += [secrets.token_hex(32) for _ in range(2000)]
        assert [k for k in keys if key_problem(k)] == []


class TestProductionStart:
    @pytest.mark.parametrize(
        ("secret", "template"),
        [("", GOOD_B), (GOOD_A, "k"), (GOOD_A, "")],
        ids=["no-secret", "one-char-template", "empty-template"],
    )
    def test_refuses_with_the_variable_named(self, secret: str, template: str) -> None:
        with pytest.raises(InsecureSettingsError) as info:
            _production(secret_key=secret, template_key=template)
        name = "SITEGATE_SECRET_KEY" if not secret else "SITEGATE_TEMPLATE_KEY"
        assert name in info.value.message_zh
        assert name in info.value.message_en

    def test_refuses_the_same_key_twice(self) -> None:
        with pytest.raises(InsecureSettingsError, match="must differ"):
            _production(secret_key=GOOD_A, template_key=GOOD_A)

    def test_starts_with_good_keys_and_dev_keeps_its_defaults(self) -> None:
        assert _production(secret_key=GOOD_A, template_key=GOOD_B).secret_key == GOOD_A
        assert Settings(environment="dev").secret_key  # development is not refused

    def test_key_files_from_generate_keys(self, tmp_path: Path) -> None:
        secret, template = generate_key_files(tmp_path / "keys")
        for path in (secret, template):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        s = _production(secret_key_file=str(secret), template_key_file=str(template))
        assert s.secret_key == secret.read_text().strip()
        assert key_problem(s.template_key) is None
        with pytest.raises(FileExistsError):
            generate_key_files(tmp_path / "keys")  # never overwrites a key

    def test_an_unreadable_key_file_is_a_clear_refusal(self, tmp_path: Path) -> None:
        with pytest.raises(InsecureSettingsError, match="cannot be read"):
            _production(secret_key_file=str(tmp_path / "missing.key"), template_key=GOOD_B)


class TestCli:
    def test_generate_keys_then_server_refuses_weak_key(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        runner = CliRunner()
        r = runner.invoke(cli_app, ["admin", "generate-keys", "--out-dir", str(tmp_path)])
        assert r.exit_code == 0, r.output
        assert "SITEGATE_TEMPLATE_KEY_FILE=" in r.output
        r = runner.invoke(cli_app, ["admin", "generate-keys", "--out-dir", str(tmp_path)])
        assert r.exit_code == 1
        assert "不会覆盖" in r.output
        monkeypatch.setenv("SITEGATE_ENVIRONMENT", "production")
        monkeypatch.setenv("SITEGATE_SECRET_KEY", "1")
        monkeypatch.setenv("SITEGATE_TEMPLATE_KEY_FILE", str(tmp_path / "template.key"))
        r = runner.invoke(cli_app, ["server", "--database-url", f"sqlite:///{tmp_path}/x.db"])
        assert r.exit_code == 1
        assert "SITEGATE_SECRET_KEY" in r.output
        assert "Traceback" not in r.output
