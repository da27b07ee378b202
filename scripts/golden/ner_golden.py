#!/usr/bin/env python3
"""Golden values for `modelfuse_nlp::ner` metrics, computed with seqeval 1.2.2.

Writes `crates/modelfuse-nlp/tests/golden/ner.json`: for every case, micro
precision/recall/F1 and the per-type scores and supports in seqeval's default
mode (conlleval-style `get_entities`) and in `mode='strict', scheme=IOB2`
(or the error seqeval raises there). The Rust test
`crates/modelfuse-nlp/tests/golden_ner.rs` reads the same files and checks the
crate against these values to 1e-9.

Cases:
* `wnut17/<system>`: each of the 7 real WNUT-17 systems in `examples/wnut17/systems/`
  against `examples/wnut17/gold.conll`;
* `fused/<method>`: the fused outputs committed in
  `crates/modelfuse-nlp/tests/golden/ner_fused/` (written by `modelfuse ner fuse`);
* `synthetic/<k>`: random ill-formed sequences (I- after O, E-/S- tags, type
  switches, bare prefixes at sentence starts), stored inline in the JSON.

The CoNLL reader here follows the crate's documented rules: first field =
token, last field = tag, blank line between sentences, CRLF allowed,
`-DOCSTART-` skipped.

Usage, from the repository root:

    /work/venv/bin/python scripts/golden/ner_golden.py
"""

import json
import platform
import random
import warnings
from pathlib import Path

import seqeval
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/modelfuse-nlp/tests/golden/ner.json"


def read_conll(path):
    sentences, current = [], []
    for raw in path.read_text(encoding="utf-8").split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        fields = [f for f in line.replace("\t", " ").split(" ") if f]
        if not fields or fields[0] == "-DOCSTART-":
            if current:
                sentences.append(current)
                current = []
            continue
        current.append(fields[-1])
    if current:
        sentences.append(current)
    return sentences


def scores(gold, pred, strict):
    kw = {"mode": "strict", "scheme": IOB2} if strict else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            micro = {
                "precision": precision_score(gold, pred, **kw),
                "recall": recall_score(gold, pred, **kw),
                "f1": f1_score(gold, pred, **kw),
            }
            report = classification_report(gold, pred, output_dict=True, **kw)
    except Exception as e:  # seqeval raises on E-/S- tags in strict IOB2
        return {"error": f"{type(e).__name__}: {e}"}
    per_type = {
        k: [v["precision"], v["recall"], v["f1-score"], int(v["support"])]
        for k, v in report.items()
        if k not in ("micro avg", "macro avg", "weighted avg")
    }
    return {k: float(v) for k, v in micro.items()} | {"per_type": per_type}


def synthetic_cases(n, seed=0):
    rng = random.Random(seed)
    types = ["PER", "LOC", "creative-work"]
    prefixes = ["O", "O", "O", "B", "I", "I", "E", "S"]

    def tag(allow_es):
        p = rng.choice(prefixes if allow_es else [p for p in prefixes if p not in "ES"])
        return "O" if p == "O" else f"{p}-{rng.choice(types)}"

    cases = []
    for k in range(n):
        allow_es = k % 3 == 0
        sents = [rng.randint(1, 9) for _ in range(rng.randint(1, 6))]
        gold = [[tag(False) for _ in range(m)] for m in sents]
        pred = [[tag(allow_es) for _ in range(m)] for m in sents]
        cases.append((f"synthetic/{k}", gold, pred))
    # Hand-made corner cases.
    cases.append(("synthetic/i_after_o", [["O", "I-PER", "I-PER", "O"]], [["O", "I-PER", "I-PER", "O"]]))
    cases.append(("synthetic/type_switch", [["B-PER", "I-PER", "I-PER"]], [["B-PER", "I-LOC", "I-PER"]]))
    cases.append(("synthetic/all_o_pred", [["B-PER", "O"]], [["O", "O"]]))
    return cases


def main():
    cases = []
    gold_path = ROOT / "examples/wnut17/gold.conll"
    gold = read_conll(gold_path)
    for f in sorted((ROOT / "examples/wnut17/systems").glob("*.conll")):
        pred = read_conll(f)
        cases.append({
            "name": f"wnut17/{f.stem}",
            "gold_file": str(gold_path.relative_to(ROOT)),
            "pred_file": str(f.relative_to(ROOT)),
            "conlleval": scores(gold, pred, False),
            "strict": scores(gold, pred, True),
        })
    for f in sorted((ROOT / "crates/modelfuse-nlp/tests/golden/ner_fused").glob("*.conll")):
        pred = read_conll(f)
        cases.append({
            "name": f"fused/{f.stem}",
            "gold_file": str(gold_path.relative_to(ROOT)),
            "pred_file": str(f.relative_to(ROOT)),
            "conlleval": scores(gold, pred, False),
            "strict": scores(gold, pred, True),
        })
    for name, g, p in synthetic_cases(60):
        cases.append({
            "name": name,
            "gold": g,
            "pred": p,
            "conlleval": scores(g, p, False),
            "strict": scores(g, p, True),
        })
    out = {
        "versions": {"python": platform.python_version(), "seqeval": seqeval.__version__ if hasattr(seqeval, "__version__") else "1.2.2"},
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
