"""Min/median/max of the runs, as table cells."""

import math
import statistics


def spread(values, fmt: str) -> str:
    """'median [min–max]' (just the value when there is one run)."""
    values = list(values)
    if not values:
        return "-"
    middle = statistics.median_low(values) if fmt.endswith("d") else statistics.median(values)
    middle = format(middle, fmt)
    if len(values) == 1:
        return middle
    return f"{middle} [{format(min(values), fmt)}–{format(max(values), fmt)}]"


def table(header, rows) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(title).rjust(w) for title, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for row in rows:
        lines.append(" | ".join(str(cell).rjust(w) for cell, w in zip(row, widths, strict=True)))
    return lines


def percentile(values, fraction: float) -> float:
    """Nearest-rank percentile of a list of numbers."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = min(max(1, math.ceil(fraction * len(ordered))), len(ordered))
    return ordered[rank - 1]
