//! Seeded splits of the samples: k folds for cross-validation and a single
//! held-out part.
//!
//! Every split here is a function of its inputs and its seed only, so a fusion
//! fitted by cross-validation today sees the same folds next year. Folds are
//! returned as the *test* indices of each fold, sorted ascending; the fitting
//! indices of a fold are its [`complement`].
//!
//! # How samples are dealt
//!
//! Within each class the indices are shuffled with the class's own stream of
//! the seeded [`Rng`] (`Rng::new(seed).fork(class)`), then dealt to the folds
//! round-robin like cards. Each class starts dealing at the fold where the
//! previous class stopped, so dealing all classes is the same as dealing one
//! long deck: fold sizes differ by at most one, and so does the number of
//! members of any class in any two folds.
//!
//! A class with fewer than `k` members therefore appears in fewer than `k`
//! folds (those folds' fitting parts lack it). scikit-learn's
//! `StratifiedKFold` warns in that case; we allow it silently, because the
//! callers here (fitting fusion weights) see every class through the other
//! folds and a warning from a library has nowhere to go.
//!
//! Unlike scikit-learn, which fills folds with contiguous runs of each class,
//! dealing keeps the balance exact even for tiny classes; the folds differ
//! from scikit-learn's for the same data, as they would for any other seed.

use crate::error::{Error, ErrorKind, Result};
use crate::learn::rng::Rng;

/// Splits the samples with class labels `y` into `k` stratified folds.
///
/// Returns the test indices of each fold, each list sorted; every index in
/// `0..y.len()` is in exactly one fold. Fold sizes differ by at most one,
/// and for every class the number of its members in any two folds differs by
/// at most one. The same `y`, `n_classes`, `k` and `seed` always give the
/// same folds.
///
/// # Errors
///
/// * [`ErrorKind::InvalidParameter`] when `k < 2` or `k > y.len()`.
/// * [`ErrorKind::UnknownLabel`] when a label is `>= n_classes`.
///
/// # Example
///
/// ```
/// use modelfuse::learn::folds::{complement, stratified_k_fold};
///
/// let y = [0, 0, 0, 0, 1, 1, 1, 1];
/// let folds = stratified_k_fold(&y, 2, 2, 7)?;
/// for test in &folds {
///     assert_eq!(test.len(), 4);
///     // Two of each class in every fold.
///     assert_eq!(test.iter().filter(|&&i| y[i] == 1).count(), 2);
///     assert_eq!(complement(y.len(), test).len(), 4);
/// }
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn stratified_k_fold(
    y: &[usize],
    n_classes: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<Vec<usize>>> {
    check_k(k, y.len())?;
    let members = class_members(y, n_classes, seed)?;
    let mut folds = vec![Vec::with_capacity(y.len() / k + 1); k];
    // One deck: the next card goes to the fold after the last one dealt, even
    // across classes (see the module docs).
    let mut next = 0;
    for indices in members {
        for i in indices {
            folds[next].push(i);
            next = (next + 1) % k;
        }
    }
    for fold in &mut folds {
        fold.sort_unstable();
    }
    Ok(folds)
}

/// Splits `0..n` into two seeded halves, `(a, b)`, for reports that fit on
/// one half and score on the other (NER sentences, QA questions).
///
/// The indices `0..n` are shuffled with `Rng::new(seed).shuffle`
/// (Fisher–Yates over the core's [`Rng`], so a seed means the same split in
/// every release); the first `⌈n/2⌉` shuffled indices, sorted, are half `a`,
/// the rest, sorted, half `b`. Unlike [`k_fold`] with `k = 2` (which deals
/// round-robin), this is the split the NER and QA goldens were replayed
/// with; it is kept for that.
///
/// # Example
///
/// ```
/// let (a, b) = modelfuse::learn::folds::halves(5, 0);
/// assert_eq!((a.len(), b.len()), (3, 2));
/// assert_eq!(modelfuse::learn::folds::complement(5, &a), b);
/// ```
pub fn halves(n: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    Rng::new(seed).shuffle(&mut idx);
    let mut b = idx.split_off(n.div_ceil(2));
    idx.sort_unstable();
    b.sort_unstable();
    (idx, b)
}

/// Splits `n` samples into `k` folds at random, for tasks without a single
/// class per sample (regression, multilabel).
///
/// The indices are shuffled with the seeded [`Rng`] and dealt round-robin:
/// fold sizes differ by at most one, each fold is sorted, and every index is
/// in exactly one fold. This is [`stratified_k_fold`] with one class.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`] when `k < 2` or `k > n`.
///
/// # Example
///
/// ```
/// let folds = modelfuse::learn::folds::k_fold(10, 3, 1)?;
/// let sizes: Vec<usize> = folds.iter().map(Vec::len).collect();
/// assert_eq!(sizes, [4, 3, 3]);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn k_fold(n: usize, k: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    stratified_k_fold(&vec![0; n], 1, k, seed)
}

