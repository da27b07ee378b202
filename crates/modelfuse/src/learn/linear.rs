//! Linear least squares for regression stacking: [`Ridge`] (scikit-learn's
//! `Ridge`), [`RidgeCv`] (scikit-learn's `RidgeCV`: ridge with its penalty
//! chosen by exact leave-one-out error), [`nnls`] (SciPy's `optimize.nnls`) and
//! [`NonNegativeLeastSquares`] (scikit-learn's `LinearRegression(positive=True)`),
//! all fitted into a [`FittedLinear`].
//!
//! Matrices are dense, row-major `n × d` slices with the width passed
//! alongside, as everywhere in [`learn`](super). Each solver finds the same
//! optimum as its reference (the golden tests check coefficients to `1e-8`
//! relative); the algorithms are the references' own where that matters for
//! accuracy:
//!
//! * ridge centres the data (the intercept is not penalised), then solves
//!   `(XᵀSX + αI) w = XᵀSy` by Cholesky, as scikit-learn's `"cholesky"`
//!   solver does; `α > 0` keeps that system well conditioned;
//! * non-negative least squares is Lawson & Hanson's active-set method
//!   (*Solving Least Squares Problems*, 1974, ch. 23), as SciPy's. When
//!   there are more rows than columns we first reduce `A` to the triangular
//!   factor `R` of its QR decomposition: `‖Ax − b‖² = ‖Rx − Qᵀb‖² + const`,
//!   so the active-set iterations see a `d × d` problem, and every
//!   subproblem is still solved by QR (never by the normal equations, which
//!   would square the condition number of stacked, strongly correlated model
//!   outputs).
//!
//! Sample weights `s` follow scikit-learn: they multiply each squared
//! residual (`Σ sᵢ rᵢ²`, not normalised), the data are centred with weighted
//! means, and a zero weight is the same as leaving the row out.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::learn::lbfgs::{axpy, dot};

/// Ridge regression: least squares with an L2 penalty on the coefficients,
/// `min Σ sᵢ (yᵢ − xᵢ·w − b)² + α ‖w‖²`, the intercept `b` unpenalised.
///
/// The same objective, and so the same solution, as scikit-learn's
/// `Ridge(alpha, fit_intercept)`.
///
/// # Example
///
/// ```
/// use modelfuse::learn::linear::Ridge;
///
/// // y = 2 x + 1, two points; the penalty shrinks the slope.
/// let fit = Ridge::new().alpha(1.0).fit(&[0.0, 1.0], 1, &[1.0, 3.0], None)?;
/// assert!((fit.coef()[0] - 2.0 / 3.0).abs() < 1e-12);
/// assert!((fit.predict(&[0.5], 1)?[0] - 2.0).abs() < 1e-12);
/// # Ok::<(), modelfuse::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ridge {
    /// The penalty strength `α` (default 1, as scikit-learn); finite and
    /// non-negative. At `0` the features must not be collinear.
    pub alpha: f64,
    /// Whether to fit an (unpenalised) intercept (default `true`).
    pub fit_intercept: bool,
}

impl Default for Ridge {
    fn default() -> Self {
        Ridge {
            alpha: 1.0,
            fit_intercept: true,
        }
    }
}

impl Ridge {
    /// The defaults: `alpha = 1`, with an intercept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the penalty strength.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets whether to fit an intercept.
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.fit_intercept = yes;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] when `alpha` is negative or not
    /// finite.
    pub fn check(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(Error::param(format!(
                "expected a finite non-negative alpha, found {}",
                self.alpha
            )));
        }
        Ok(())
    }

    /// Fits to `n` rows `x` (`n × d`, row-major) and targets `y`, optionally
    /// weighting each row.
    ///
    /// Costs `O(n d² + d³)`: forming `XᵀSX` dominates.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for invalid settings;
    /// [`ErrorKind::Shape`] when there are no rows or features or the
    /// lengths disagree; [`ErrorKind::InvalidValue`] for non-finite inputs,
    /// and when `alpha = 0` and the features are collinear (the system is
    /// singular); [`ErrorKind::InvalidWeights`] for negative, non-finite or
    /// all-zero sample weights.
    pub fn fit(
        &self,
        x: &[f64],
        d: usize,
        y: &[f64],
        sample_weight: Option<&[f64]>,
    ) -> Result<FittedLinear> {
        self.check()?;
        let n = y.len();
        check_features(x, d, n)?;
        check_targets(y)?;
        let s = sample_weights(sample_weight, n)?;
        let (xm, ym) = centres(x, d, y, &s, self.fit_intercept);
        // Upper triangle of XᵀSX and XᵀSy on the centred data, one row at a
        // time so X is read once, in order.
        let mut a = vec![0.0; d * d];
        let mut rhs = vec![0.0; d];
        let mut xc = vec![0.0; d];
        for (i, row) in x.chunks_exact(d).enumerate() {
            if s[i] == 0.0 {
                continue;
            }
            for j in 0..d {
                xc[j] = row[j] - xm[j];
            }
            let yc = y[i] - ym;
            for j in 0..d {
                let sx = s[i] * xc[j];
                rhs[j] += sx * yc;
                axpy(sx, &xc[j..], &mut a[j * d + j..(j + 1) * d]);
            }
        }
        for j in 0..d {
            a[j * d + j] += self.alpha;
        }
        let coef = cholesky_solve(&mut a, d, &mut rhs).map(|()| rhs)?;
        let intercept = if self.fit_intercept {
            ym - dot(&xm, &coef)
        } else {
            0.0
        };
        Ok(FittedLinear { coef, intercept })
    }
}

