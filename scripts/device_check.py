"""Run every torch part on a device without rendering (a GPU machine may have torch but no WeasyPrint).

    python scripts/device_check.py --data DIR --device cuda [--profile smoke] [--out DIR] [PART_ID ...]

Runs the parts through the report's own pipeline (cached in --out like any build, so a second call reruns
nothing), then prints one JSON line per part: its seconds and top-level numbers, and the whole time.
"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report import normalise_device, numbers, project  # noqa: E402
from reportkit.pipeline import ensure  # noqa: E402
from reportkit.project import Options  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", help="part ids (default: every part that uses torch)")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--profile", default="smoke", choices=["smoke", "full"])
    parser.add_argument("--out", type=Path, help="where the cache goes (default: a new temp dir)")
    args = parser.parse_args()
    device = normalise_device(args.device)
    proj = project()
    ids = args.parts or [s.part_id(p) for s in proj.sections for p in s.parts if p.torch]
    out = args.out or Path(tempfile.mkdtemp(prefix="device-check-"))
    opts = Options(profile=args.profile, device=device, data=str(args.data.resolve()), out=out)
    start = time.perf_counter()
    entries = ensure(proj, opts, ids, say=lambda m: print(m, file=sys.stderr))
    for pid, entry in entries.items():
        print(json.dumps({"part": pid, "device": device, "seconds": entry.seconds,
                          "metrics": numbers(entry.metrics)}))
    print(json.dumps({"parts": len(ids), "device": device, "profile": args.profile,
                      "seconds": round(time.perf_counter() - start, 1), "out": str(out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
