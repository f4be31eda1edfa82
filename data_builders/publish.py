"""Publish the built dataset to a Hub dataset repo: `python -m data_builders.publish REPO_ID`.

The `cwmb/` package folder is itself a Hub-layout dataset: `README.md` is the dataset card, whose
YAML front matter lists the `configs` and their data files, and `data/<config>/*.parquet` holds
the data. Only those files are uploaded (`UPLOAD_PATTERNS`), never the package's Python code.

Everything that can be checked locally (the card, its configs, their data files, a token) is
checked before the first request. Every failure, local or remote (no token, refused token,
unreachable endpoint), is a one-line `PublishError`; the command line prints it as `error: ...`
and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from huggingface_hub import HfApi, get_token
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError
from huggingface_hub.utils import filter_repo_objects

from cwmb import __version__
from cwmb.errors import PublishError

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "cwmb"  # where data_builders.build writes
UPLOAD_PATTERNS = ["README.md", "data/**/*.parquet"]
NO_TOKEN = "no Hugging Face token: run `hf auth login` or set HF_TOKEN"
_BUILD_HINT = "build it with `python -m data_builders.build` or fix the dataset card"


# ---------------------------------------------------------------------------------------------
# Local checks


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def read_card_configs(readme: Path) -> list[dict[str, Any]]:
    """The `configs` listed in the YAML front matter of a dataset card."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    fences = [i for i, line in enumerate(lines) if line.strip() == "---"]
    if len(fences) < 2 or fences[0] != 0:
        raise PublishError(f"{readme} has no YAML front matter (--- ... ---): write the dataset card first")
    try:
        metadata = yaml.safe_load("\n".join(lines[1 : fences[1]])) or {}
    except yaml.YAMLError as error:
        raise PublishError(f"invalid YAML front matter in {readme}: {_one_line(error)}") from None
    configs = metadata.get("configs") if isinstance(metadata, dict) else None
    if not isinstance(configs, list) or not configs:
        raise PublishError(f"{readme} lists no `configs` in its YAML front matter: add one per dataset config")
    for config in configs:
        if not isinstance(config, dict) or not isinstance(config.get("config_name"), str):
            raise PublishError(f"{readme}: every entry of `configs` needs a `config_name`, got {config!r}")
    return configs


def config_patterns(config: dict[str, Any], readme: Path) -> list[str]:
    """The data-file patterns of one card config: its `data_files` (a path, a list of paths or of
    {split, path}, where path may itself be a list), or else `data_dir`."""
    data_files = config.get("data_files")
    if data_files is None and isinstance(config.get("data_dir"), str):
        return [config["data_dir"].rstrip("/") + "/**/*.parquet"]
    patterns: list[str] = []
    for entry in data_files if isinstance(data_files, list) else [data_files]:
        path = entry.get("path") if isinstance(entry, dict) else entry
        paths = path if isinstance(path, list) else [path]
        if not paths or not all(isinstance(p, str) and p for p in paths):
            raise PublishError(
                f"{readme}: config {config['config_name']!r} needs `data_files` (a path, a list of paths, "
                f"or a list of {{split, path}}), got {data_files!r}"
            )
        patterns.extend(paths)
    return patterns


def check_folder(folder: Path) -> list[str]:
    """Check a Hub-layout dataset folder; returns the paths (relative, `/`-separated) to upload."""
    if not folder.is_dir():
        raise PublishError(f"dataset folder {folder} does not exist: build it with `python -m data_builders.build`")
    readme = folder / "README.md"
    if not readme.is_file():
        raise PublishError(f"missing dataset card {readme}: write it with `python -m data_builders.card`")
    present = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    uploaded = set(filter_repo_objects(present, allow_patterns=UPLOAD_PATTERNS))
    for config in read_card_configs(readme):
        name = config["config_name"]
        for pattern in config_patterns(config, readme):
            if pattern.startswith("/") or ".." in pattern.split("/"):
                raise PublishError(f"{readme}: config {name!r} points outside the dataset folder: {pattern}")
            matches = [path.relative_to(folder).as_posix() for path in folder.glob(pattern) if path.is_file()]
            if not matches:
                raise PublishError(f"missing data file {folder / pattern} (config {name!r}): {_BUILD_HINT}")
            for path in matches:
                if path not in uploaded:
                    raise PublishError(
                        f"{folder / path} (config {name!r}) would not be uploaded: only "
                        f"{' and '.join(UPLOAD_PATTERNS)} are published, so move it to data/<config>/*.parquet"
                    )
    return sorted(uploaded)