/// Ridge regression with its penalty chosen among a list by exact
/// leave-one-out squared error, then refitted on all rows: scikit-learn's
/// `RidgeCV(alphas, fit_intercept=True)` with its default efficient
/// leave-one-out (`_RidgeGCV`, `scoring=None`, no sample weights).
///
/// For each `α`, the model is [`Ridge`] with an unpenalised intercept. Its
/// fitted values are `ŷ = H y` with hat matrix
/// `H = 11ᵀ/n + X_c (X_cᵀ X_c + α I)⁻¹ X_cᵀ` (`X_c` the column-centred
/// features; the intercept's column is orthogonal to them, so the two
/// blocks separate exactly), and leaving row `i` out of the fit (intercept
/// and centring included) gives the residual `(yᵢ − ŷᵢ) / (1 − Hᵢᵢ)`, the
/// Sherman–Morrison identity of penalised least squares. No refit per row:
/// `X_cᵀ X_c` is formed once (`O(n d²)`), then each `α` costs a Cholesky
/// factorisation (`O(d³)`) and one triangular solve per row for `Hᵢᵢ`
/// (`O(n d²)`), so `O(n d² + d³)` per `α`. A unit test checks the result
/// against brute-force refits without each row.
///
/// The chosen `α` has the smallest mean squared leave-one-out error; on a
/// tie, the first such in the list (as NumPy's `argmin`). With fewer than
/// two rows no row can be left out, every error is undefined and, as in
/// scikit-learn (whose errors are then NaN), the first `α` is chosen.
///
/// # Example
///
/// ```
/// use modelfuse::learn::linear::RidgeCv;
///
/// // Noiseless y = 2 x + 1: the weakest penalty predicts left-out rows best.
/// let x = [0.0, 1.0, 2.0, 3.0, 4.0];
/// let y = [1.0, 3.0, 5.0, 7.0, 9.0];
/// let (fit, alpha) = RidgeCv::new().fit(&x, 1, &y)?;
/// assert_eq!(alpha, 0.1);
/// assert!((fit.coef()[0] - 2.0 * 10.0 / 10.1).abs() < 1e-12);
/// # Ok::<(), modelfuse::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeCv {
    /// The candidate penalties, in order (default `[0.1, 1, 10]`, as
    /// scikit-learn); each finite and positive.
    pub alphas: Vec<f64>,
}

impl Default for RidgeCv {
    fn default() -> Self {
        RidgeCv {
            alphas: vec![0.1, 1.0, 10.0],
        }
    }
}

impl RidgeCv {
    /// The defaults: `alphas = [0.1, 1, 10]`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the candidate penalties.
    pub fn alphas(mut self, alphas: Vec<f64>) -> Self {
        self.alphas = alphas;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] when the list is empty or an `α` is
    /// not finite and positive.
    pub fn check(&self) -> Result<()> {
        if self.alphas.is_empty() {
            return Err(Error::param("expected at least one alpha, found none"));
        }
        if let Some(a) = self.alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
            return Err(Error::param(format!(
                "expected finite positive alphas, found {a}"
            )));
        }
        Ok(())
    }

    /// The mean squared leave-one-out error of ridge (with an unpenalised
    /// intercept) for each `α`, in order; scikit-learn's `best_score_` is
    /// minus the smallest. NaN for every `α` when there are fewer than two
    /// rows.
    ///
    /// # Errors
    ///
    /// As [`RidgeCv::fit`].
    pub fn loo_errors(&self, x: &[f64], d: usize, y: &[f64]) -> Result<Vec<f64>> {
        self.check()?;
        let n = y.len();
        check_features(x, d, n)?;
        check_targets(y)?;
        if n < 2 {
            return Ok(vec![f64::NAN; self.alphas.len()]);
        }
        let ones = vec![1.0; n];
        let (xm, ym) = centres(x, d, y, &ones, true);
        let mut xc = Vec::with_capacity(n * d);
        for row in x.chunks_exact(d) {
            xc.extend(row.iter().zip(&xm).map(|(v, m)| v - m));
        }
        let yc: Vec<f64> = y.iter().map(|v| v - ym).collect();
        // Upper triangle of X_cᵀ X_c and X_cᵀ y_c, once for every α.
        let mut gram = vec![0.0; d * d];
        let mut xty = vec![0.0; d];
        for (row, &yi) in xc.chunks_exact(d).zip(&yc) {
            for j in 0..d {
                xty[j] += row[j] * yi;
                axpy(row[j], &row[j..], &mut gram[j * d + j..(j + 1) * d]);
            }
        }
        let mut errors = Vec::with_capacity(self.alphas.len());
        let mut u = vec![0.0; d * d];
        let mut z = vec![0.0; d];
        for &alpha in &self.alphas {
            u.copy_from_slice(&gram);
            for j in 0..d {
                u[j * d + j] += alpha;
            }
            cholesky_factor(&mut u, d)?;
            let mut w = xty.clone();
            forward_substitute(&u, d, &mut w);
            back_substitute(&u, d, &mut w);
            let mut sum = 0.0;
            for (row, &yi) in xc.chunks_exact(d).zip(&yc) {
                // Hᵢᵢ = 1/n + ‖U⁻ᵀ x_cᵢ‖².
                z.copy_from_slice(row);
                forward_substitute(&u, d, &mut z);
                let h = 1.0 / n as f64 + dot(&z, &z);
                let e = (yi - dot(row, &w)) / (1.0 - h);
                sum += e * e;
            }
            errors.push(sum / n as f64);
        }
        Ok(errors)
    }

    /// Chooses `α` by leave-one-out error (see [`RidgeCv`]) and fits ridge
    /// with it on all `n` rows `x` (`n × d`, row-major) and targets `y`;
    /// returns the fit and the chosen `α`.
    ///
    /// Costs `O(n d² + d³)` per candidate `α`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for invalid settings;
    /// [`ErrorKind::Shape`] when there are no rows or features or the
    /// lengths disagree; [`ErrorKind::InvalidValue`] for non-finite inputs.
    pub fn fit(&self, x: &[f64], d: usize, y: &[f64]) -> Result<(FittedLinear, f64)> {
        let errors = self.loo_errors(x, d, y)?;
        // The first smallest; NaNs (fewer than two rows) leave the first α.
        let mut best = 0;
        for (i, e) in errors.iter().enumerate() {
            if *e < errors[best] {
                best = i;
            }
        }
        let alpha = self.alphas[best];
        Ok((Ridge::new().alpha(alpha).fit(x, d, y, None)?, alpha))
    }
}