/// Splits the samples with labels `y` into a fitting part and a held-out
/// part of about `fraction` of the samples, stratified by class.
///
/// Returns `(fit, held_out)`, both sorted. Exactly `round(fraction · n)`
/// samples are held out (rounding half away from zero), and each class
/// contributes its share up to rounding: class `c`'s held-out count is the
/// difference of the rounded cumulative shares before and after it, so it is
/// within one of `fraction · n_c` and the total is exact. Which members of a
/// class are held out is decided by the shuffle of [`stratified_k_fold`]
/// with the same seed.
///
/// # Errors
///
/// * [`ErrorKind::InvalidParameter`] when `fraction` is not strictly between
///   0 and 1, or when it would hold out no sample or every sample.
/// * [`ErrorKind::UnknownLabel`] when a label is `>= n_classes`.
///
/// # Example
///
/// ```
/// let y = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
/// let (fit, held) = modelfuse::learn::folds::stratified_holdout(&y, 2, 0.5, 3)?;
/// assert_eq!((fit.len(), held.len()), (5, 5));
/// assert_eq!(held.iter().filter(|&&i| y[i] == 1).count(), 2);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn stratified_holdout(
    y: &[usize],
    n_classes: usize,
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!("expected a held-out fraction strictly between 0 and 1, found {fraction}"),
        ));
    }
    let n = y.len();
    let total = (fraction * n as f64).round() as usize;
    if total == 0 || total == n {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!(
                "expected a held-out fraction that keeps samples on both sides, found {fraction} \
                 of {n} samples ({total} held out)"
            ),
        ));
    }
    let members = class_members(y, n_classes, seed)?;
    let (mut fit, mut held) = (Vec::with_capacity(n - total), Vec::with_capacity(total));
    // Rounding cumulative shares, not each class's own, makes the total exact
    // while no class strays more than one from its share.
    let mut seen = 0usize;
    let mut taken = 0usize;
    for indices in members {
        seen += indices.len();
        let target = (fraction * seen as f64).round() as usize;
        let here = target - taken;
        taken = target;
        held.extend_from_slice(&indices[..here]);
        fit.extend_from_slice(&indices[here..]);
    }
    fit.sort_unstable();
    held.sort_unstable();
    Ok((fit, held))
}

/// The indices in `0..n` that are not in `test`: the fitting part of a fold.
///
/// `test` need not be sorted; the result is.
///
/// # Panics
///
/// When an index in `test` is `>= n`.
///
/// # Example
///
/// ```
/// assert_eq!(modelfuse::learn::folds::complement(5, &[3, 0]), [1, 2, 4]);
/// ```
pub fn complement(n: usize, test: &[usize]) -> Vec<usize> {
    let mut in_test = vec![false; n];
    for &i in test {
        assert!(i < n, "index {i} out of range for {n} samples");
        in_test[i] = true;
    }
    (0..n).filter(|&i| !in_test[i]).collect()
}

fn check_k(k: usize, n: usize) -> Result<()> {
    if k < 2 || k > n {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!("expected a number of folds between 2 and the {n} samples, found {k}"),
        ));
    }
    Ok(())
}

