"""Write a small copy of a data root (same layout, few images) for quick checks on another machine.

    .venv/bin/python scripts/make_mini_data.py SRC DEST [--per-class N]

NIST36, the course images and the weights are copied whole (small); CIFAR-10 keeps N*100 images per batch;
SUN keeps 2N images per class and split (its lists rewritten to match), Flowers-17 N.
"""
import argparse
import pickle
import shutil
from collections import defaultdict
from pathlib import Path


def cifar(src: Path, dest: Path, n: int) -> None:
    dest.mkdir(parents=True)
    shutil.copy(src / "batches.meta", dest)
    for name in ("data_batch_1", "test_batch"):
        with open(src / name, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        small = {b"data": batch[b"data"][:n], b"labels": list(batch[b"labels"][:n]), b"batch_label": name.encode()}
        with open(dest / name, "wb") as f:
            pickle.dump(small, f)


def sun(src: Path, dest: Path, n: int) -> None:
    for split in ("train", "test"):
        files = (src / f"{split}_files.txt").read_text().split()
        labels = (src / f"{split}_labels.txt").read_text().split()
        kept, count = [], defaultdict(int)
        for file, label in zip(files, labels):
            if count[label] < n:
                count[label] += 1
                kept.append((file, label))
                (dest / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src / file, dest / file)
        (dest / f"{split}_files.txt").write_text("".join(f"{f}\n" for f, _ in kept))
        (dest / f"{split}_labels.txt").write_text("".join(f"{lab}\n" for _, lab in kept))


def flowers(src: Path, dest: Path, n: int) -> None:
    for folder in sorted(p for p in src.glob("*/*") if p.is_dir()):
        target = dest / folder.relative_to(src)
        target.mkdir(parents=True)
        for image in sorted(folder.iterdir())[:n]:
            shutil.copy(image, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--per-class", type=int, default=4)
    args = parser.parse_args()
    src, dest, n = args.src, args.dest, args.per_class
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "data").mkdir(parents=True)
    for split in ("train", "valid", "test"):
        shutil.copy(src / "data" / f"nist36_{split}.mat", dest / "data")
    shutil.copytree(src / "weights", dest / "weights")
    shutil.copytree(src / "images", dest / "images")
    cifar(src / "data" / "cifar-10-batches-py", dest / "data" / "cifar-10-batches-py", n * 100)
    sun(src / "data" / "sun", dest / "data" / "sun", n * 2)
    flowers(src / "data" / "oxford-flowers17", dest / "data" / "oxford-flowers17", n)
    print(f"wrote {dest} ({sum(p.stat().st_size for p in dest.rglob('*') if p.is_file()) / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