/// Least squares with non-negative coefficients and a free intercept,
/// `min Σ sᵢ (yᵢ − xᵢ·w − b)²` subject to `w ≥ 0`.
///
/// The same solution as scikit-learn's `LinearRegression(positive=True)`,
/// and computed the same way: centre with (weighted) means, scale rows by
/// `√sᵢ`, solve by [`nnls`], recover the intercept from the means. Useful
/// for stacking regressors, where a negative weight on a model is rarely
/// meant.
///
/// # Example
///
/// ```
/// use modelfuse::learn::linear::NonNegativeLeastSquares;
///
/// // y = x₀ − x₁: the negative slope is clipped to zero.
/// let x = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
/// let fit = NonNegativeLeastSquares::new().fit(&x, 2, &[0.0, 1.0, -1.0, 0.0], None)?;
/// assert_eq!(fit.coef()[1], 0.0);
/// assert!(fit.coef()[0] > 0.0);
/// # Ok::<(), modelfuse::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NonNegativeLeastSquares {
    /// Whether to fit an (unconstrained) intercept (default `true`).
    pub fit_intercept: bool,
}

impl Default for NonNegativeLeastSquares {
    fn default() -> Self {
        NonNegativeLeastSquares {
            fit_intercept: true,
        }
    }
}

impl NonNegativeLeastSquares {
    /// The default: with an intercept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets whether to fit an intercept.
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.fit_intercept = yes;
        self
    }

    /// Fits to `n` rows `x` (`n × d`, row-major) and targets `y`, optionally
    /// weighting each row.
    ///
    /// # Errors
    ///
    /// As [`Ridge::fit`] for the inputs, and as [`nnls`].
    pub fn fit(
        &self,
        x: &[f64],
        d: usize,
        y: &[f64],
        sample_weight: Option<&[f64]>,
    ) -> Result<FittedLinear> {
        let n = y.len();
        check_features(x, d, n)?;
        check_targets(y)?;
        let s = sample_weights(sample_weight, n)?;
        let (xm, ym) = centres(x, d, y, &s, self.fit_intercept);
        let mut a = Vec::with_capacity(n * d);
        let mut b = Vec::with_capacity(n);
        for (i, row) in x.chunks_exact(d).enumerate() {
            let r = s[i].sqrt();
            a.extend(row.iter().zip(&xm).map(|(v, m)| r * (v - m)));
            b.push(r * (y[i] - ym));
        }
        let (coef, _) = nnls(&a, d, &b)?;
        let intercept = if self.fit_intercept {
            ym - dot(&xm, &coef)
        } else {
            0.0
        };
        Ok(FittedLinear { coef, intercept })
    }
}

/// A fitted linear model: `ŷ = x·coef + intercept`.
///
/// Serialisable because it is saved inside a fitted fuser's JSON file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedLinear {
    coef: Vec<f64>,
    intercept: f64,
}

impl FittedLinear {
    /// One coefficient per feature.
    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    /// The intercept (`0` when none was fitted).
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The number of features it was fitted on.
    pub fn n_features(&self) -> usize {
        self.coef.len()
    }

