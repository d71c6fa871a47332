"""Where each result of the writeup came from, for the page's source panel: per part the function that computed
it and its code, the config it ran with, its cache key, when it ran and for how long; and which part owns each
metric path (reportkit.tracked) and each figure label. Plain JSON data, built from what the build planned and
the cache entries it rendered."""
from __future__ import annotations

import datetime as dt
import inspect
import json
from pathlib import Path

from reportkit import machine
from reportkit.listing import extract
from reportkit.tracked import child


def part_sources(planned: list, entries: dict, root: Path) -> dict:
    """{"parts": {part id: {...}}, "owners": {metric path prefix: part id}, "figures": {label: part id}} for the
    parts rendered at the shown seed (`planned`: plan.Planned at every seed, `entries`: their cache entries by
    planned id); a part on the seed axis owns its spread too, and lists the seeds it has."""
    parts, owners, figures = {}, {}, {}
    for p in planned:
        entry = entries.get(p.id)
        if entry is None or not p.shown:
            continue
        seeds = [q.seed for q in planned if q.part_id == p.part_id and q.id in entries]
        parts[p.id] = {**code_of(p.part.run, root), "config": entry.config, "seed": entry.inputs["seed"],
                       "device": entry.inputs.get("device"), "reads": sorted(p.reads.values()), "key": entry.key,
                       "created": dt.datetime.fromtimestamp(entry.created, dt.timezone.utc)
                       .strftime("%Y-%m-%d %H:%M UTC"),
                       "seconds": entry.seconds, "machine": machine.summary(entry.machine),
                       "seeds": seeds if len(seeds) > 1 else None}
        section = p.section.id
        for name in entry.metrics:
            owners[child(section, name)] = p.id
            if p.part.seeds > 1:
                owners[child(child(section, "spread"), name)] = p.id
        if p.config is not None:
            owners[child(child(section, "config"), p.part.name)] = p.id
        for figure in entry.figures:
            figures[figure["label"]] = p.id
    return {"parts": parts, "owners": owners, "figures": figures}


def code_of(function, root: Path) -> dict:
    """A part's run function: its name as module.function, its file (relative to the project) and its code,
    read from the file the build ran (the cache key covers that code, so it is what computed the result)."""
    file = Path(inspect.getsourcefile(function)).resolve()
    where = file.relative_to(root.resolve()) if file.is_relative_to(root.resolve()) else Path(file.name)
    return {"function": f"{function.__module__}.{function.__qualname__}", "file": where.as_posix(),
            "code": extract(file.read_text(), (function.__name__,), where.as_posix())}


def script_json(data: dict) -> str:
    """JSON to sit inside <script type="application/json">: <, > and & as \\u escapes, so that no value (code with
    "</script>" in it, a config string with markup) can end the element or read as markup."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
