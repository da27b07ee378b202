"""Real strided-window n-best lists for SQuAD v1.1: a classical lexical QA
baseline run on overlapping windows of each context.

No fine-tuned QA model is available offline, so this runs a real (weak)
extractive baseline in the spirit of the sliding-window baseline of the
SQuAD paper (Rajpurkar et al. 2016, after Richardson et al. 2013): a
candidate span (1 to L words, not containing a question word, not starting
or ending with a stop word or punctuation) scores the IDF-weighted question
words found near it, each discounted by its distance in words
(exp(-d / tau), up to D words away), plus a bonus when the span's shape fits
the question's wh-word (a number for "how many", a capitalised name for
"who", a year or month for "when") and minus a small length penalty. Three
variants (different tau, D, bonus, L) are the systems to fuse.

Each system is run on a seeded sample of QUESTIONS dev questions two ways:

* `windows/whole/<system>.json.gz`: on the whole context (an n-best file
  `{id: [{"text", "score"}, ...]}`);
* `windows/strided/<system>.jsonl.gz`: on windows of WINDOW words every
  STRIDE words (overlapping by WINDOW - STRIDE words, as Hugging Face's
  `max_length` / `doc_stride` split does), the system seeing only the
  window's words, one line per window: `{"id", "offset", "nbest": [{"text",
  "start", "end", "score"}]}` with character offsets into the window.

`windows/dev-subset.json.gz` is the official-format dataset restricted to
the sampled questions (their articles and paragraphs, other questions
dropped), for `--dataset`.

Usage (from the repository root):

    /work/venv/bin/python examples/squad11/make_windows.py

Standard library and numpy only; deterministic (seeded sample, sorted
ties, scores rounded to 4 decimals, gzip with mtime 0).
"""

import gzip
import io
import json
import math
import os
import re

import numpy as np

PINNED = {"numpy": "2.4.6"}
QUESTIONS = 600
SEED = 0
WINDOW = 40
STRIDE = 20
NBEST = 10
HERE = os.path.dirname(os.path.abspath(__file__))

STOP = set(
    """a an the of in on at to for from by with and or but is are was were be been being
    it its this that these those as which who whom whose what when where why how did do does
    has have had not no than then there their they he she his her him we you your i me my our
    s 's into over under about after before during between such can could would should may
    might will shall also other some any all most more many much one if so""".split()
)
MONTHS = set(
    "january february march april may june july august september october november december".split()
)
NUMBERS = set("one two three four five six seven eight nine ten hundred thousand million billion".split())

SYSTEMS = {
    "lex_near": {"tau": 2.0, "reach": 6, "bonus": 2.0, "max_len": 4},
    "lex_far": {"tau": 8.0, "reach": 20, "bonus": 1.0, "max_len": 4},
    "lex_typed": {"tau": 4.0, "reach": 10, "bonus": 4.0, "max_len": 3},
}

TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def tokens(text):
    return [(m.group(0), m.start(), m.end()) for m in TOKEN.finditer(text)]


