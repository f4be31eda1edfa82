"""PNG plots of the leaderboard (matplotlib, no display needed): per protocol,

- `<protocol>-accuracy-vs-return.png`: one panel per environment, accuracy on the scored split against
  the normalised return, one point per run (reported rows hollow);
- `<protocol>-top-per-env.png`: the normalised return per environment of the top entries (ranked
  reproduced runs first, then reported rows by their all-env mean; reported bars hatched; the random
  and oracle references are the 0 and 1 lines, not bars).

Figures are drawn with `matplotlib.figure.Figure` (no pyplot state) and saved without a timestamp,
so the same rows give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cwmb.registry import ENV_IDS
from leaderboard.table import REFERENCE_METHODS, score

TOP_ENTRIES = 5
_SAVE = {"dpi": 100, "metadata": {"Software": None}}


def render_plots(rows: list[dict[str, Any]], folder: Path) -> list[tuple[str, str]]:
    """Write the plots of every protocol that has rows into `folder`; returns (file name, caption) pairs."""
    written = []
    for protocol in dict.fromkeys(r["protocol"] for r in rows):
        chosen = [r for r in rows if r["protocol"] == protocol]
        scatter = [r for r in chosen if any(_accuracy(r, e) is not None and e["normalised_return"] is not None
                                            for e in r["envs"])]
        if scatter:
            name = f"{protocol}-accuracy-vs-return.png"
            _accuracy_vs_return(scatter, folder / name, protocol)
            written.append((name, f"{protocol}: accuracy ({scatter[0]['scored_split']} split) vs normalised "
                                  "return, per environment"))
        top = top_entries(chosen)
        if top:
            name = f"{protocol}-top-per-env.png"
            _top_per_env(top, folder / name, protocol)
            written.append((name, f"{protocol}: normalised return per environment of the top entries"))
    return written


def top_entries(rows: list[dict[str, Any]], n: int = TOP_ENTRIES) -> list[dict[str, Any]]:
    """Ranked reproduced runs first, then reported rows with per-env returns by their all-env mean."""
    ranked = sorted((r for r in rows if r["rank"] is not None), key=lambda r: r["rank"])
    reported = [r for r in rows if r["kind"] == "reported" and score(r) is not None
                and str(r["method"]).lower() not in REFERENCE_METHODS
                and any(e["normalised_return"] is not None for e in r["envs"])]
    reported.sort(key=score, reverse=True)
    return (ranked + reported)[:n]


def _accuracy(row: dict[str, Any], env: dict[str, Any]) -> float | None:
    return env["accuracy"].get(row["scored_split"])


def _label(row: dict[str, Any]) -> str:
    return f"{row['name']} [{row['label']}]"


def _accuracy_vs_return(rows: list[dict[str, Any]], path: Path, protocol: str) -> None:
    from matplotlib.figure import Figure

    n_legend_rows = (len(rows) + 1) // 2
    height = 8.0 + 0.22 * n_legend_rows
    fig = Figure(figsize=(15, height))
    fig.subplots_adjust(left=0.05, right=0.99, top=1 - 0.6 / height, bottom=(0.7 + 0.22 * n_legend_rows) / height,
                        hspace=0.35, wspace=0.3)
    axes = fig.subplots(3, 6, sharex=True).ravel()
    colours = _colours(len(rows))
    for ax, env_id in zip(axes, ENV_IDS, strict=True):
        ax.set_title(env_id, fontsize=9)
        ax.axhline(0, color="0.8", linewidth=0.8)
        ax.axhline(1, color="0.8", linewidth=0.8, linestyle="--")
        ax.set_xlim(-0.05, 1.05)
        ax.tick_params(labelsize=7)
        for hollow in (False, True):
            points = [(_accuracy(row, env), env["normalised_return"], colour)
                      for row, colour in zip(rows, colours, strict=True) if (row["kind"] == "reported") == hollow
                      for env in row["envs"] if env["env_id"] == env_id and env["status"] == "ok"
                      and _accuracy(row, env) is not None and env["normalised_return"] is not None]
            if points:
                x, y, c = zip(*points, strict=True)
                ax.scatter(x, y, s=28, marker="o" if hollow else "s", facecolors="none" if hollow else list(c),
                           edgecolors=list(c), linewidths=1.2)
    for ax in axes[12:]:
        ax.set_xlabel("accuracy", fontsize=8)
    for ax in axes[::6]:
        ax.set_ylabel("normalised return", fontsize=8)
    handles = [_handle(row, colour) for row, colour in zip(rows, colours, strict=True)]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.suptitle(f"{protocol}: accuracy vs normalised return (hollow: reported by the paper)", fontsize=11)
    fig.savefig(path, **_SAVE)


def _top_per_env(rows: list[dict[str, Any]], path: Path, protocol: str) -> None:
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 5.5))
    fig.subplots_adjust(left=0.05, right=0.99, top=0.92, bottom=0.25)
    ax = fig.subplots()
    colours = _colours(len(rows))
    width = 0.8 / len(rows)
    x = np.arange(len(ENV_IDS))
    for i, (row, colour) in enumerate(zip(rows, colours, strict=True)):
        envs = {e["env_id"]: e for e in row["envs"]}
        values = [0.0 if envs[e]["status"] == "failed" else envs[e]["normalised_return"] for e in ENV_IDS]
        heights = [np.nan if v is None else v for v in values]
        reported = row["kind"] == "reported"
        ax.bar(x - 0.4 + width * (i + 0.5), heights, width, color=colour, label=_label(row),
               hatch="//" if reported else None, edgecolor="0.3" if reported else "white", linewidth=0.5)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.axhline(1, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xticks(x, ENV_IDS, rotation=40, ha="right", fontsize=8)
    ax.set_ylabel("normalised return (failed = 0; N/A = no bar)")
    ax.set_title(f"{protocol}: top entries per environment (hatched: reported by the paper)", fontsize=11)
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    fig.savefig(path, **_SAVE)


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _handle(row: dict[str, Any], colour: Any):
    from matplotlib.lines import Line2D

    hollow = row["kind"] == "reported"
    return Line2D([], [], linestyle="none", marker="o" if hollow else "s", markersize=6,
                  markerfacecolor="none" if hollow else colour, markeredgecolor=colour, label=_label(row))
