//! Work made by several threads, used in order by one: the engine parses migrations in
//! parallel and replays them one by one (the replay is sequential: each migration sees the
//! schema the ones before it left).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Calls `each(i, make(i))` for `i` in `0..n`, in order, on this thread, while `threads - 1`
/// threads of the current rayon pool call `make` for the next items, at most `window` items
/// ahead of `each` (what is made and not yet used stays in memory). Nothing waits for a whole
/// batch: an item that takes long to make holds up only its own use, and this thread makes
/// the next items itself while it waits. A panic in `make` or `each` is raised here, after
/// the other threads stopped (never a hang).
pub fn in_order<T: Send>(
    n: usize,
    threads: usize,
    window: usize,
    make: impl Fn(usize) -> T + Sync,
    mut each: impl FnMut(usize, T),
) {
    let queue = Queue::new(n, window.max(1));
    rayon::in_place_scope(|scope| {
        for _ in 1..threads.max(1).min(n) {
            scope.spawn(|_| queue.make_ahead(&make));
        }
        let _done = Done(&queue);
        for i in 0..n {
            let item = queue.take(i, &make);
            each(i, item);
        }
    });
}

struct Queue<T> {
    window: usize,
    /// The next item to make.
    next: AtomicUsize,
    state: Mutex<State<T>>,
    /// An item was made (or a making thread failed): for the user.
    made: Condvar,
    /// The user moved on (or stopped): for making threads waiting for the window.
    moved: Condvar,
}

struct State<T> {
    /// Items made and not yet used (`None`: not made yet, or already taken).
    slots: Vec<Option<T>>,
    /// The item the user is at: making stays within `window` of it.
    at: usize,
    /// The item the user waits for, if it waits (a wake-up is a system call: only then).
    wanted: Option<usize>,
    /// Making threads waiting for the window to move, and the position at which the first
    /// of them goes on (half a window later: a wake-up per item costs more than making
    /// small items).
    parked: usize,
    resume_at: usize,
    /// The user stopped (finished, or panicked): making threads stop too.
    done: bool,
    /// A making thread panicked: the user makes what it did not deliver itself.
    failed: bool,
}

impl<T> Queue<T> {
    fn new(n: usize, window: usize) -> Queue<T> {
        Queue {
            window,
            next: AtomicUsize::new(0),
            state: Mutex::new(State {
                slots: (0..n).map(|_| None).collect(),
                at: 0,
                wanted: None,
                parked: 0,
                resume_at: usize::MAX,
                done: false,
                failed: false,
            }),
            made: Condvar::new(),
            moved: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // the lock is never held while making or using an item: a panic elsewhere leaves the
        // state consistent
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the next item to make, if one is left before `limit`.
    fn claim(&self, limit: usize) -> Option<usize> {
        self.next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
                (i < limit).then_some(i + 1)
            })
            .ok()
    }

    fn deliver(&self, i: usize, item: T) {
        let mut st = self.lock();
        if let Some(slot) = st.slots.get_mut(i) {
            *slot = Some(item);
        }
        if st.wanted == Some(i) {
            self.made.notify_one();
        }
    }

    /// A making thread: items in order until none is left, at most a window ahead.
    fn make_ahead(&self, make: &impl Fn(usize) -> T) {
        let _failed = Failed(self);
        let n = self.lock().slots.len();
        while let Some(i) = self.claim(n) {
            let mut st = self.lock();
            if i >= st.at + self.window {
                // on again when the window is half free (then `i` is inside it)
                let resume = i + 1 - self.window.div_ceil(2);
                while !st.done && st.at < resume {
                    st.parked += 1;
                    st.resume_at = st.resume_at.min(resume);
                    st = self.moved.wait(st).unwrap_or_else(|e| e.into_inner());
                    st.parked -= 1;
                }
            }
            if st.done {
                return;
            }
            drop(st);
            self.deliver(i, make(i));
        }
    }