    /// Predicts one value per row of `x` (`n × d`, row-major).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Shape`] when `d` is not the number of features fitted on
    /// or `x` is not a whole number of rows; [`ErrorKind::InvalidValue`] for
    /// non-finite features.
    pub fn predict(&self, x: &[f64], d: usize) -> Result<Vec<f64>> {
        check_predict_features(x, d, self.coef.len())?;
        Ok(x.chunks_exact(d)
            .map(|row| dot(row, &self.coef) + self.intercept)
            .collect())
    }
}

/// Solves `min ‖A x − b‖₂` subject to `x ≥ 0` for `A` of `n` rows and `d`
/// columns (row-major); returns `x` and the residual norm `‖A x − b‖₂`.
///
/// Lawson & Hanson's active-set method, the algorithm of SciPy's
/// `scipy.optimize.nnls`, so the solution is the same (it is unique when `A`
/// has full column rank; otherwise both return one of the minimisers). When
/// `n > d`, `A` is first reduced to its `d × d` QR factor, so the cost is
/// `O(n d²)` for the reduction plus `O(d³)` per active-set change.
///
/// # Errors
///
/// [`ErrorKind::Shape`] when `d` is zero, there are no rows, or `b` does not
/// have one value per row; [`ErrorKind::InvalidValue`] for non-finite
/// values, and when the active set has not settled after `3d + 10`
/// iterations (rounding trouble on a degenerate problem; SciPy raises then
/// too).
///
/// # Example
///
/// ```
/// use modelfuse::learn::linear::nnls;
///
/// // SciPy's documentation example.
/// let a = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
/// let (x, rnorm) = nnls(&a, 2, &[2.0, 1.0, 1.0])?;
/// assert!((x[0] - 1.5).abs() < 1e-15 && (x[1] - 1.0).abs() < 1e-15);
/// assert!((rnorm - 0.5f64.sqrt()).abs() < 1e-15);
/// let (x, _) = nnls(&a, 2, &[-1.0, -1.0, -1.0])?;
/// assert_eq!(x, [0.0, 0.0]);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn nnls(a: &[f64], d: usize, b: &[f64]) -> Result<(Vec<f64>, f64)> {
    let n = b.len();
    check_features(a, d, n)?;
    check_targets(b)?;
    // Column-major copy: Householder reflections and the active-set
    // subproblems work column by column, and contiguous columns make both
    // cache-friendly.
    let mut cols = vec![0.0; n * d];
    for (i, row) in a.chunks_exact(d).enumerate() {
        for j in 0..d {
            cols[j * n + i] = row[j];
        }
    }
    let mut rhs = b.to_vec();
    let (m, reduced) = if n > d {
        householder_qr(&mut cols, n, d, &mut rhs);
        let mut r = vec![0.0; d * d];
        for j in 0..d {
            r[j * d..j * d + j + 1].copy_from_slice(&cols[j * n..j * n + j + 1]);
        }
        rhs.truncate(d);
        (d, r)
    } else {
        (n, cols)
    };
    let x = lawson_hanson(&reduced, m, d, &rhs)?;
    let rnorm = a
        .chunks_exact(d)
        .zip(b)
        .map(|(row, bi)| (dot(row, &x) - bi).powi(2))
        .sum::<f64>()
        .sqrt();
    Ok((x, rnorm))
}

/// The active-set iterations on an `m × p` column-major matrix `a`.
fn lawson_hanson(a: &[f64], m: usize, p: usize, b: &[f64]) -> Result<Vec<f64>> {
    let col = |j: usize| &a[j * m..(j + 1) * m];
    // The dual w = Aᵀ(b − Ax) is the negative gradient; a component at or
    // below this level is rounding noise, not a direction of descent.
    let scale = (0..p)
        .map(|j| dot(col(j), col(j)).sqrt())
        .fold(0.0, f64::max)
        * dot(b, b).sqrt();
    let tol = 10.0 * f64::EPSILON * (m.max(p) as f64) * scale;
    let mut x = vec![0.0; p];
    let mut passive = vec![false; p];
    let mut resid = b.to_vec();
    let mut w = vec![0.0; p];
    let mut z = vec![0.0; p];
    let max_iter = 3 * p + 10;
    let mut iterations = 0;
    'outer: loop {
        for j in 0..p {
            w[j] = if passive[j] { 0.0 } else { dot(col(j), &resid) };
        }
        // A column whose least-squares coefficient comes out non-positive
        // right after it enters is rejected for this round (Lawson &
        // Hanson's guard against cycling on rounding).
        let mut rejected = vec![false; p];
        loop {
            let best = (0..p)
                .filter(|&j| !passive[j] && !rejected[j] && w[j] > tol)
                .max_by(|&i, &j| w[i].total_cmp(&w[j]));
            let Some(t) = best else { break 'outer };
            passive[t] = true;
            solve_passive(a, m, p, b, &passive, &mut z);
            if z[t] > 0.0 {
                break;
            }
            passive[t] = false;
            rejected[t] = true;
        }
        loop {
            iterations += 1;
            if iterations > max_iter {
                return Err(Error::invalid_value(format!(
                    "expected non-negative least squares to settle within {max_iter} iterations, \
                     found the active set still changing"
                )));
            }
            if (0..p).all(|j| !passive[j] || z[j] > 0.0) {
                for j in 0..p {
                    x[j] = if passive[j] { z[j] } else { 0.0 };
                }
                break;
            }
            // Move from x (feasible) towards z until the first passive
            // coefficient reaches zero, and make it active. Every passive
            // x_j is positive here, so each ratio lies in (0, 1].
            let mut alpha = f64::INFINITY;
            let mut first = 0;
            for j in 0..p {
                if passive[j] && z[j] <= 0.0 {
                    let a = x[j] / (x[j] - z[j]);
                    if a < alpha {
                        (alpha, first) = (a, j);
                    }
                }
            }
            for j in 0..p {
                if passive[j] {
                    x[j] += alpha * (z[j] - x[j]);
                }
            }
            // The one that defined alpha lands on zero only up to rounding;
            // release it exactly, with any other that rounding pushed below.
            x[first] = 0.0;
            for j in 0..p {
                if passive[j] && x[j] <= 0.0 {
                    passive[j] = false;
                    x[j] = 0.0;
                }
            }
            solve_passive(a, m, p, b, &passive, &mut z);
        }
        resid.copy_from_slice(b);
        for j in 0..p {
            if x[j] != 0.0 {
                axpy(-x[j], col(j), &mut resid);
            }
        }
    }
    Ok(x)
}

