//! Golden tests: the solvers of `modelfuse::learn` against scikit-learn and
//! SciPy.
//!
//! `tests/golden/learn.json` is written by `scripts/golden/learn_golden.py`
//! (see `scripts/golden/README.md`). It holds three stacking-like datasets
//! (log-probabilities of three synthetic models with correlated errors) and
//! a regression dataset (five correlated regressors), and per case the
//! settings and the reference solution:
//!
//! * logistic regression: the exact optimum of scikit-learn's
//!   `LogisticRegression(C)` objective (its `newton-cholesky` solver, to a
//!   gradient of 1e-16), and what its `lbfgs` solver returns at `tol=1e-10`
//!   (up to 5e-6 away from that optimum, see the script);
//! * `Ridge(alpha)`, `scipy.optimize.nnls`, `LinearRegression(positive=True)`,
//!   with and without sample weights.
//!
//! Run with `--nocapture` to see the largest differences found.

use modelfuse::learn::linear::{NonNegativeLeastSquares, Ridge, nnls};
use modelfuse::learn::logistic::LogisticRegression;
use serde::Deserialize;

const GOLDEN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/learn.json"
));

/// Probabilities against the optimum at the default tolerance: the issue
/// asks for 1e-4; we reach 4e-7 and hold ourselves to 1e-6.
const PROBA_TOL: f64 = 1e-6;
/// The same with `tol = 1e-10`, where we reach 1e-8.
const TIGHT_PROBA_TOL: f64 = 5e-8;
/// Coefficients and intercepts against the optimum.
const COEF_TOL: f64 = 1e-4;
/// Probabilities against scikit-learn's own `lbfgs` answer, which is itself
/// up to 5e-6 from the optimum: the tolerance.
const LBFGS_PROBA_TOL: f64 = 1e-4;
/// Least-squares coefficients: relative, with an absolute floor for the
/// exact zeros of the non-negative fits.
const LINEAR_REL: f64 = 1e-8;
const LINEAR_ABS: f64 = 1e-14;

#[derive(Deserialize)]
struct Golden {
    versions: std::collections::BTreeMap<String, String>,
    datasets: Vec<Dataset>,
    logistic: Vec<LogisticCase>,
    regression: Regression,
    linear: Vec<LinearCase>,
}

#[derive(Deserialize)]
struct Dataset {
    name: String,
    n_classes: usize,
    x: Vec<Vec<f64>>,
    y: Vec<usize>,
}

#[derive(Deserialize)]
struct LogisticCase {
    name: String,
    data: String,
    c: f64,
    sample_weight: Option<Vec<f64>>,
    classes: Vec<usize>,
    coef: Vec<Vec<f64>>,
    intercept: Vec<f64>,
    /// The first rows' probabilities, `n_classes` columns.
    proba: Vec<Vec<f64>>,
    lbfgs: Lbfgs,
}

#[derive(Deserialize)]
struct Lbfgs {
    max_proba_diff: f64,
    proba: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Regression {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
}

#[derive(Deserialize)]
struct LinearCase {
    name: String,
    kind: String,
    alpha: Option<f64>,
    sample_weight: Option<Vec<f64>>,
    coef: Vec<f64>,
    intercept: Option<f64>,
    rnorm: Option<f64>,
}

fn golden() -> Golden {
    serde_json::from_str(GOLDEN).expect("tests/golden/learn.json parses")
}

/// Row-major flattening and the width.
fn flat(rows: &[Vec<f64>]) -> (Vec<f64>, usize) {
    (rows.iter().flatten().copied().collect(), rows[0].len())
}

/// The largest `|got − want|`, after checking each is within `abs + rel
/// |want|`.
fn assert_close(what: &str, got: &[f64], want: &[f64], rel: f64, abs: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let diff = (g - w).abs();
        assert!(
            diff <= abs + rel * w.abs(),
            "{what}[{i}]: got {g}, expected {w} (difference {diff:e})"
        );
        worst = worst.max(diff);
    }
    worst
}

#[test]
fn golden_file_names_its_versions() {
    let g = golden();
    assert_eq!(g.versions["scikit-learn"], "1.9.1");
    assert_eq!(g.versions["scipy"], "1.17.1");
    assert_eq!(g.logistic.len(), 6);
    assert_eq!(g.linear.len(), 7);
}

