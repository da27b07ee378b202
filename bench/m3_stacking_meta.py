#!/usr/bin/env python3
"""Regression stacking's meta-model on real forecasts: ridge alpha=1 (modelfuse's default)
against RidgeCV(alphas=(0.1, 1, 10)) (scikit-learn's `StackingRegressor` default,
modelfuse's `--meta ridge-cv`), and the plain mean, on the M3 competition's forecasts.

Data: `examples/m3` (see its PROVENANCE.md; not committed), read from `../shared/data/m3`
or `$MODELFUSE_DATA/m3` in place, nothing written. For each frequency (yearly, quarterly,
monthly, other), every (series, horizon) is a row: the features are the point forecasts of
the 22 methods that cover all 3003 series, the target the hold-out actual, all divided by
the series' mean absolute in-sample value (so series of different levels pool). 40 random
splits by series: the meta-model is fitted on the rows of 5, 20 or 100 series and scored
(mean squared error) on the rows of all the other series. scikit-learn's `Ridge(alpha=1)`
and `RidgeCV` are used: `learn::linear::Ridge` and `RidgeCv` reach the same solutions
(golden tests `golden_learn.rs`, `golden_ridge_cv.rs`, 1e-9).

Usage: python bench/m3_stacking_meta.py  (numpy, scikit-learn as bench/requirements.txt)
"""

import csv
import gzip
import os

import numpy as np
from sklearn.linear_model import Ridge, RidgeCV

HERE = os.path.dirname(os.path.abspath(__file__))
D = os.path.join(os.environ.get('MODELFUSE_DATA', os.path.join(HERE, '..', '..', 'shared', 'data')), 'm3') + '/'


def read(path):
    out={}
    with gzip.open(path,'rt') as f:
        r=csv.reader(f); next(r)
        for row in r:
            out[row[0]]=[float(v) if v not in ('','NA') else np.nan for v in row[1:]]
    return out
info={}
with gzip.open(D+'M3-info.csv.gz','rt') as f:
    for row in csv.DictReader(f): info[row['id']]=row
train=read(D+'M3-train.csv.gz'); test=read(D+'M3-test.csv.gz')
methods=sorted(m[:-7] for m in os.listdir(D+'forecasts'))
fc={m:read(D+'forecasts/'+m+'.csv.gz') for m in methods}
full=[m for m in methods if len(fc[m])==3003]
print(len(full),'methods cover all series')
rng=np.random.default_rng(0)
for period in ['YEARLY','QUARTERLY','MONTHLY','OTHER']:
    ids=[i for i in info if info[i]['period']==period]
    X={};Y={}
    for i in ids:
        h=int(info[i]['h']); tr=np.array(train[i]); tr=tr[~np.isnan(tr)]
        s=np.mean(np.abs(tr))
        x=np.array([fc[m][i][:h] for m in full]).T/s
        y=np.array(test[i][:h])/s
        ok=~np.isnan(x).any(1)&~np.isnan(y)
        X[i]=x[ok];Y[i]=y[ok]
    for ntr in [5,20,100]:
        res={'mean':[],'ridge1':[],'ridgecv':[]}; alphas=[]
        for rep in range(40):
            perm=rng.permutation(len(ids)); tri=[ids[k] for k in perm[:ntr]]; tei=[ids[k] for k in perm[ntr:]]
            xtr=np.vstack([X[i] for i in tri]); ytr=np.concatenate([Y[i] for i in tri])
            xte=np.vstack([X[i] for i in tei]); yte=np.concatenate([Y[i] for i in tei])
            r1=Ridge(alpha=1.0).fit(xtr,ytr); rc=RidgeCV(alphas=(0.1,1,10)).fit(xtr,ytr)
            alphas.append(rc.alpha_)
            res['mean'].append(np.mean((xte.mean(1)-yte)**2))
            res['ridge1'].append(np.mean((r1.predict(xte)-yte)**2))
            res['ridgecv'].append(np.mean((rc.predict(xte)-yte)**2))
        m={k:np.mean(v) for k,v in res.items()}
        wins=np.mean(np.array(res['ridgecv'])<np.array(res['ridge1']))
        ties=np.mean(np.array(res['ridgecv'])==np.array(res['ridge1']))
        ratio=np.median(np.array(res['ridgecv'])/np.array(res['ridge1']))
        print(f"  median per-split MSE ratio ridgecv/ridge1 {ratio:.3f}; medians mean {np.median(res['mean']):.5f} ridge1 {np.median(res['ridge1']):.5f} ridgecv {np.median(res['ridgecv']):.5f}")
        print(f"{period:9s} train={ntr:3d} series ({len(ytr)} rows): test MSE mean {m['mean']:.5f} ridge1 {m['ridge1']:.5f} ridgecv {m['ridgecv']:.5f}  cv better in {wins:.2f}, equal {ties:.2f}; alpha_ counts", {a:alphas.count(a) for a in (0.1,1,10)})
