"""The dataset card (`cwmb/README.md` = `DATASET_CARD.md`): Hub metadata, the default config, links, and
that the committed card is what `python -m data_builders.card` writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cwmb.dataset.load import PACKAGED_DATASET, read_split
from cwmb.registry import ENV_IDS
from data_builders.card import DEFAULT_CONFIG, render_card, size_category

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CARD = PACKAGED_DATASET / "README.md"


@pytest.fixture(autouse=True)
def _private_datasets_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def card_metadata() -> dict:
    text = CARD.read_text(encoding="utf-8")
    assert text.startswith("---\n"), "the card must open with a YAML block"
    return yaml.safe_load(text.split("---\n")[1])


def test_the_committed_card_is_what_the_generator_writes():
    assert CARD.read_text(encoding="utf-8") == render_card(), "regenerate it: python -m data_builders.card"
    assert (PROJECT_ROOT / "DATASET_CARD.md").resolve() == CARD.resolve()


def test_the_card_carries_the_hub_metadata():
    metadata = card_metadata()
    assert metadata["license"] == "apache-2.0"
    assert "reinforcement-learning" in metadata["task_categories"]
    assert {"code-world-models", "gymnasium", "mujoco"} <= set(metadata["tags"])
    n_rows = sum(read_split(env_id, split).num_rows for env_id in ENV_IDS for split in ("train", "test"))
    assert metadata["size_categories"] == [size_category(n_rows)] == ["10K<n<100K"]
    defaults = [c["config_name"] for c in metadata["configs"] if c.get("default")]
    assert defaults == [DEFAULT_CONFIG] == ["descriptions"]
    assert [c["config_name"] for c in metadata["configs"]] == [*ENV_IDS, "descriptions"]


def test_the_card_links_the_paper_and_the_code():
    text = CARD.read_text(encoding="utf-8")
    assert "NeurIPS 2024, [arXiv:2405.15383](https://arxiv.org/abs/2405.15383)" in text
    assert "https://github.com/nicoladainese96/code-world-models" in text and "docs/design.md" in text


@pytest.mark.parametrize("n_rows, bucket", [(999, "n<1K"), (1_000, "1K<n<10K"), (54_321, "10K<n<100K"),
                                            (10_000_000, "n>10M")])
def test_size_categories_follow_the_hubs_buckets(n_rows, bucket):
    assert size_category(n_rows) == bucket


def test_load_dataset_without_a_config_name_gives_the_descriptions(monkeypatch):
    import datasets

    monkeypatch.chdir(PROJECT_ROOT)
    ds = datasets.load_dataset("cwmb")
    assert set(ds) == {"train"}
    assert sorted(ds["train"]["env_id"]) == sorted(ENV_IDS)
    assert "description" in ds["train"].column_names
