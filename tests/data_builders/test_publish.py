"""Tests of `data_builders.publish` against `tests/hub_standin.py`, a LOCAL STAND-IN for the Hub.

No request leaves 127.0.0.1: the Hub endpoint is always the stand-in or a dead local port, and a
guard on `socket` fails the test on any other address. Token sources (HF_TOKEN, the stored token)
are cleared so that only what a test provides is used.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import constants

from cwmb.errors import PublishError
from data_builders.publish import check_folder, config_patterns, main, publish
from tests.hub_standin import HubStandIn

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REPO_ID = "someone/cwmb"
NO_TOKEN = "no Hugging Face token: run `hf auth login` or set HF_TOKEN"
CARD = """\
---
configs:
- config_name: CartPole
  data_files:
  - split: train
    path: data/CartPole/train-*.parquet
  - split: test
    path: data/CartPole/test-*.parquet
---
# A tiny CWMB-like dataset card
"""
TRAIN = "data/CartPole/train-00000-of-00001.parquet"
TEST = "data/CartPole/test-00000-of-00001.parquet"


def _free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def local_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Keep huggingface_hub on 127.0.0.1, online, without telemetry and without any ambient token."""
    dead_endpoint = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("HF_ENDPOINT", dead_endpoint)
    monkeypatch.setattr(constants, "ENDPOINT", dead_endpoint)  # read by huggingface_hub at import
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))

    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock: socket.socket, address: tuple) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"a test tried to connect to {address}")
        real_connect(sock, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return dead_endpoint


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A Hub-layout folder: the card, two tiny Parquet files, and Python files that must stay local."""
    folder = tmp_path / "cwmb"
    (folder / "data" / "CartPole").mkdir(parents=True)
    (folder / "README.md").write_text(CARD)
    pq.write_table(pa.table({"episode": [0, 0], "reward": [1.0, 1.0]}), folder / TRAIN)
    pq.write_table(pa.table({"episode": [0], "reward": [1.0]}), folder / TEST)
    (folder / "__init__.py").write_text('"""The package code, never uploaded."""\n')
    (folder / "data" / "CartPole" / "helper.py").write_text("SECRET = 1\n")
    return folder


def _local_bytes(folder: Path, *paths: str) -> dict[str, bytes]:
    return {path: (folder / path).read_bytes() for path in paths}


def test_publish_uploads_the_card_and_parquet_files_only(dataset: Path) -> None:
    assert check_folder(dataset) == ["README.md", TEST, TRAIN]
    with HubStandIn() as hub:
        url = publish(dataset, REPO_ID, token=hub.token, endpoint=hub.endpoint)
        received = hub.files(REPO_ID)
        repo = hub.repos["dataset", REPO_ID]
        routes = {path for _, path in hub.requests}

    assert received == _local_bytes(dataset, "README.md", TRAIN, TEST)
    assert not any(path.endswith(".py") for path in received)
    assert url == f"{hub.endpoint}/datasets/{REPO_ID}/commit/{repo.commits[-1]}"
    assert not repo.private
    assert routes == {
        "/api/repos/create",
        "/api/validate-yaml",
        f"/api/datasets/{REPO_ID}/preupload/main",
        f"/api/datasets/{REPO_ID}/commit/main",
    }


def test_publish_to_a_new_branch_of_a_private_repo(dataset: Path) -> None:
    with HubStandIn() as hub:
        publish(dataset, REPO_ID, token=hub.token, endpoint=hub.endpoint, revision="v1", private=True)
        assert hub.files(REPO_ID, revision="v1") == _local_bytes(dataset, "README.md", TRAIN, TEST)
        assert hub.files(REPO_ID, revision="main") == {}
        assert hub.repos["dataset", REPO_ID].private


@pytest.mark.parametrize("source", ["HF_TOKEN", "stored token"])
def test_publish_finds_the_token_without_an_argument(
    dataset: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    with HubStandIn() as hub:
        if source == "HF_TOKEN":
            monkeypatch.setenv("HF_TOKEN", hub.token)
        else:  # what `hf auth login` writes
            token_path = Path(constants.HF_TOKEN_PATH)
            token_path.parent.mkdir(parents=True)
            token_path.write_text(hub.token)
        publish(dataset, REPO_ID, endpoint=hub.endpoint)
        assert set(hub.files(REPO_ID)) == {"README.md", TRAIN, TEST}


def test_no_token_is_a_one_line_error(dataset: Path) -> None:
    with pytest.raises(PublishError, match=f"^{re.escape(NO_TOKEN)}$"):
        publish(dataset, REPO_ID)


@pytest.mark.parametrize("refusal", ["wrong token", "every request refused"])
def test_refused_token_is_a_one_line_error(dataset: Path, refusal: str) -> None:
    with HubStandIn() as hub:
        token = "hf_wrong" if refusal == "wrong token" else hub.token
        hub.reject_with = None if refusal == "wrong token" else 401
        with pytest.raises(PublishError, match=re.escape(f"the Hub at {hub.endpoint} answered HTTP 401")) as error:
            publish(dataset, REPO_ID, token=token, endpoint=hub.endpoint)
        assert not any(repo.commits for repo in hub.repos.values())
    assert "\n" not in str(error.value)
    assert "hf auth login" in str(error.value)


def test_unreachable_endpoint_is_a_one_line_error(dataset: Path, local_only: str) -> None:
    with pytest.raises(PublishError, match=re.escape(f"cannot reach the Hub at {local_only} (")) as error:
        publish(dataset, REPO_ID, token="hf_anything", endpoint=local_only)
    assert "\n" not in str(error.value)


def test_missing_data_file_is_named(dataset: Path) -> None:
    (dataset / TEST).unlink()
    missing = dataset / "data/CartPole/test-*.parquet"
    with pytest.raises(PublishError, match=re.escape(f"missing data file {missing} (config 'CartPole')")):
        publish(dataset, REPO_ID, token="hf_anything")


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("# no front matter\n", "has no YAML front matter"),
        ("---\nlicense: apache-2.0\n---\n", "lists no `configs`"),
        ("---\nconfigs: [\n---\n", "invalid YAML front matter"),
        ("---\nconfigs:\n- config_name: x\n  data_files: 3\n---\n", "config 'x' needs `data_files`"),
        ("---\nconfigs:\n- config_name: x\n  data_files: __init__.py\n---\n", "would not be uploaded"),
        ("---\nconfigs:\n- config_name: x\n  data_files: ../x.parquet\n---\n", "points outside the dataset folder"),
    ],
    ids=["no-front-matter", "no-configs", "bad-yaml", "bad-data-files", "not-uploaded", "outside"],
)
def test_card_problems_are_caught_before_any_request(dataset: Path, card: str, message: str) -> None:
    (dataset / "README.md").write_text(card)
    with pytest.raises(PublishError, match=re.escape(message)) as error:
        publish(dataset, REPO_ID, token="hf_anything")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("config", "patterns"),
    [
        ({"data_files": "data/a/*.parquet"}, ["data/a/*.parquet"]),
        ({"data_files": ["data/a/x.parquet", "data/a/y.parquet"]}, ["data/a/x.parquet", "data/a/y.parquet"]),
        ({"data_files": [{"split": "train", "path": ["data/a/1.parquet", "data/a/2.parquet"]}]},
         ["data/a/1.parquet", "data/a/2.parquet"]),
        ({"data_dir": "data/a/"}, ["data/a/**/*.parquet"]),
    ],
    ids=["path", "list", "split-with-list", "data-dir"],
)
def test_config_patterns_accepts_the_card_forms(config: dict, patterns: list[str]) -> None:
    assert config_patterns({"config_name": "a", **config}, Path("README.md")) == patterns


def test_offline_mode_and_bad_repo_id_are_one_line_errors(dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PublishError, match=re.escape("repo id 'cwmb' must be 'owner/name'")):
        publish(dataset, "cwmb", token="hf_anything")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(PublishError, match=re.escape("offline mode is on (HF_HUB_OFFLINE)")):
        publish(dataset, REPO_ID, token="hf_anything")


def test_cli_prints_the_commit_url(dataset: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    with HubStandIn() as hub:
        monkeypatch.setenv("HF_TOKEN", hub.token)
        main([REPO_ID, "--folder", str(dataset), "--endpoint", hub.endpoint])
    assert capsys.readouterr().out.startswith(f"{hub.endpoint}/datasets/{REPO_ID}/commit/")


def test_cli_unreachable_endpoint_exits_2(dataset: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_anything")
    with pytest.raises(SystemExit) as exit_info:
        main([REPO_ID, "--folder", str(dataset)])  # endpoint from HF_ENDPOINT: a dead local port
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert stderr.startswith("error: cannot reach the Hub at http://127.0.0.1:")
    assert stderr.count("\n") == 1


def test_cli_without_token_exits_2_with_one_line(dataset: Path, tmp_path: Path, local_only: str) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("HF_", "HUGGING"))}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_ENDPOINT=local_only, HF_HUB_DISABLE_TELEMETRY="1")
    result = subprocess.run(
        [sys.executable, "-m", "data_builders.publish", REPO_ID, "--folder", str(dataset)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {NO_TOKEN}\n"
    assert result.stdout == ""