/// Unconstrained least squares on the passive columns, by Householder QR;
/// writes the solution into `z` (zero off the passive set).
fn solve_passive(a: &[f64], m: usize, p: usize, b: &[f64], passive: &[bool], z: &mut [f64]) {
    let idx: Vec<usize> = (0..p).filter(|&j| passive[j]).collect();
    let k = idx.len();
    let mut sub = Vec::with_capacity(m * k);
    for &j in &idx {
        sub.extend_from_slice(&a[j * m..(j + 1) * m]);
    }
    let mut rhs = b.to_vec();
    householder_qr(&mut sub, m, k, &mut rhs);
    z.iter_mut().for_each(|v| *v = 0.0);
    // Back substitution with R (upper triangle of the first k rows).
    let kk = k.min(m);
    let mut sol = vec![0.0; k];
    for r in (0..kk).rev() {
        let mut v = rhs[r];
        for c in r + 1..kk {
            v -= sub[c * m + r] * sol[c];
        }
        let diag = sub[r * m + r];
        sol[r] = if diag != 0.0 { v / diag } else { 0.0 };
    }
    for (s, &j) in sol.iter().zip(&idx) {
        z[j] = *s;
    }
}

/// In-place Householder QR of an `m × k` column-major matrix: leaves `R` in
/// the upper triangle and applies `Qᵀ` to `rhs`. Columns beyond the `m`-th
/// row count are left as they are.
fn householder_qr(a: &mut [f64], m: usize, k: usize, rhs: &mut [f64]) {
    let mut v = vec![0.0; m];
    for j in 0..k.min(m) {
        let (head, tail) = a.split_at_mut((j + 1) * m);
        let cj = &mut head[j * m..];
        let norm = dot(&cj[j..], &cj[j..]).sqrt();
        if norm == 0.0 {
            continue;
        }
        // Reflect onto −sign(a_jj) ‖a‖ e_j to avoid cancellation.
        let alpha = if cj[j] > 0.0 { -norm } else { norm };
        v[j..].copy_from_slice(&cj[j..]);
        v[j] -= alpha;
        let vv = dot(&v[j..], &v[j..]);
        if vv == 0.0 {
            continue;
        }
        cj[j] = alpha;
        cj[j + 1..].iter_mut().for_each(|x| *x = 0.0);
        for c in tail.chunks_exact_mut(m) {
            let f = 2.0 * dot(&v[j..], &c[j..]) / vv;
            axpy(-f, &v[j..], &mut c[j..]);
        }
        let f = 2.0 * dot(&v[j..], &rhs[j..]) / vv;
        axpy(-f, &v[j..], &mut rhs[j..]);
    }
}

/// Solves `A w = rhs` for symmetric positive definite `A` (`d × d`, only the
/// upper triangle read) by Cholesky, in place: `rhs` becomes `w`.
fn cholesky_solve(a: &mut [f64], d: usize, rhs: &mut [f64]) -> Result<()> {
    cholesky_factor(a, d)?;
    forward_substitute(a, d, rhs);
    back_substitute(a, d, rhs);
    Ok(())
}

/// Factors symmetric positive definite `A` (`d × d`, upper triangle read)
/// as `Uᵀ U` with `U` upper triangular, in place.
fn cholesky_factor(a: &mut [f64], d: usize) -> Result<()> {
    // Row by row in place.
    for j in 0..d {
        let original = a[j * d + j];
        let mut diag = original;
        for k in 0..j {
            diag -= a[k * d + j] * a[k * d + j];
        }
        // A pivot that is all cancellation means a singular system that
        // rounding made look positive; solving it would return noise.
        if diag.is_nan() || diag <= (d as f64) * f64::EPSILON * original {
            return Err(Error::invalid_value(format!(
                "expected a positive definite system, found a non-positive pivot at feature {j} \
                 (collinear features need alpha > 0)"
            )));
        }
        let ujj = diag.sqrt();
        a[j * d + j] = ujj;
        for c in j + 1..d {
            let mut v = a[j * d + c];
            for k in 0..j {
                v -= a[k * d + j] * a[k * d + c];
            }
            a[j * d + c] = v / ujj;
        }
    }
    Ok(())
}

