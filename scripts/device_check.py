"""Run the torch sections' run() on a device without rendering (the GPU machine has torch but no WeasyPrint).

    python scripts/device_check.py --data DIR --device cuda [--profile smoke] [q6_1 q6_2]

Prints each section's seconds and its top-level numeric metrics, so `--device cuda` is exercised end to end.
"""
import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportkit.result import Context  # noqa: E402

MODULES = {"q6_1": "experiments.q6_1_torch", "q6_2": "experiments.q6_2_finetune"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", default=list(MODULES))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--profile", default="smoke")
    args = parser.parse_args()
    for sid in args.sections:
        module = importlib.import_module(MODULES[sid])
        config = module.SECTION.make_config(args.profile)
        out = Path(tempfile.mkdtemp(prefix=f"{sid}-"))
        start = time.perf_counter()
        result = module.run(Context(config, args.profile, 0, args.device, args.data.resolve(), out))
        numbers = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}
        print(json.dumps({"section": sid, "device": args.device, "seconds": round(time.perf_counter() - start, 1),
                          "metrics": numbers}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
