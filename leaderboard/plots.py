"""PNG plots of the leaderboard (matplotlib, no display needed): per protocol,

- `<protocol>-accuracy-vs-return.png`: one panel per environment, accuracy on the scored split against
  the normalised return, one point per run with the run's stored 95% interval of its normalised return
  as a vertical error bar (reported rows hollow; a failed env is an x at (0, 0); an env whose
  normalised return is N/A a triangle on the panel's floor);
- `<protocol>-top-per-env.png`: the normalised return per environment of the top entries
  (`TOP_ENTRIES_RULE`), with the stored 95% intervals as error bars; a failed env is a red x on the
  0 line, an N/A one a grey diamond, an exact 0 a black dash, so none of them reads as a missing bar;
- `<protocol>-rollout-error.png` (when some top entry has graded metrics): one panel per environment,
  the open-loop rollout state error (`cwmb.metrics.graded`) on the scored split against the horizon
  k = 1, 5, 10, 20 of the same top entries, on a log scale floored at `ERROR_FLOOR` (exact models sit
  on the floor); discrete-state panels show the fraction of wrong states.

Legends name only what the figure holds (reported rows, failed and N/A markers appear in the key only
where there are any). Figures are drawn with `matplotlib.figure.Figure` (no pyplot state) and saved
without a timestamp, so the same rows give the same bytes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from cwmb.metrics.graded import ROLLOUT_HORIZONS
from cwmb.registry import ENV_IDS, get_env
from leaderboard.table import REFERENCE_METHODS, score

TOP_ENTRIES = 5
_PAPER_ROWS_RULE = f", filled up to {TOP_ENTRIES} with the paper's reported rows by the same mean"
TOP_ENTRIES_RULE = (f"the {TOP_ENTRIES} best ranked submissions in rank order (mean normalised return over all "
                    f"environments){_PAPER_ROWS_RULE}, plus the reference submissions for comparison; the random "
                    "policy and the oracle planner are the 0 and 1 lines")
_SAVE = {"dpi": 100, "metadata": {"Software": None}}
_FONT = {"title": 15, "panel": 12, "label": 12, "tick": 10, "legend": 11}
_FAILED = {"marker": "x", "color": "#cf222e", "label": "failed (counts as 0)"}
_NOT_APPLICABLE = {"marker": "D", "color": "0.45", "label": "N/A: oracle no better than random"}
_ZERO = {"marker": "_", "color": "black", "label": "exactly 0"}
#: Rollout errors below this are drawn on it: float32 rounding leaves exact models at ~1e-12.
ERROR_FLOOR = 1e-6


def render_plots(rows: list[dict[str, Any]], folder: Path) -> list[tuple[str, str, str]]:
    """Write the plots of every protocol that has rows into `folder`; returns (file name, caption, protocol)."""
    written = []
    for protocol in dict.fromkeys(r["protocol"] for r in rows):
        chosen = [r for r in rows if r["protocol"] == protocol]
        scatter = [r for r in chosen if any(_accuracy(r, e) is not None for e in r["envs"])]
        if scatter:
            name = f"{protocol}-accuracy-vs-return.png"
            accuracy_vs_return_figure(scatter, protocol).savefig(folder / name, **_SAVE)
            written.append((name, f"{protocol}: accuracy ({scatter[0]['scored_split']} split) vs normalised return, "
                                  "per environment; error bars: the stored 95% interval of each run's normalised "
                                  "return", protocol))
        top = top_entries(chosen)
        if top:
            name = f"{protocol}-top-per-env.png"
            top_per_env_figure(top, protocol).savefig(folder / name, **_SAVE)
            written.append((name, f"{protocol}: normalised return per environment of the top entries ({TOP_ENTRIES_RULE}); "
                                  "error bars: stored 95% intervals", protocol))
        curves = [r for r in top if any(e["rollout_error"] for e in r["envs"])]
        if curves:
            name = f"{protocol}-rollout-error.png"
            rollout_error_figure(curves, protocol).savefig(folder / name, **_SAVE)
            written.append((name, f"{protocol}: open-loop rollout state error against the horizon k per environment "
                                  f"({curves[0]['scored_split']} split) of the top entries with graded metrics; "
                                  f"1 - R² (discrete states: wrong states), log scale, {ERROR_FLOOR:g} and below on "
                                  "the floor", protocol))
    return written


def top_entries(rows: list[dict[str, Any]], n: int = TOP_ENTRIES) -> list[dict[str, Any]]:
    """`TOP_ENTRIES_RULE`: ranked runs, then reported rows with per-env returns, then the reference submissions."""
    ranked = sorted((r for r in rows if r["rank"] is not None), key=lambda r: r["rank"])
    reported = [r for r in rows if r["kind"] == "reported" and score(r) is not None and not _is_policy(r)
                and any(e["normalised_return"] is not None for e in r["envs"])]
    reported.sort(key=score, reverse=True)
    references = [r for r in rows if r["reference"] and r["kind"] == "reproduced" and not _is_policy(r)]
    return (ranked + reported)[:n] + references


def _is_policy(row: dict[str, Any]) -> bool:
    return str(row["method"]).lower() in REFERENCE_METHODS


def _accuracy(row: dict[str, Any], env: dict[str, Any]) -> float | None:
    return env["accuracy"].get(row["scored_split"])


def _label(row: dict[str, Any]) -> str:
    if row["rank"] is not None:
        return f"#{row['rank']} {row['name']}"
    return f"{row['name']} ({'reference' if row['reference'] else row['label']})"


def _interval(env: dict[str, Any]) -> tuple[float, float] | None:
    """The stored 95% interval of the env's normalised return as (below, above) distances, or None."""
    ci, value = env.get("normalised_ci95"), env["normalised_return"]
    if not ci or value is None:
        return None
    return max(value - ci[0], 0.0), max(ci[1] - value, 0.0)