/// Solves `Uᵀ z = rhs` in place for the factor `U` of [`cholesky_factor`].
fn forward_substitute(u: &[f64], d: usize, rhs: &mut [f64]) {
    for j in 0..d {
        let mut v = rhs[j];
        for k in 0..j {
            v -= u[k * d + j] * rhs[k];
        }
        rhs[j] = v / u[j * d + j];
    }
}

/// Solves `U w = rhs` in place for the factor `U` of [`cholesky_factor`].
fn back_substitute(u: &[f64], d: usize, rhs: &mut [f64]) {
    for j in (0..d).rev() {
        let mut v = rhs[j];
        for k in j + 1..d {
            v -= u[j * d + k] * rhs[k];
        }
        rhs[j] = v / u[j * d + j];
    }
}

/// Weighted column means of `x` and the weighted mean of `y`, or zeros
/// without an intercept (nothing to centre for).
fn centres(x: &[f64], d: usize, y: &[f64], s: &[f64], intercept: bool) -> (Vec<f64>, f64) {
    let mut xm = vec![0.0; d];
    if !intercept {
        return (xm, 0.0);
    }
    let total: f64 = s.iter().sum();
    let mut ym = 0.0;
    for (i, row) in x.chunks_exact(d).enumerate() {
        axpy(s[i], row, &mut xm);
        ym += s[i] * y[i];
    }
    xm.iter_mut().for_each(|v| *v /= total);
    (xm, ym / total)
}

/// Checks that `x` holds `n ≥ 1` rows of `d ≥ 1` finite features.
pub(crate) fn check_features(x: &[f64], d: usize, n: usize) -> Result<()> {
    if d == 0 {
        return Err(Error::shape("expected at least one feature, found 0"));
    }
    if n == 0 {
        return Err(Error::shape("expected at least one sample, found 0"));
    }
    if x.len() != n * d {
        return Err(Error::shape(format!(
            "expected {} feature values ({n} samples × {d} features), found {}",
            n * d,
            x.len()
        )));
    }
    check_finite_features(x, d)
}

/// Checks the features given to a fitted model: `d` must be the width it was
/// fitted on and `x` whole rows of finite values; returns the row count.
pub(crate) fn check_predict_features(x: &[f64], d: usize, fitted: usize) -> Result<usize> {
    if d != fitted {
        return Err(Error::shape(format!(
            "expected {fitted} features, found {d}"
        )));
    }
    if !x.len().is_multiple_of(d) {
        return Err(Error::shape(format!(
            "expected a multiple of {d} feature values (whole rows), found {}",
            x.len()
        )));
    }
    check_finite_features(x, d)?;
    Ok(x.len() / d)
}

fn check_finite_features(x: &[f64], d: usize) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(p) => Err(Error::invalid_value(format!(
            "expected finite features, found {} at row {}, column {}",
            x[p],
            p / d,
            p % d
        ))),
        None => Ok(()),
    }
}

fn check_targets(y: &[f64]) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::invalid_value(format!(
            "expected finite targets, found {} at row {i}",
            y[i]
        ))),
        None => Ok(()),
    }
}

