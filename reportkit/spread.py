"""A part's metrics over the seeds that ran: every number with its spread, every verdict with how often it held.

A part on the seed axis (Part.seeds > 1) is cached once per seed. The templates read the shown seed's metrics as
`r.<section>.<metric>` and, beside them, `r.<section>.spread.<metric>`: the same tree with each value that is a
number, a verdict (bool) or a word (str) replaced by what it was over the seeds:

    number: {"mean", "sd", "min", "max", "n", "seeds", "values"}    sd: sample (n - 1), None for one seed
    bool or str: {"n", "agree", "counts"}    agree: seeds whose value is the shown seed's; counts: value -> seeds

Lists (curves, rows) have no spread. A value missing, None or not finite at some seeds is taken over the others (its n says
how many), and a value of another kind than the shown seed's (a number where the shown seed has a verdict) is
left out of it. `n` is what the text prints ("over 5 seeds"), `agree` how often the shown verdict held.
"""
from __future__ import annotations

import json
import math
from typing import Any


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def aggregate(runs: list[tuple[int, dict]], shown: int) -> dict:
    """{metric: spread} over `runs`, (seed, metrics) pairs of one part, one of them at the shown seed."""
    by_seed = dict(runs)
    if shown not in by_seed:
        raise ValueError(f"the shown seed {shown} is not among the seeds {sorted(by_seed)}")
    return _tree([by_seed[s] for s in sorted(by_seed)], sorted(by_seed), by_seed[shown]) or {}


def _tree(values: list, seeds: list[int], shown: Any) -> Any:
    """The spread of one node: a dict is followed key by key (the shown seed's keys), a leaf is summarised."""
    if isinstance(shown, dict):
        out = {}
        for key, value in shown.items():
            at = [(s, v[key]) for s, v in zip(seeds, values) if isinstance(v, dict) and key in v]
            node = _tree([v for _, v in at], [s for s, _ in at], value)
            if node is not None:
                out[key] = node
        return out or None
    if is_number(shown):
        return numbers([(s, v) for s, v in zip(seeds, values) if is_number(v)])
    if isinstance(shown, (bool, str)):
        return verdicts([(s, v) for s, v in zip(seeds, values) if type(v) is type(shown)], shown)
    return None                                          # a list, None: no spread


def numbers(at: list[tuple[int, float]]) -> dict:
    """Mean, sample standard deviation (None for one value), extremes and the values by seed."""
    values = [v for _, v in at]
    n = len(values)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return {"mean": mean, "sd": sd, "min": min(values), "max": max(values), "n": n,
            "seeds": [s for s, _ in at], "values": values}


def verdicts(at: list[tuple[int, Any]], shown: Any) -> dict:
    """How many seeds agree with the shown seed's verdict, and how often each verdict came out."""
    names = [json.dumps(v) if isinstance(v, bool) else v for _, v in at]       # true / false as JSON keys
    return {"n": len(at), "agree": sum(v == shown for _, v in at),
            "counts": {name: names.count(name) for name in dict.fromkeys(names)}}
