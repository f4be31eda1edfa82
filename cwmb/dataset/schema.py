"""The transition table: Parquet columns, and the codec to the native types a world model receives.

One row per transition. `obs`/`next_obs` are stored as `int64` (Taxi, CliffWalking), `list<int64>`
(Blackjack's `(player_sum, dealer_card, usable_ace)`) or `list<float64>` (vector observations;
float32 observations are widened exactly). `sim_state` is the real simulator's state *before* the
step, enough to put the real environment back exactly (see `cwmb.simulator`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cwmb.registry import EnvRecord

SCHEMA_VERSION = 1

_INT = pa.int64()
_INTS = pa.list_(pa.int64())
_FLOATS = pa.list_(pa.float64())


def arrow_schema(record: EnvRecord) -> pa.Schema:
    """The Arrow schema of one environment's transition table."""
    obs_type = {"int": _INT, "int_tuple": _INTS, "vector": _FLOATS}[record.observation_kind]
    action_type = _INT if record.action_kind == "discrete" else _FLOATS
    return pa.schema(
        [
            pa.field("episode", pa.int32()),
            pa.field("step", pa.int32()),
            pa.field("obs", obs_type),
            pa.field("action", action_type),
            pa.field("reward", pa.float64()),
            pa.field("next_obs", obs_type),
            pa.field("terminated", pa.bool_()),
            pa.field("truncated", pa.bool_()),
            pa.field("sim_state", _FLOATS),
        ],
        metadata={"cwmb_schema_version": str(SCHEMA_VERSION), "env_id": record.env_id},
    )


COLUMNS = ("episode", "step", "obs", "action", "reward", "next_obs", "terminated", "truncated", "sim_state")


def encode_observation(record: EnvRecord, obs: Any) -> Any:
    """Native observation -> Parquet cell value."""
    if record.observation_kind == "int":
        return int(obs)
    if record.observation_kind == "int_tuple":
        return [int(x) for x in obs]
    return np.asarray(obs, dtype=np.float64).tolist()


def decode_observation(record: EnvRecord, cell: Any) -> Any:
    """Parquet cell value -> the native type the real env returns (int, tuple of ints, numpy array)."""
    if record.observation_kind == "int":
        return int(cell)
    if record.observation_kind == "int_tuple":
        return tuple(int(x) for x in cell)
    return np.asarray(cell, dtype=record.observation_dtype)


def encode_action(record: EnvRecord, action: Any) -> Any:
    if record.action_kind == "discrete":
        return int(action)
    return np.asarray(action, dtype=np.float64).tolist()


def decode_action(record: EnvRecord, cell: Any) -> Any:
    """Parquet cell -> `int` (discrete) or a float64 numpy array (continuous)."""
    if record.action_kind == "discrete":
        return int(cell)
    return np.asarray(cell, dtype=np.float64)
