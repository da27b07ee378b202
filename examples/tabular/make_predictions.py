"""Held-out predictions of six models the project trains on two scikit-learn
bundled tabular datasets (digits: 10 classes; breast_cancer: binary), in the
dataset-folder layout: <dataset>/val/<model>.csv, <dataset>/test/<model>.csv,
<dataset>/val.labels.csv, <dataset>/test.labels.csv.

Each dataset is split once (seeded, stratified) into train (50%), val (25%)
and test (25%); every model is trained on train only, so its val and test
predictions are held out. Tree models and k-NN give exact zeros, Gaussian
naive Bayes near-certain rows: the inputs on which stacking's input transform
matters. Run with scikit-learn 1.9.1 / numpy 2.4.6 (PROVENANCE.md).
"""
import os

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

SEED = 16
MODELS = {
    "knn": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)),
    "tree": lambda: DecisionTreeClassifier(max_depth=8, random_state=SEED),
    "forest": lambda: RandomForestClassifier(n_estimators=100, random_state=SEED),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=100, random_state=SEED),
    "naive_bayes": lambda: GaussianNB(),
    "logreg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
}


def write_probs(path, ids, classes, proba):
    with open(path, "w") as f:
        f.write("id," + ",".join(classes) + "\n")
        for i, row in zip(ids, proba):
            # Exact zeros stay exact; 9 significant digits keep rows on the
            # simplex well within modelfuse's 1e-3 tolerance.
            f.write(f"{i}," + ",".join("0" if p == 0 else f"{p:.9g}" for p in row) + "\n")


def write_labels(path, ids, classes, y):
    with open(path, "w") as f:
        f.write("id,label\n")
        for i, c in zip(ids, y):
            f.write(f"{i},{classes[c]}\n")


def make(name, data, classes):
    x, y = data.data, data.target
    ids = np.arange(len(y))
    x_train, x_rest, y_train, y_rest, _, id_rest = train_test_split(
        x, y, ids, test_size=0.5, stratify=y, random_state=SEED)
    x_val, x_test, y_val, y_test, id_val, id_test = train_test_split(
        x_rest, y_rest, id_rest, test_size=0.5, stratify=y_rest, random_state=SEED)
    for split in ("val", "test"):
        os.makedirs(os.path.join(name, split), exist_ok=True)
    write_labels(os.path.join(name, "val.labels.csv"), id_val, classes, y_val)
    write_labels(os.path.join(name, "test.labels.csv"), id_test, classes, y_test)
    for model, make_model in MODELS.items():
        clf = make_model().fit(x_train, y_train)
        write_probs(os.path.join(name, "val", model + ".csv"), id_val, classes, clf.predict_proba(x_val))
        write_probs(os.path.join(name, "test", model + ".csv"), id_test, classes, clf.predict_proba(x_test))


make("digits", load_digits(), [str(d) for d in range(10)])
make("breast_cancer", load_breast_cancer(), ["malignant", "benign"])