def wh_type(question):
    q = question.lower()
    if "how many" in q or "how much" in q:
        return "number"
    if re.search(r"\bwhen\b|\bwhat year\b|\bwhich year\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return "person"
    return None


def fits(kind, words):
    if kind == "number":
        return any(w[0].isdigit() or w.lower() in NUMBERS for w in words)
    if kind == "date":
        return any(re.fullmatch(r"1\d{3}|20\d{2}", w) or w.lower() in MONTHS for w in words)
    if kind == "person":
        return all(w[:1].isupper() for w in words)
    return False


def content(word):
    w = word.lower()
    return w not in STOP and any(c.isalnum() for c in w)


def nbest(toks, qwords, kind, idf, spec):
    """Top NBEST (score, start token, end token exclusive) spans of `toks`."""
    lows = [t[0].lower() for t in toks]
    matches = [i for i, w in enumerate(lows) if w in qwords]
    out = []
    for a in range(len(toks)):
        if not content(toks[a][0]) or lows[a] in qwords:
            continue
        for b in range(a + 1, min(a + spec["max_len"], len(toks)) + 1):
            if lows[b - 1] in qwords:
                break
            if not content(toks[b - 1][0]):
                continue
            best = {}
            for i in matches:
                d = a - i if i < a else i - (b - 1)
                if 0 < d <= spec["reach"]:
                    v = math.exp(-d / spec["tau"])
                    if v > best.get(lows[i], 0.0):
                        best[lows[i]] = v
            s = sum(idf[w] * v for w, v in best.items())
            if s == 0.0:
                continue
            if kind and fits(kind, [t[0] for t in toks[a:b]]):
                s += spec["bonus"]
            s -= 0.1 * (b - a - 1)
            out.append((round(s, 4), a, b))
    # Highest score first; ties to the earlier, then shorter span.
    out.sort(key=lambda x: (-x[0], x[1], x[2]))
    return out[:NBEST]


def write_gz(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as g:
        g.write(text.encode("utf-8"))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)


def main():
    if np.__version__ != PINNED["numpy"]:
        print("warning: numpy %s, pinned %s" % (np.__version__, PINNED["numpy"]))
    # SQuAD itself is not committed: `examples/get-data.sh squad11` lays it out in data/.
    with open(os.path.join(HERE, "data", "dev-v1.1.json"), encoding="utf-8") as f:
        data = json.load(f)
    paragraphs = [p for a in data["data"] for p in a["paragraphs"]]
    df = {}
    for p in paragraphs:
        for w in {t[0].lower() for t in tokens(p["context"])}:
            df[w] = df.get(w, 0) + 1
    n_par = len(paragraphs)
    all_ids = sorted(q["id"] for p in paragraphs for q in p["qas"])
    rng = np.random.default_rng(SEED)
    keep = set(rng.choice(all_ids, size=QUESTIONS, replace=False).tolist())

    subset = {"version": data["version"], "data": []}
    work = []
    for art in data["data"]:
        paras = []
        for p in art["paragraphs"]:
            qas = [q for q in p["qas"] if q["id"] in keep]
            if qas:
                paras.append({"context": p["context"], "qas": qas})
                work.extend((p["context"], q) for q in qas)
        if paras:
            subset["data"].append({"title": art["title"], "paragraphs": paras})
    # Only the sampled ids are committed; the subset itself is cut from the dataset by
    # `modelfuse-data layout squad11` (examples/get-data.sh, and the tests).
    with open(os.path.join(HERE, "windows", "subset-ids.txt"), "w") as f:
        f.write("".join(i + "\n" for i in sorted(keep)))

    n_windows = 0
    for name, spec in SYSTEMS.items():
        whole = {}
        lines = []
        for context, q in work:
            qwords = {t[0].lower() for t in tokens(q["question"]) if content(t[0])}
            idf = {w: math.log(n_par / df.get(w, 1)) for w in qwords}
            kind = wh_type(q["question"])
            toks = tokens(context)
            best = nbest(toks, qwords, kind, idf, spec)
            whole[q["id"]] = [
                {"text": context[toks[a][1] : toks[b - 1][2]], "score": s} for s, a, b in best
            ] or [{"text": "", "score": 0.0}]
            start = 0
            while True:
                win = toks[start : start + WINDOW]
                off = win[0][1]
                cands = nbest(win, qwords, kind, idf, spec)
                items = [
                    {
                        "text": context[win[a][1] : win[b - 1][2]],
                        "start": win[a][1] - off,
                        "end": win[b - 1][2] - off,
                        "score": s,
                    }
                    for s, a, b in cands
                ] or [{"text": "", "start": 0, "end": 0, "score": 0.0}]
                lines.append(json.dumps({"id": q["id"], "offset": off, "nbest": items}, ensure_ascii=False) + "\n")
                if start + WINDOW >= len(toks):
                    break
                start += STRIDE
        n_windows = len(lines)
        write_gz(os.path.join(HERE, "windows", "whole", name + ".json.gz"), json.dumps(whole, ensure_ascii=False) + "\n")
        write_gz(os.path.join(HERE, "windows", "strided", name + ".jsonl.gz"), "".join(lines))
    print("%d questions, %d windows per system" % (len(work), n_windows))


if __name__ == "__main__":
    main()