/// Validated sample weights (ones when none are given).
pub(crate) fn sample_weights(w: Option<&[f64]>, n: usize) -> Result<Vec<f64>> {
    let Some(w) = w else {
        return Ok(vec![1.0; n]);
    };
    if w.len() != n {
        return Err(Error::shape(format!(
            "expected {n} sample weights, found {}",
            w.len()
        )));
    }
    if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(Error::new(
            ErrorKind::InvalidWeights,
            format!(
                "expected finite non-negative sample weights, found {} at row {i}",
                w[i]
            ),
        ));
    }
    let sum: f64 = w.iter().sum();
    if !(sum > 0.0 && sum.is_finite()) {
        return Err(Error::new(
            ErrorKind::InvalidWeights,
            format!("expected sample weights with a positive finite sum, found {sum}"),
        ));
    }
    Ok(w.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::rng::Rng;
    use proptest::prelude::*;

    fn random_problem(seed: u64, n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Rng::new(seed);
        let x: Vec<f64> = (0..n * d).map(|_| rng.next_f64() * 2.0 - 1.0).collect();
        let y: Vec<f64> = (0..n).map(|_| rng.next_f64() * 4.0 - 2.0).collect();
        (x, y)
    }

    /// The hat-matrix leave-one-out errors equal refitting ridge (intercept
    /// and centring included) without each row in turn.
    #[test]
    fn ridge_cv_loo_errors_equal_brute_force_refits() {
        for (seed, n, d) in [(1, 2, 1), (2, 3, 2), (3, 12, 3), (4, 40, 5), (5, 6, 8)] {
            let (x, y) = random_problem(seed, n, d);
            let cv = RidgeCv::new().alphas(vec![0.01, 0.1, 1.0, 10.0, 100.0]);
            let fast = cv.loo_errors(&x, d, &y).unwrap();
            for (k, &alpha) in cv.alphas.iter().enumerate() {
                let mut sum = 0.0;
                for i in 0..n {
                    let keep: Vec<usize> = (0..n).filter(|&r| r != i).collect();
                    let xs: Vec<f64> = keep
                        .iter()
                        .flat_map(|&r| x[r * d..(r + 1) * d].iter().copied())
                        .collect();
                    let ys: Vec<f64> = keep.iter().map(|&r| y[r]).collect();
                    let fit = Ridge::new().alpha(alpha).fit(&xs, d, &ys, None).unwrap();
                    let e = y[i] - fit.predict(&x[i * d..(i + 1) * d], d).unwrap()[0];
                    sum += e * e;
                }
                let slow = sum / n as f64;
                assert!(
                    (fast[k] - slow).abs() <= 1e-10 * slow.max(1e-300),
                    "n={n} d={d} alpha={alpha}: {} vs {slow}",
                    fast[k]
                );
            }
        }
    }

    #[test]
    fn ridge_cv_takes_the_first_of_tied_alphas_and_refits_on_all_rows() {
        let (x, y) = random_problem(9, 15, 2);
        let (fit, alpha) = RidgeCv::new()
            .alphas(vec![3.0, 1.0, 3.0])
            .fit(&x, 2, &y)
            .unwrap();
        let errors = RidgeCv::new()
            .alphas(vec![3.0, 1.0])
            .loo_errors(&x, 2, &y)
            .unwrap();
        let want = if errors[1] < errors[0] { 1.0 } else { 3.0 };
        assert_eq!(alpha, want);
        assert_eq!(fit, Ridge::new().alpha(want).fit(&x, 2, &y, None).unwrap());
        // Equal alphas tie exactly: the first wins.
        let (_, a) = RidgeCv::new()
            .alphas(vec![2.0, 2.0])
            .fit(&x, 2, &y)
            .unwrap();
        assert_eq!(a, 2.0);
        // One row: nothing to leave out, the first alpha.
        let (_, a) = RidgeCv::new().fit(&[1.0], 1, &[2.0]).unwrap();
        assert_eq!(a, 0.1);
        assert!(RidgeCv::new().alphas(vec![]).check().is_err());
        assert!(RidgeCv::new().alphas(vec![1.0, 0.0]).check().is_err());
    }

    /// The ridge normal equations, `Xcᵀ S (yc − Xc w) = α w`, hold at the
    /// solution: the gradient of the objective is zero.
    #[test]
    fn ridge_satisfies_its_normal_equations() {
        let (x, y) = random_problem(1, 40, 5);
        let s: Vec<f64> = (0..40).map(|i| (i % 4) as f64 * 0.5).collect();
        let fit = Ridge::new().alpha(3.0).fit(&x, 5, &y, Some(&s)).unwrap();
        let mut grad = vec![0.0; 5];
        let mut grad_b = 0.0;
        for (i, row) in x.chunks_exact(5).enumerate() {
            let r = y[i] - dot(row, fit.coef()) - fit.intercept();
            axpy(s[i] * r, row, &mut grad);
            grad_b += s[i] * r;
        }
        for j in 0..5 {
            assert!((grad[j] - 3.0 * fit.coef()[j]).abs() < 1e-12, "{j}");
        }
        assert!(grad_b.abs() < 1e-12);
    }

    #[test]
    fn ridge_zero_weight_equals_leaving_the_row_out() {
        let (x, y) = random_problem(2, 30, 3);
        let mut s = vec![1.0; 30];
        s[7] = 0.0;
        let weighted = Ridge::new().fit(&x, 3, &y, Some(&s)).unwrap();
        let (mut x2, mut y2) = (x.clone(), y.clone());
        x2.drain(21..24);
        y2.remove(7);
        let dropped = Ridge::new().fit(&x2, 3, &y2, None).unwrap();
        for (a, b) in weighted.coef().iter().zip(dropped.coef()) {
            assert!((a - b).abs() < 1e-13);
        }
    }

    #[test]
    fn ridge_without_penalty_on_collinear_features_fails_clearly() {
        let x = [1.0, 2.0, 2.0, 4.0, 3.0, 6.0];
        let err = Ridge::new()
            .alpha(0.0)
            .fit(&x, 2, &[1.0, 2.0, 3.0], None)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        assert!(
            err.to_string()
                .starts_with("expected a positive definite system")
        );
        assert!(
            Ridge::new()
                .alpha(1e-3)
                .fit(&x, 2, &[1.0, 2.0, 3.0], None)
                .is_ok()
        );
    }

    #[test]
    fn linear_inputs_are_validated() {
        let r = Ridge::new();
        let cases: [(Result<FittedLinear>, ErrorKind, &str); 7] = [
            (
                r.fit(&[1.0, 2.0, 3.0], 2, &[1.0, 2.0], None),
                ErrorKind::Shape,
                "expected 4 feature values (2 samples × 2 features), found 3",
            ),
            (
                r.fit(&[], 1, &[], None),
                ErrorKind::Shape,
                "expected at least one sample, found 0",
            ),
            (
                r.fit(&[1.0, f64::NAN], 1, &[1.0, 2.0], None),
                ErrorKind::InvalidValue,
                "expected finite features, found NaN at row 1, column 0",
            ),
            (
                r.fit(&[1.0, 2.0], 1, &[1.0, f64::INFINITY], None),
                ErrorKind::InvalidValue,
                "expected finite targets, found inf at row 1",
            ),
            (
                r.fit(&[1.0, 2.0], 1, &[1.0, 2.0], Some(&[1.0, -1.0])),
                ErrorKind::InvalidWeights,
                "expected finite non-negative sample weights, found -1 at row 1",
            ),
            (
                r.fit(&[1.0, 2.0], 1, &[1.0, 2.0], Some(&[0.0, 0.0])),
                ErrorKind::InvalidWeights,
                "expected sample weights with a positive finite sum, found 0",
            ),
            (
                Ridge::new().alpha(-1.0).fit(&[1.0], 1, &[1.0], None),
                ErrorKind::InvalidParameter,
                "expected a finite non-negative alpha, found -1",
            ),
        ];
        for (got, kind, msg) in cases {
            let err = got.unwrap_err();
            assert_eq!((err.kind(), err.to_string().as_str()), (kind, msg));
        }
        let fit = r.fit(&[1.0, 2.0], 1, &[1.0, 2.0], None).unwrap();
        assert_eq!(
            fit.predict(&[1.0, 2.0], 2).unwrap_err().to_string(),
            "expected 1 features, found 2"
        );
    }

    #[test]
    fn nnls_handles_wide_and_degenerate_problems() {
        // More columns than rows: no QR reduction.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let (x, r) = nnls(&a, 3, &[1.0, 2.0]).unwrap();
        assert!(x.iter().all(|&v| v >= 0.0));
        assert!(r < 1e-12, "{r}");
        // A zero column gets a zero coefficient.
        let a = [1.0, 0.0, 2.0, 0.0, 3.0, 0.0];
        let (x, _) = nnls(&a, 2, &[1.0, 2.0, 3.0]).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-15 && x[1] == 0.0, "{x:?}");
        // All-zero right-hand side.
        let (x, r) = nnls(&[1.0, 2.0, 3.0, 4.0], 2, &[0.0, 0.0]).unwrap();
        assert_eq!((x, r), (vec![0.0, 0.0], 0.0));
    }

    #[test]
    fn fitted_linear_round_trips_through_json() {
        let (x, y) = random_problem(5, 20, 3);
        let fit = NonNegativeLeastSquares::new().fit(&x, 3, &y, None).unwrap();
        let json = serde_json::to_string(&fit).unwrap();
        let back: FittedLinear = serde_json::from_str(&json).unwrap();
        for (a, b) in back.coef().iter().zip(fit.coef()) {
            assert!((a - b).abs() <= 2.0 * f64::EPSILON * b.abs(), "{a} vs {b}");
        }
        assert!(
            serde_json::from_str::<FittedLinear>(r#"{"coef":[1],"intercept":0,"x":1}"#).is_err()
        );
    }

    /// The Karush–Kuhn–Tucker conditions of `min ½‖Ax − b‖²`, `x ≥ 0`:
    /// `x ≥ 0`, `w = Aᵀ(b − Ax) ≤ 0` where `x = 0`, `w = 0` where `x > 0`.
    fn assert_kkt(
        a: &[f64],
        d: usize,
        b: &[f64],
        x: &[f64],
    ) -> std::result::Result<(), TestCaseError> {
        let mut w = vec![0.0; d];
        for (row, bi) in a.chunks_exact(d).zip(b) {
            axpy(bi - dot(row, x), row, &mut w);
        }
        let scale = 1e-9 * (1.0 + b.iter().map(|v| v.abs()).sum::<f64>());
        for j in 0..d {
            prop_assert!(x[j] >= 0.0);
            if x[j] > 0.0 {
                prop_assert!(w[j].abs() <= scale, "w[{}] = {} at x = {}", j, w[j], x[j]);
            } else {
                prop_assert!(w[j] <= scale, "w[{}] = {}", j, w[j]);
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn nnls_meets_the_kkt_conditions(seed in any::<u64>(), n in 1usize..40, d in 1usize..8) {
            let (a, b) = random_problem(seed, n, d);
            let (x, r) = nnls(&a, d, &b).unwrap();
            assert_kkt(&a, d, &b, &x)?;
            prop_assert!(r >= 0.0 && r <= dot(&b, &b).sqrt() + 1e-12);
        }

        /// Scaling the targets scales the fit: ridge is linear in `y`.
        #[test]
        fn ridge_is_linear_in_the_targets(seed in any::<u64>(), k in -5.0f64..5.0) {
            let (x, y) = random_problem(seed, 25, 4);
            let ky: Vec<f64> = y.iter().map(|v| k * v).collect();
            let a = Ridge::new().fit(&x, 4, &y, None).unwrap();
            let b = Ridge::new().fit(&x, 4, &ky, None).unwrap();
            for (p, q) in a.coef().iter().zip(b.coef()) {
                prop_assert!((k * p - q).abs() <= 1e-12 * (1.0 + q.abs()));
            }
            prop_assert!((k * a.intercept() - b.intercept()).abs() <= 1e-12 * (1.0 + b.intercept().abs()));
        }
    }
}
