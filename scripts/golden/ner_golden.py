#!/usr/bin/env python3
"""Golden values for `modelfuse_nlp::ner` metrics, computed with seqeval 1.2.2.

Writes `crates/modelfuse-nlp/tests/golden/ner.json`: for every case, micro
precision/recall/F1 and the per-type scores and supports in seqeval's default
mode (conlleval-style `get_entities`) and in `mode='strict', scheme=IOB2`
(or the error seqeval raises there). The Rust test
`crates/modelfuse-nlp/tests/golden_ner.rs` reads the same files and checks the
crate against these values to 1e-9.

Cases:
* `wnut17/<system>`: each of the 7 real WNUT-17 systems in `examples/wnut17/data/systems/`
  against `examples/wnut17/data/gold.conll`;
* `fused/<method>`: the fused outputs committed in
  `crates/modelfuse-nlp/tests/golden/ner_fused/` (written by `modelfuse ner fuse`, tokens then replaced by `_`: only the tags are golden);
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

import numpy as np
import seqeval
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

ROOT = Path(__file__).resolve().parents[2]

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import Rng  # noqa: E402
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


def halves(n, seed):
    """`modelfuse_nlp::ner::halves`: seeded Fisher-Yates, first ceil(n/2) = A."""
    idx = list(range(n))
    Rng(seed).shuffle(idx)
    k = (n + 1) // 2
    return sorted(idx[:k]), sorted(idx[k:])


def micro_counts(gold, pred):
    """Per-sentence (tp, predicted, gold) with seqeval's default get_entities."""
    out = []
    for g, p in zip(gold, pred):
        ge, pe = set(get_entities(g)), set(get_entities(p))
        out.append((len(ge & pe), len(pe), len(ge)))
    return out


def f1(counts):
    tp, pr, go = (sum(c[i] for c in counts) for i in range(3))
    p = tp / pr if pr else 0.0
    r = tp / go if go else 0.0
    d = p + r
    return 2.0 * p * r / (d if d else 1.0)


def bootstrap(a, b, n_resamples, confidence, seed):
    """`modelfuse_nlp::ner::paired_bootstrap`, resample for resample."""
    n = len(a)
    root = Rng(seed)
    gains = []
    for r in range(n_resamples):
        draw = root.fork(r)
        picks = [draw.below(n) for _ in range(n)]
        gains.append(f1([a[i] for i in picks]) - f1([b[i] for i in picks]))
    g = np.array(gains)
    p = min(1.0, 2.0 * min((g <= 0).sum(), (g >= 0).sum()) / n_resamples)
    return {
        "gain": f1(a) - f1(b),
        "low": float(np.quantile(g, (1 - confidence) / 2)),
        "high": float(np.quantile(g, (1 + confidence) / 2)),
        "p_value": float(p),
    }


def comparison_case(gold):
    """Halves of the WNUT-17 sentences, and a paired bootstrap of uh_ritual
    over arcada on half B."""
    systems = ROOT / "examples/wnut17/data/systems"
    a, b = halves(len(gold), 0)
    ua = micro_counts(gold, read_conll(systems / "uh_ritual.conll"))
    ar = micro_counts(gold, read_conll(systems / "arcada.conll"))
    return {
        "halves_seed": 0,
        "half_a": a,
        "half_b": b,
        "halves_seed_7_first_10": halves(len(gold), 7)[0][:10],
        "bootstrap": {
            "a": "uh_ritual",
            "b": "arcada",
            "half": "B",
            "resamples": 300,
            "confidence": 0.95,
            "seed": 5,
        } | bootstrap([ua[i] for i in b], [ar[i] for i in b], 300, 0.95, 5),
    }


def main():
    cases = []
    gold_path = ROOT / "examples/wnut17/data/gold.conll"
    gold = read_conll(gold_path)
    for f in sorted((ROOT / "examples/wnut17/data/systems").glob("*.conll")):
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
        "comparison": comparison_case(gold),
        "versions": {"python": platform.python_version(), "seqeval": seqeval.__version__ if hasattr(seqeval, "__version__") else "1.2.2", "numpy": np.__version__},
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