/// The indices of each class, each list shuffled by the class's own stream
/// so that one class's shuffle never depends on the sizes of the others.
fn class_members(y: &[usize], n_classes: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    let mut members = vec![Vec::new(); n_classes];
    for (i, &c) in y.iter().enumerate() {
        if c >= n_classes {
            return Err(Error::new(
                ErrorKind::UnknownLabel,
                format!("expected a class index below {n_classes}, found {c} at sample {i}"),
            ));
        }
        members[c].push(i);
    }
    let rng = Rng::new(seed);
    for (c, indices) in members.iter_mut().enumerate() {
        rng.fork(c as u64).shuffle(indices);
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Fold sizes and per-class counts differ by at most one, and the folds
    /// partition `0..n` in sorted order.
    fn check_folds(y: &[usize], n_classes: usize, folds: &[Vec<usize>]) {
        let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..y.len()).collect::<Vec<_>>(), "not a partition");
        for fold in folds {
            assert!(fold.windows(2).all(|w| w[0] < w[1]), "fold not sorted");
        }
        let spread =
            |counts: Vec<usize>| counts.iter().max().unwrap() - counts.iter().min().unwrap();
        assert!(spread(folds.iter().map(Vec::len).collect()) <= 1);
        for c in 0..n_classes {
            let per_fold = folds
                .iter()
                .map(|f| f.iter().filter(|&&i| y[i] == c).count())
                .collect();
            assert!(spread(per_fold) <= 1, "class {c} unevenly spread");
        }
    }

    #[test]
    fn folds_reject_bad_k() {
        let e = k_fold(3, 1, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            e.to_string(),
            "expected a number of folds between 2 and the 3 samples, found 1"
        );
        assert_eq!(
            k_fold(3, 4, 0).unwrap_err().kind(),
            ErrorKind::InvalidParameter
        );
        assert!(k_fold(0, 2, 0).is_err());
        assert_eq!(k_fold(3, 3, 0).unwrap().len(), 3);
    }

    #[test]
    fn folds_reject_unknown_classes() {
        let e = stratified_k_fold(&[0, 2, 1], 2, 2, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownLabel);
        assert_eq!(
            e.to_string(),
            "expected a class index below 2, found 2 at sample 1"
        );
    }

    #[test]
    fn folds_allow_a_class_smaller_than_k() {
        // Class 1 has two members for five folds: it is in two folds only.
        let y = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        let folds = stratified_k_fold(&y, 2, 5, 4).unwrap();
        check_folds(&y, 2, &folds);
        let with_1 = folds
            .iter()
            .filter(|f| f.iter().any(|&i| y[i] == 1))
            .count();
        assert_eq!(with_1, 2);
    }

    #[test]
    fn folds_differ_by_seed() {
        assert_ne!(k_fold(100, 5, 1).unwrap(), k_fold(100, 5, 2).unwrap());
    }

    #[test]
    fn holdout_rejects_fractions_that_empty_a_side() {
        for f in [0.0, 1.0, -0.5, f64::NAN] {
            let e = stratified_holdout(&[0, 1, 0, 1], 2, f, 0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{f}");
        }
        let e = stratified_holdout(&[0, 1, 0, 1], 2, 0.1, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a held-out fraction that keeps samples on both sides, found 0.1 of 4 \
             samples (0 held out)"
        );
    }

    #[test]
    fn complement_is_the_rest_sorted() {
        assert_eq!(complement(4, &[]), [0, 1, 2, 3]);
        assert_eq!(complement(4, &[2, 1, 0, 3]), Vec::<usize>::new());
    }

    fn labels() -> impl Strategy<Value = (Vec<usize>, usize)> {
        (1usize..6).prop_flat_map(|c| (prop::collection::vec(0..c, 2..120), Just(c)))
    }

    proptest! {
        #[test]
        fn stratified_folds_partition_and_balance(
            (y, c) in labels(), k in 2usize..10, seed in any::<u64>()
        ) {
            prop_assume!(k <= y.len());
            let folds = stratified_k_fold(&y, c, k, seed).unwrap();
            prop_assert_eq!(folds.len(), k);
            check_folds(&y, c, &folds);
            prop_assert_eq!(&folds, &stratified_k_fold(&y, c, k, seed).unwrap());
        }

        #[test]
        fn plain_folds_partition_and_balance(n in 2usize..200, k in 2usize..12, seed in any::<u64>()) {
            prop_assume!(k <= n);
            let folds = k_fold(n, k, seed).unwrap();
            check_folds(&vec![0; n], 1, &folds);
            prop_assert_eq!(&folds, &k_fold(n, k, seed).unwrap());
        }

        #[test]
        fn holdout_partitions_with_each_class_near_its_share(
            (y, c) in labels(), fraction in 0.05f64..0.95, seed in any::<u64>()
        ) {
            let n = y.len();
            let total = (fraction * n as f64).round() as usize;
            prop_assume!(total > 0 && total < n);
            let (fit, held) = stratified_holdout(&y, c, fraction, seed).unwrap();
            prop_assert_eq!(held.len(), total);
            prop_assert_eq!(complement(n, &held), fit.clone());
            for class in 0..c {
                let n_c = y.iter().filter(|&&t| t == class).count() as f64;
                let h_c = held.iter().filter(|&&i| y[i] == class).count() as f64;
                prop_assert!((h_c - fraction * n_c).abs() <= 1.0 + 1e-9);
            }
            prop_assert_eq!((fit, held), stratified_holdout(&y, c, fraction, seed).unwrap());
        }
    }
}