def _env_panels(n_legend_rows: int, **share: bool):
    """A figure of one panel per environment (3 x 6), with room below for `n_legend_rows` legend rows."""
    from matplotlib.figure import Figure

    height = 11.0 + 0.3 * n_legend_rows
    fig = Figure(figsize=(16, height))
    fig.subplots_adjust(left=0.05, right=0.99, top=1 - 0.75 / height, bottom=(0.9 + 0.3 * n_legend_rows) / height,
                        hspace=0.4, wspace=0.3)
    return fig, fig.subplots(3, 6, **share).ravel()


def accuracy_vs_return_figure(rows: list[dict[str, Any]], protocol: str):
    """The accuracy-vs-return panels of `rows` (one protocol), as a `matplotlib.figure.Figure`."""
    fig, axes = _env_panels((len(rows) + 4) // 3, sharex=True)
    colours = _colours(len(rows))
    seen = {"failed": False, "na": False}
    for ax, env_id in zip(axes, ENV_IDS, strict=True):
        ax.set_title(env_id, fontsize=_FONT["panel"])
        ax.axhline(0, color="0.8", linewidth=0.8)
        ax.axhline(1, color="0.8", linewidth=0.8, linestyle="--")
        ax.set_xlim(-0.05, 1.05)
        ax.tick_params(labelsize=_FONT["tick"])
        floor = ax.get_xaxis_transform()  # x in data, y in axes fraction: N/A points sit on the panel's floor
        panel_has_na = False
        for row, colour in zip(rows, colours, strict=True):
            env = next(e for e in row["envs"] if e["env_id"] == env_id)
            hollow = row["kind"] == "reported"
            style = {"s": 40, "edgecolors": [colour], "linewidths": 1.3, "zorder": 3,
                     "facecolors": "none" if hollow else [colour]}
            if env["status"] == "failed":
                ax.scatter([0], [0], marker="x", s=50, color=[colour], linewidths=1.8, zorder=3)
                seen["failed"] = True
                continue
            accuracy, value = _accuracy(row, env), env["normalised_return"]
            if accuracy is None:
                continue
            if value is None and env["not_applicable"]:
                ax.scatter([accuracy], [0.03], transform=floor, marker="v", **dict(style, facecolors="none"))
                if not panel_has_na:  # say it in the panel too: the floor is not a value
                    ax.text(0.02, 0.08, "\u25bd N/A", transform=ax.transAxes, fontsize=_FONT["tick"], color="0.3")
                panel_has_na = seen["na"] = True
            elif value is not None:
                interval = _interval(env)
                if interval:
                    ax.errorbar([accuracy], [value], yerr=[[interval[0]], [interval[1]]], fmt="none",
                                ecolor=colour, elinewidth=1, capsize=2, alpha=0.7, zorder=2)
                ax.scatter([accuracy], [value], marker="o" if hollow else "s", **style)
    for ax in axes[12:]:
        ax.set_xlabel("accuracy", fontsize=_FONT["label"])
    for ax in axes[::6]:
        ax.set_ylabel("normalised return", fontsize=_FONT["label"])
    handles = [_handle(row, colour) for row, colour in zip(rows, colours, strict=True)]
    handles += _status_handles(failed=seen["failed"], not_applicable=False, zero=False)
    if seen["na"]:
        handles.append(_marker_handle("v", "0.3", "normalised return N/A (oracle no better than random)", hollow=True))
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=_FONT["legend"], frameon=False)
    reported = any(r["kind"] == "reported" for r in rows)
    fig.suptitle(f"{protocol}: accuracy vs normalised return per environment"
                 + (" (hollow circles: reported by the paper)" if reported else ""), fontsize=_FONT["title"])
    return fig


