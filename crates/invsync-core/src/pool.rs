//! Per-thread spare buffers, so planning item after item allocates nothing in the steady
//! state. [`take`] and [`take_len`] hand out a [`Buf`], which goes back to this thread's
//! pool when it is dropped.

use std::cell::RefCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

/// More spare buffers of one type than one plan uses at once are dropped.
const MAX_SPARE: usize = 16;

thread_local! {
    static SPARE_F64: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
    static SPARE_U32: RefCell<Vec<Vec<u32>>> = const { RefCell::new(Vec::new()) };
    static SPARE_FLOW: RefCell<Vec<Vec<(f64, f64, bool)>>> = const { RefCell::new(Vec::new()) };
}

/// An element type with a per-thread pool.
pub(crate) trait Pooled: Sized + 'static {
    fn spares() -> &'static LocalKey<RefCell<Vec<Vec<Self>>>>;
}

impl Pooled for f64 {
    fn spares() -> &'static LocalKey<RefCell<Vec<Vec<f64>>>> {
        &SPARE_F64
    }
}

impl Pooled for u32 {
    fn spares() -> &'static LocalKey<RefCell<Vec<Vec<u32>>>> {
        &SPARE_U32
    }
}

impl Pooled for (f64, f64, bool) {
    fn spares() -> &'static LocalKey<RefCell<Vec<Vec<(f64, f64, bool)>>>> {
        &SPARE_FLOW
    }
}

/// A `Vec` from this thread's pool; dropping it gives it back.
pub(crate) struct Buf<T: Pooled>(Vec<T>);

impl<T: Pooled> Deref for Buf<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Pooled> DerefMut for Buf<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<'a, T: Pooled> IntoIterator for &'a Buf<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Pooled> Drop for Buf<T> {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.capacity() > 0 {
            // During thread teardown the pool may be gone: the buffer is then just freed.
            let _ = T::spares().try_with(|p| {
                if let Ok(mut p) = p.try_borrow_mut()
                    && p.len() < MAX_SPARE
                {
                    p.push(v);
                }
            });
        }
    }
}

impl<T: Pooled + Clone> Clone for Buf<T> {
    fn clone(&self) -> Self {
        Buf(self.0.clone())
    }
}

impl<T: Pooled + fmt::Debug> fmt::Debug for Buf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Runs `f` with this thread's value behind `key`, or with a fresh one on a re-entrant call
/// (the thread's value is then in use).
pub(crate) fn with_local<T: Default + 'static, U>(
    key: &'static LocalKey<RefCell<T>>,
    f: impl FnOnce(&mut T) -> U,
) -> U {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut value) => f(&mut value),
        Err(_) => f(&mut T::default()),
    })
}

/// The spare with the smallest capacity that holds `n` elements, else the largest (to be
/// grown): a small spare is not grown for a large need while a large one waits, so once
/// every size has been seen, taking allocates nothing, whatever the order of takes.
fn best_fit<T: Pooled>(n: usize) -> Vec<T> {
    let spare = T::spares()
        .try_with(|p| {
            let mut p = p.try_borrow_mut().ok()?;
            let fits = (0..p.len()).filter(|&i| p[i].capacity() >= n).min_by_key(|&i| p[i].capacity());
            let pick = fits.or_else(|| (0..p.len()).max_by_key(|&i| p[i].capacity()))?;
            Some(p.swap_remove(pick))
        })
        .ok()
        .flatten();
    spare.unwrap_or_default()
}

/// An empty buffer with room for `cap` elements.
pub(crate) fn take<T: Pooled>(cap: usize) -> Buf<T> {
    let mut v = best_fit(cap);
    v.clear();
    v.reserve(cap);
    Buf(v)
}

/// A buffer of `len` elements whose contents are unspecified (whatever a spare held, zeros
/// past that): for a caller that writes every element, so a reused buffer is not zeroed
/// first.
pub(crate) fn take_len<T: Pooled + Copy + Default>(len: usize) -> Buf<T> {
    let mut v = best_fit(len);
    v.truncate(len);
    v.resize(len, T::default());
    Buf(v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dropped_buffer_is_taken_again() {
        let mut a = super::take::<u32>(1000);
        a.extend(0..1000);
        let ptr = a.as_ptr();
        drop(a);
        let b = super::take::<u32>(10);
        assert_eq!(b.as_ptr(), ptr, "the spare is reused");
        assert!(b.is_empty() && b.capacity() >= 1000);
        let c = super::take_len::<u32>(5);
        assert_eq!(c.len(), 5);
    }
}
