"""Regenerate the Fig-QA dataset folder from source/merged_4models.jsonl.

Fig-QA items come in pairs (a figurative phrase and its opposite share the
same two options); a pair is never split. The pairs are shuffled with a fixed
seed and cut in half: val/ gets 274 pairs, test/ 273. Each model's hard
predictions (the option index, 0 or 1) become val/<model>.csv and
test/<model>.csv with columns id,label; the gold answers go to
val.labels.csv and test.labels.csv. Standard library only; takes < 1 s:

    python3 examples/figqa/make_split.py
"""
import csv
import json
import pathlib
import random

HERE = pathlib.Path(__file__).resolve().parent
MODELS = ["bert", "roberta", "gpt2", "gptneo"]
SEED = 20221


def write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    items = [json.loads(l) for l in open(HERE / "source/merged_4models.jsonl")]
    assert len(items) % 2 == 0
    pairs = list(range(len(items) // 2))
    random.Random(SEED).shuffle(pairs)
    half = (len(pairs) + 1) // 2
    for split, chosen in (("val", pairs[:half]), ("test", pairs[half:])):
        idx = sorted(i for p in chosen for i in (2 * p, 2 * p + 1))
        for m in MODELS:
            write_csv(HERE / split / f"{m}.csv", ["id", "label"],
                      [(items[i]["idx"], items[i]["predictions"][m]) for i in idx])
        write_csv(HERE / f"{split}.labels.csv", ["id", "label"],
                  [(items[i]["idx"], items[i]["gold"]) for i in idx])
        print(f"{split}: {len(idx)} items")


if __name__ == "__main__":
    main()
