"""The report's charts, drawn on the server with matplotlib (Agg): rates against the 100% target, and the trend.

The same figures become PNG files for the published report and SVG images embedded in the /reports page.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from field_api.reports.measures import Result

MET_COLOUR, SHORT_COLOUR, TARGET_COLOUR, NA_COLOUR = "#2f9e44", "#e8590c", "#1c7ed6", "#868e96"
TREND_KEYS = ("contact_within_5_min", "urban_arrival_within_30_min", "suburban_arrival_within_90_min",
              "property_arrival_at_agreed_time", "business_card", "product_presentation", "thank_you_letter")


def charted(results: list[Result]) -> list[Result]:
    """The measures a chart shows: rates the standard wants at 100%."""
    return [r for r in results if r.measure.kind == "rate" and r.measure.target == 1.0]


def rates_figure(title: str, results: list[Result]) -> Figure:
    """Horizontal bars of each rate with the 100% target line; measures with nothing to measure say n/a."""
    shown = charted(results)
    fig = Figure(figsize=(7.5, 0.42 * len(shown) + 1.1), dpi=100)
    ax = fig.add_subplot()
    labels = [r.measure.label for r in shown]
    values = [(r.rate or 0.0) * 100 for r in shown]
    colours = [NA_COLOUR if r.rate is None else (MET_COLOUR if r.rate >= 1.0 else SHORT_COLOUR) for r in shown]
    positions = list(range(len(shown)))[::-1]
    ax.barh(positions, values, color=colours, height=0.6)
    for y, r in zip(positions, shown):
        text = "n/a" if r.rate is None else f"{r.rate:.0%} ({r.numerator}/{r.denominator})"
        ax.text(min((r.rate or 0) * 100, 100) + 1.5, y, text, va="center", fontsize=8)
    ax.axvline(100, color=TARGET_COLOUR, linestyle="--", linewidth=1.2, label="target 100%")
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_xlim(0, 125)
    ax.set_xlabel("share met (%)", fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def trend_figure(title: str, quarters: list[tuple[str, list[Result]]]) -> Figure:
    """Lines of the main rates quarter by quarter against the 100% target; an n/a quarter leaves a gap."""
    fig = Figure(figsize=(7.5, 3.4), dpi=100)
    ax = fig.add_subplot()
    labels = [label for label, _ in quarters]
    for key in TREND_KEYS:
        series = [next((r for r in results if r.measure.key == key), None) for _, results in quarters]
        if all(r is None or r.rate is None for r in series):
            continue
        name = next(r.measure.label for r in series if r is not None)
        ax.plot(range(len(labels)), [float("nan") if r is None or r.rate is None else r.rate * 100 for r in series],
                marker="o", linewidth=1.4, label=name)
    ax.axhline(100, color=TARGET_COLOUR, linestyle="--", linewidth=1.2, label="target 100%")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.3, len(labels) - 0.7)
    ax.set_ylim(0, 110)
    ax.set_ylabel("share met (%)", fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.tick_params(labelsize=8)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def encoded(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes."""
    out = io.BytesIO()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()