def top_per_env_figure(rows: list[dict[str, Any]], protocol: str):
    """The per-environment bars of the top entries `rows` (one protocol), as a `matplotlib.figure.Figure`."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(16, 7.5))
    fig.subplots_adjust(left=0.06, right=0.99, top=0.9, bottom=0.36)
    ax = fig.subplots()
    colours = _colours(len(rows))
    width = 0.84 / len(rows)
    x = np.arange(len(ENV_IDS))
    seen = {"failed": False, "na": False, "zero": False}
    for i, (row, colour) in enumerate(zip(rows, colours, strict=True)):
        envs = [next(e for e in row["envs"] if e["env_id"] == env_id) for env_id in ENV_IDS]
        centres = x - 0.42 + width * (i + 0.5)
        values = [None if e["status"] == "failed" else e["normalised_return"] for e in envs]
        reported = row["kind"] == "reported"
        ax.bar(centres, [np.nan if v is None else v for v in values], width, color=colour, label=_label(row),
               hatch="//" if reported else None, edgecolor="0.3" if reported else "white", linewidth=0.5,
               alpha=0.55 if row["reference"] else 1.0)
        for centre, env, value in zip(centres, envs, values, strict=True):
            interval = _interval(env) if value is not None else None
            if interval:
                ax.errorbar([centre], [value], yerr=[[interval[0]], [interval[1]]], fmt="none", ecolor="0.2",
                            elinewidth=0.9, capsize=1.5)
            marker = (_FAILED if env["status"] == "failed" else _NOT_APPLICABLE if value is None and env["not_applicable"]
                      else _ZERO if value == 0 else None)
            if marker:
                ax.plot([centre], [0], linestyle="none", marker=marker["marker"], color=marker["color"],
                        markersize=7 if marker is not _ZERO else 9, markeredgewidth=1.8, zorder=3)
                seen["failed" if marker is _FAILED else "na" if marker is _NOT_APPLICABLE else "zero"] = True
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.axhline(1, color="0.5", linewidth=0.8, linestyle="--")
    ax.set_xticks(x, ENV_IDS, rotation=40, ha="right", fontsize=_FONT["tick"] + 1)
    ax.tick_params(axis="y", labelsize=_FONT["tick"])
    ax.set_ylabel("normalised return\n(0 = random, 1 = oracle)", fontsize=_FONT["label"])
    reported = any(r["kind"] == "reported" for r in rows)
    ax.set_title(f"{protocol}: normalised return per environment, top entries"
                 + (" (hatched: reported by the paper)" if reported else ""), fontsize=_FONT["title"])
    handles, _ = ax.get_legend_handles_labels()
    handles += _status_handles(failed=seen["failed"], not_applicable=seen["na"], zero=seen["zero"])
    # The key speaks of paper rows only where the figure has some.
    rule = TOP_ENTRIES_RULE if reported else TOP_ENTRIES_RULE.replace(_PAPER_ROWS_RULE, "")
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=_FONT["legend"], frameon=False,
               title=textwrap.fill(f"Top entries: {rule}.", 150), title_fontsize=_FONT["legend"])
    return fig


def rollout_error_figure(rows: list[dict[str, Any]], protocol: str):
    """The k-step error curves of `rows` (one protocol), one panel per environment, as a `Figure`."""
    fig, axes = _env_panels((len(rows) + 2) // 3, sharey=True)
    colours = _colours(len(rows))
    for ax, env_id in zip(axes, ENV_IDS, strict=True):
        discrete = get_env(env_id).exact_state
        ax.set_title(env_id + (" (wrong states)" if discrete else ""), fontsize=_FONT["panel"])
        ax.set_yscale("log")
        ax.set_xticks(ROLLOUT_HORIZONS)
        ax.set_xlim(0, max(ROLLOUT_HORIZONS) + 1)
        ax.axhline(1, color="0.8", linewidth=0.8, linestyle="--")
        ax.tick_params(labelsize=_FONT["tick"])
        for row, colour in zip(rows, colours, strict=True):
            env = next(e for e in row["envs"] if e["env_id"] == env_id)
            curve = env["rollout_error"].get(row["scored_split"])
            if env["status"] == "failed" or not curve:
                continue
            points = [(k, max(e, ERROR_FLOOR)) for k, e in zip(curve["horizons"], curve["state_error"]) if e is not None]
            if points:
                ax.plot(*zip(*points), marker="o", markersize=4, color=colour, alpha=0.55 if row["reference"] else 1.0)
    ax.set_ylim(ERROR_FLOOR / 2, 10)
    for ax in axes[12:]:
        ax.set_xlabel("horizon k (steps)", fontsize=_FONT["label"])
    for ax in axes[::6]:
        ax.set_ylabel("rollout state error", fontsize=_FONT["label"])
    handles = [_marker_handle("o", colour, _label(row)) for row, colour in zip(rows, colours, strict=True)]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=_FONT["legend"], frameon=False)
    fig.suptitle(f"{protocol}: open-loop rollout error (1 - R\u00b2 of s_t+k - s_t) per environment, top entries "
                 "(dashed: 1, no better than the mean change)", fontsize=_FONT["title"])
    return fig


def _status_handles(*, failed: bool, not_applicable: bool, zero: bool) -> list[Any]:
    """Legend keys of the status markers that the figure actually draws."""
    chosen = [m for m, present in ((_FAILED, failed), (_NOT_APPLICABLE, not_applicable), (_ZERO, zero)) if present]
    return [_marker_handle(m["marker"], m["color"], m["label"]) for m in chosen]


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _marker_handle(marker: str, colour: Any, label: str, *, hollow: bool = False):
    from matplotlib.lines import Line2D

    return Line2D([], [], linestyle="none", marker=marker, markersize=8, markeredgewidth=1.6,
                  markerfacecolor="none" if hollow else colour, markeredgecolor=colour, label=label)


def _handle(row: dict[str, Any], colour: Any):
    hollow = row["kind"] == "reported"
    return _marker_handle("o" if hollow else "s", colour, _label(row), hollow=hollow)
