//! The small quadratic programme over the simplex that each Newton step
//! solves (an active-set method with Cholesky factorisations).

use super::*;

/// Minimises the quadratic model `gᵀd + ½ dᵀHd` over steps `d` that keep
/// `x = w + d` on the simplex, by the primal active-set method (Nocedal &
/// Wright, *Numerical Optimization*, Algorithm 16.3): keep a set of
/// coordinates fixed at zero, minimise exactly over the others with the sum
/// constraint, step towards that minimiser until a coordinate hits zero, and
/// free the fixed coordinate whose multiplier is most negative when none
/// does. Each step solves a small linear system by Cholesky; the programmes
/// here have one variable per model in play, so this is cheap next to
/// building `H`. Working with the step rather than the point keeps the
/// model's gradient `g + H(x − w)` free of cancellation, so multipliers are
/// accurate to rounding and the duality gap can be driven to ~1e-15.
pub(super) struct SimplexQp {
    fixed: Vec<bool>,
    idx: Vec<usize>,
    chol: Vec<f64>,
    ones: Vec<f64>,
    rhs: Vec<f64>,
    grad: Vec<f64>,
    step: Vec<f64>,
}

impl SimplexQp {
    pub(super) fn new(m: usize) -> Self {
        SimplexQp {
            fixed: vec![false; m],
            idx: Vec::with_capacity(m),
            chol: vec![0.0; m * m],
            ones: vec![0.0; m],
            rhs: vec![0.0; m],
            grad: vec![0.0; m],
            step: vec![0.0; m],
        }
    }

    /// `h` is `n × n` row-major (positive semi-definite), `w` the current
    /// point on the simplex; `x` receives the minimiser (or the last iterate
    /// if the step budget runs out: each step lowers the model, so it is
    /// never worse than `w`).
    pub(super) fn solve(&mut self, h: &[f64], g: &[f64], w: &[f64], x: &mut [f64]) {
        let n = x.len();
        let max_diag = (0..n).map(|i| h[i * n + i]).fold(0.0, f64::max);
        let tiny = 1e-15 * g.iter().fold(1.0, |a: f64, v| a.max(v.abs()));
        x.copy_from_slice(w);
        for (fixed, &xi) in self.fixed[..n].iter_mut().zip(x.iter()) {
            *fixed = xi <= 0.0;
        }
        for _ in 0..5 * n + 20 {
            // The model's gradient at x.
            for (s, (&xi, &wi)) in self.step[..n].iter_mut().zip(x.iter().zip(w)) {
                *s = xi - wi;
            }
            for i in 0..n {
                self.grad[i] = g[i] + dot(&h[i * n..(i + 1) * n], &self.step[..n]);
            }
            self.idx.clear();
            self.idx.extend((0..n).filter(|&i| !self.fixed[i]));
            let nf = self.idx.len();
            // The step p over the free coordinates to the minimiser with
            // Σ x = 1: H p + grad = ν·1, so p = ν H⁻¹1 − H⁻¹grad, with ν
            // fixing the sum (and absorbing any rounding drift in Σ x).
            self.factor(h, n, max_diag);
            let (l, ones, rhs) = (&self.chol[..nf * nf], &mut self.ones, &mut self.rhs);
            ones[..nf].fill(1.0);
            cholesky_solve(l, nf, &mut ones[..nf]);
            for (r, &i) in rhs.iter_mut().zip(&self.idx) {
                *r = self.grad[i];
            }
            cholesky_solve(l, nf, &mut rhs[..nf]);
            let drift = 1.0 - self.idx.iter().map(|&i| x[i]).sum::<f64>();
            let nu = (drift + rhs[..nf].iter().sum::<f64>()) / ones[..nf].iter().sum::<f64>();
            // Step towards it, as far as feasibility allows.
            let mut length = 1.0;
            let mut blocking = None;
            for (a, &i) in self.idx.iter().enumerate() {
                let p = nu * ones[a] - rhs[a];
                if p < 0.0 && x[i] < -length * p {
                    length = x[i] / -p;
                    blocking = Some(i);
                }
            }
            for (a, &i) in self.idx.iter().enumerate() {
                x[i] = (x[i] + length * (nu * ones[a] - rhs[a])).max(0.0);
            }
            if let Some(i) = blocking {
                x[i] = 0.0;
                self.fixed[i] = true;
                continue;
            }
            // At the minimiser for this fixed set: free the coordinate whose
            // multiplier grad_i − ν is most negative, or stop. ν here is the
            // gradient on the free coordinates, which the full step equalised.
            for (s, (&xi, &wi)) in self.step[..n].iter_mut().zip(x.iter().zip(w)) {
                *s = xi - wi;
            }
            let mut release = None;
            let mut most = -tiny;
            let mut level = 0.0;
            for &i in &self.idx {
                level += g[i] + dot(&h[i * n..(i + 1) * n], &self.step[..n]);
            }
            level /= nf as f64;
            for i in (0..n).filter(|&i| self.fixed[i]) {
                let multiplier = g[i] + dot(&h[i * n..(i + 1) * n], &self.step[..n]) - level;
                if multiplier < most {
                    most = multiplier;
                    release = Some(i);
                }
            }
            match release {
                Some(i) => self.fixed[i] = false,
                None => return,
            }
        }
    }

    /// Cholesky factor of `H` restricted to the free coordinates, plus a
    /// small ridge: it keeps the factor defined when `H` is singular (two
    /// identical models), splitting weight evenly between such models, and
    /// grows if rounding still breaks positive definiteness.
    pub(super) fn factor(&mut self, h: &[f64], n: usize, max_diag: f64) {
        let nf = self.idx.len();
        let mut ridge = 1e-10 * max_diag + 1e-30;
        loop {
            for (a, &i) in self.idx.iter().enumerate() {
                for (b, &j) in self.idx.iter().enumerate() {
                    self.chol[a * nf + b] = h[i * n + j];
                }
                self.chol[a * nf + a] += ridge;
            }
            if cholesky(&mut self.chol[..nf * nf], nf) {
                return;
            }
            ridge *= 100.0;
        }
    }
}

/// In-place Cholesky factorisation `A = L Lᵀ` of a row-major `n × n`
/// matrix (lower triangle); false when `A` is not positive definite.
pub(super) fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let d = a[j * n + j] - dot(&a[j * n..j * n + j], &a[j * n..j * n + j]);
        if !(d.is_finite() && d > 0.0) {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let s = a[i * n + j] - dot(&a[i * n..i * n + j], &a[j * n..j * n + j]);
            a[i * n + j] = s / d;
        }
    }
    true
}

/// Solves `L Lᵀ x = b` in place, given the factor from [`cholesky`].
pub(super) fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s = b[i] - dot(&l[i * n..i * n + i], &b[..i]);
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}