def resolve_token(token: str | None) -> str:
    """The token to publish with: the argument, else HF_TOKEN, else the one `hf auth login` stored."""
    token = token or get_token()
    if not token:
        raise PublishError(NO_TOKEN)
    return token


# ---------------------------------------------------------------------------------------------
# Upload


def _explain_http(error: HfHubHTTPError, endpoint: str, repo_id: str) -> str:
    status = error.response.status_code
    detail = _one_line(error.server_message or getattr(error.response, "reason_phrase", "") or "no details")
    request = error.response.request
    route = f"{request.method} {urlsplit(str(request.url)).path}"
    if status == 401:
        fix = "the token was refused: run `hf auth login` with a write token or set HF_TOKEN"
    elif status == 403:
        fix = f"the token may not write to {repo_id}: use a token with write access to that namespace"
    elif isinstance(error, RepositoryNotFoundError) or status == 404:
        fix = f"check the repo id {repo_id!r}, the revision and the endpoint"
    else:
        fix = "retry later, or check the endpoint"
    return f"the Hub at {endpoint} answered HTTP {status} ({detail}) to {route}: {fix}"


def _transport_errors() -> tuple[type[Exception], ...]:
    """Network-level exceptions of the HTTP client huggingface_hub uses (httpx2 in 2.x, httpx or requests before)."""
    errors: list[type[Exception]] = []
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"), ("requests", "RequestException")):
        try:
            errors.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def publish(
    folder: Path,
    repo_id: str,
    *,
    token: str | None = None,
    endpoint: str | None = None,
    revision: str | None = None,
    private: bool = False,
) -> str:
    """Upload the dataset card and Parquet files of `folder` to the dataset repo `repo_id`.

    Creates the repo if needed (`private` only applies then) and the branch `revision` if it is a
    new branch name. Returns the URL of the commit, which ends with its oid.

    Raises:
        PublishError: the folder is not a complete Hub-layout dataset, there is no token, or the
            Hub (at `endpoint`, default HF_ENDPOINT or huggingface.co) cannot be reached or refused.
    """
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PublishError(f"repo id {repo_id!r} must be 'owner/name', e.g. 'your-username/cwmb'")
    folder = Path(folder)
    check_folder(folder)
    api = HfApi(endpoint=endpoint, token=resolve_token(token))
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision and revision != "main" and not revision.startswith("refs/"):
            api.create_branch(repo_id, branch=revision, repo_type="dataset", exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            repo_type="dataset",
            revision=revision,
            allow_patterns=UPLOAD_PATTERNS,
            commit_message=f"Publish the CWMB dataset (cwmb {__version__})",
        )
    except OfflineModeIsEnabled:
        raise PublishError("offline mode is on (HF_HUB_OFFLINE): unset HF_HUB_OFFLINE to publish") from None
    except HfHubHTTPError as error:
        raise PublishError(_explain_http(error, api.endpoint, repo_id)) from None
    except _transport_errors() as error:
        cause = f"{type(error).__name__}: {_one_line(error)}"
        raise PublishError(
            f"cannot reach the Hub at {api.endpoint} ({cause}): check the network, or --endpoint / HF_ENDPOINT"
        ) from None
    except ValueError as error:  # the Hub found the card's metadata invalid, or the answer is not the Hub's
        raise PublishError(
            f"the Hub at {api.endpoint} did not accept the upload ({_one_line(error)}): "
            "check the dataset card and the endpoint"
        ) from None
    return commit.commit_url


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m data_builders.publish", description=__doc__.splitlines()[0])
    parser.add_argument("repo_id", metavar="REPO_ID", help="dataset repo, 'owner/name'")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="Hub-layout dataset folder")
    parser.add_argument("--revision", help="branch to commit to (created if new; default: main)")
    parser.add_argument("--private", action="store_true", help="create the repo private (if it does not exist)")
    parser.add_argument("--endpoint", help="Hub URL (default: HF_ENDPOINT, else https://huggingface.co)")
    args = parser.parse_args(argv)
    try:
        url = publish(args.folder, args.repo_id, endpoint=args.endpoint, revision=args.revision, private=args.private)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    print(url)


if __name__ == "__main__":
    main()
