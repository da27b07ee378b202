"""Regenerate examples/figqa/split.csv, the validation/test split of Fig-QA.

Fig-QA items come in pairs (a figurative phrase and its opposite share the
same two options); a pair is never split. The pairs are shuffled with a fixed
seed and cut in half: val gets 274 pairs (548 items), test 273 (546). Only the
split (`id,half`, the id being the item's position) is committed; the
predictions and gold answers are laid out from it by `examples/get-data.sh
figqa` (and by the tests, through crates/modelfuse-testdata). Standard library
only; takes < 1 s:

    python3 examples/figqa/make_split.py [path/to/fig_qa-dataset.json]
"""
import json
import pathlib
import random
import sys

HERE = pathlib.Path(__file__).resolve().parent
SEED = 20221
DEFAULT = HERE.parents[2] / "shared/data/figqa/original/fig_qa-dataset.json"


def main():
    items = json.loads(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT).read_text())
    assert len(items) % 2 == 0
    pairs = list(range(len(items) // 2))
    random.Random(SEED).shuffle(pairs)
    half = (len(pairs) + 1) // 2
    side = {}
    for name, chosen in (("val", pairs[:half]), ("test", pairs[half:])):
        for p in chosen:
            side[2 * p] = side[2 * p + 1] = name
    with open(HERE / "split.csv", "w", newline="") as f:
        f.write("id,half\n")
        f.writelines(f"{i},{side[i]}\n" for i in range(len(items)))
    print({h: sum(1 for v in side.values() if v == h) for h in ("val", "test")})


if __name__ == "__main__":
    main()