    /// Item `i` (the items before it were taken): waits for it, making the next unclaimed
    /// items (within the window) while it is not there.
    fn take(&self, i: usize, make: &impl Fn(usize) -> T) -> T {
        let mut st = self.lock();
        st.at = i;
        if st.parked > 0 && i >= st.resume_at {
            st.resume_at = usize::MAX;
            self.moved.notify_all();
        }
        let limit = st.slots.len().min(i.saturating_add(self.window));
        loop {
            if let Some(item) = st.slots.get_mut(i).and_then(Option::take) {
                return item;
            }
            if st.failed {
                drop(st);
                return make(i);
            }
            drop(st);
            match self.claim(limit) {
                Some(j) => {
                    let item = make(j);
                    if j == i {
                        return item;
                    }
                    self.deliver(j, item);
                    st = self.lock();
                }
                None => {
                    st = self.lock();
                    st.wanted = Some(i);
                    while st.slots.get(i).is_some_and(Option::is_none) && !st.failed {
                        st = self.made.wait(st).unwrap_or_else(|e| e.into_inner());
                    }
                    st.wanted = None;
                }
            }
        }
    }
}

/// Tells the user a making thread panicked (it then makes the claimed item itself).
struct Failed<'a, T>(&'a Queue<T>);

impl<T> Drop for Failed<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().failed = true;
            self.0.made.notify_all();
        }
    }
}

/// Stops the making threads when the user ends (finished, or panicked).
struct Done<'a, T>(&'a Queue<T>);

impl<T> Drop for Done<'_, T> {
    fn drop(&mut self) {
        self.0.lock().done = true;
        self.0.moved.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
    }

    /// Every item once, in order, made within the window, for items of uneven cost.
    #[test]
    fn in_order_within_the_window() {
        for (threads, window, n) in [
            (1, 4, 50),
            (2, 4, 200),
            (4, 3, 300),
            (3, 1, 40),
            (4, 512, 0),
        ] {
            let at = AtomicUsize::new(0);
            let made = AtomicUsize::new(0);
            let mut seen = Vec::new();
            pool(threads).install(|| {
                in_order(
                    n,
                    threads,
                    window,
                    |i| {
                        assert!(i < at.load(Ordering::SeqCst) + window, "made {i} too early");
                        made.fetch_add(1, Ordering::SeqCst);
                        // some items take far longer than others
                        if i % 7 == 0 {
                            std::thread::sleep(std::time::Duration::from_micros(300));
                        }
                        i * 10
                    },
                    |i, item| {
                        assert_eq!(item, i * 10);
                        seen.push(i);
                        at.store(i + 1, Ordering::SeqCst);
                    },
                )
            });
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            assert_eq!(made.load(Ordering::SeqCst), n, "each item made once");
        }
    }

    /// A panic while making an item on another thread is raised to the caller, after the
    /// items were used in order (the user makes the lost one itself): no hang.
    #[test]
    fn a_panic_while_making_is_raised_not_hung() {
        let user = std::thread::current().id();
        let panicked = AtomicBool::new(false);
        let mut seen = Vec::new();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool(2).install(|| {
                in_order(
                    100,
                    2,
                    8,
                    |i| {
                        if i == 37
                            && std::thread::current().id() != user
                            && !panicked.swap(true, Ordering::SeqCst)
                        {
                            panic!("making item 37");
                        }
                        i
                    },
                    // a slow user: the other thread runs ahead and makes item 37
                    |i, _| {
                        seen.push(i);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    },
                )
            })
        }));
        assert_eq!(result.is_err(), panicked.load(Ordering::SeqCst));
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }

    /// A panic while using an item stops the making threads (they may wait for the window).
    #[test]
    fn a_panic_while_using_stops_the_makers() {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool(3)
                .install(|| in_order(1000, 3, 4, |i| i, |i, _| assert!(i < 10, "using item {i}")))
        }));
        assert!(result.is_err());
    }
}