/// Fits every logistic case with `settings` (C from the case) and checks
/// it; returns the largest probability difference from the optimum.
fn check_logistic(g: &Golden, settings: LogisticRegression, proba_tol: f64) -> f64 {
    let (mut worst_p, mut worst_coef, mut worst_lbfgs) = (0.0f64, 0.0f64, 0.0f64);
    for case in &g.logistic {
        let name = &case.name;
        let data = g
            .datasets
            .iter()
            .find(|d| d.name == case.data)
            .expect("the case's dataset");
        let (x, d) = flat(&data.x);
        let fit = settings
            .c(case.c)
            .fit(
                &x,
                d,
                &data.y,
                data.n_classes,
                case.sample_weight.as_deref(),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            fit.converged(),
            "{name}: not converged after {} iterations",
            fit.iterations()
        );
        assert_eq!(fit.classes(), case.classes, "{name}: classes");
        let (coef, _) = flat(&case.coef);
        worst_coef = worst_coef
            .max(assert_close(
                &format!("{name} coef"),
                fit.coef(),
                &coef,
                0.0,
                COEF_TOL,
            ))
            .max(assert_close(
                &format!("{name} intercept"),
                fit.intercept(),
                &case.intercept,
                0.0,
                COEF_TOL,
            ));
        let rows = case.proba.len();
        let p = fit.predict_proba(&x[..rows * d], d).unwrap();
        let (want, _) = flat(&case.proba);
        let diff = assert_close(&format!("{name} proba"), &p, &want, 0.0, proba_tol);
        worst_p = worst_p.max(diff);
        let (want, _) = flat(&case.lbfgs.proba);
        worst_lbfgs = worst_lbfgs.max(assert_close(
            &format!("{name} proba vs sklearn lbfgs"),
            &p,
            &want,
            0.0,
            LBFGS_PROBA_TOL,
        ));
        assert!(case.lbfgs.max_proba_diff < LBFGS_PROBA_TOL);
        // Every row of the full output is a distribution; absent classes are
        // exactly zero.
        let all = fit.predict_proba(&x, d).unwrap();
        for row in all.chunks_exact(data.n_classes) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{name}");
            for c in 0..data.n_classes {
                if !case.classes.contains(&c) {
                    assert_eq!(row[c], 0.0, "{name}: absent class {c}");
                }
            }
        }
        eprintln!(
            "  {name}: {} iterations, proba within {diff:.1e} of the optimum",
            fit.iterations()
        );
    }
    eprintln!(
        "logistic, tol {:e}: max |proba − optimum| {worst_p:.1e}, max |coef − optimum| \
         {worst_coef:.1e}, max |proba − sklearn lbfgs| {worst_lbfgs:.1e}",
        settings.tol
    );
    worst_p
}

#[test]
fn golden_logistic_matches_sklearn() {
    check_logistic(&golden(), LogisticRegression::new(), PROBA_TOL);
}

/// A tighter tolerance buys agreement to about 1e-8: what is left at the
/// default is the tolerance, not a flaw of the objective or the solver.
#[test]
fn golden_logistic_converges_further_on_request() {
    let tight = LogisticRegression::new().tol(1e-10);
    check_logistic(&golden(), tight, TIGHT_PROBA_TOL);
}

#[test]
fn golden_linear_matches_sklearn_and_scipy() {
    let g = golden();
    let (x, d) = flat(&g.regression.x);
    let y = &g.regression.y;
    let mut worst = 0.0f64;
    for case in &g.linear {
        let w = case.sample_weight.as_deref();
        let name = &case.name;
        let (coef, intercept) = match case.kind.as_str() {
            "ridge" => {
                let alpha = case.alpha.expect("ridge cases give alpha");
                let fit = Ridge::new().alpha(alpha).fit(&x, d, y, w).unwrap();
                (fit.coef().to_vec(), fit.intercept())
            }
            "positive" => {
                let fit = NonNegativeLeastSquares::new().fit(&x, d, y, w).unwrap();
                (fit.coef().to_vec(), fit.intercept())
            }
            "nnls" => {
                let (coef, rnorm) = nnls(&x, d, y).unwrap();
                let want = case.rnorm.expect("nnls cases give rnorm");
                assert!(
                    (rnorm - want).abs() <= LINEAR_REL * want,
                    "{name}: rnorm {rnorm} vs {want}"
                );
                (coef, 0.0)
            }
            other => panic!("{name}: unknown kind {other}"),
        };
        let rel = |got: &[f64], want: &[f64]| {
            got.iter()
                .zip(want)
                .map(|(g, w)| (g - w).abs() / w.abs().max(1e-300))
                .filter(|r| r.is_finite())
                .fold(0.0f64, f64::max)
        };
        assert_close(
            &format!("{name} coef"),
            &coef,
            &case.coef,
            LINEAR_REL,
            LINEAR_ABS,
        );
        worst = worst.max(rel(&coef, &case.coef));
        if let Some(want) = case.intercept {
            assert_close(
                &format!("{name} intercept"),
                &[intercept],
                &[want],
                LINEAR_REL,
                LINEAR_ABS,
            );
            worst = worst.max(rel(&[intercept], &[want]));
        }
        // Zero coefficients of the non-negative fits are exactly zero.
        for (g, w) in coef.iter().zip(&case.coef) {
            if *w == 0.0 {
                assert_eq!(*g, 0.0, "{name}: an active constraint");
            }
        }
    }
    eprintln!("linear: max relative coefficient difference {worst:.1e}");
}
