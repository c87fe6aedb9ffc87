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
    n: usize,
    /// The next item to make.
    next: AtomicUsize,
    state: Mutex<State<T>>,
    /// An item was made (or a making thread failed): for the user.
    made: Condvar,
    /// The user moved on (or stopped): for making threads waiting for the window.
    moved: Condvar,
}

struct State<T> {
    /// Items made and not yet used, item `i` at `i % slots.len()`: every item made lies
    /// within the window from the user's position (`at..at + window`), so no two share a slot
    /// (`None`: not made yet, or already taken).
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
    /// Items a making thread panicked on: the user makes them itself.
    lost: Vec<usize>,
}

impl<T> State<T> {
    fn slot(&mut self, i: usize) -> Option<&mut Option<T>> {
        let len = self.slots.len();
        self.slots.get_mut(i % len.max(1))
    }
}

impl<T> Queue<T> {
    fn new(n: usize, window: usize) -> Queue<T> {
        Queue {
            window,
            n,
            next: AtomicUsize::new(0),
            state: Mutex::new(State {
                slots: (0..window.min(n).max(1)).map(|_| None).collect(),
                at: 0,
                wanted: None,
                parked: 0,
                resume_at: usize::MAX,
                done: false,
                lost: Vec::new(),
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
        if let Some(slot) = st.slot(i) {
            *slot = Some(item);
        }
        if st.wanted == Some(i) {
            self.made.notify_one();
        }
    }

    /// A making thread: items in order until none is left, at most a window ahead.
    fn make_ahead(&self, make: &impl Fn(usize) -> T) {
        let making = Making {
            queue: self,
            item: std::cell::Cell::new(None),
        };
        while let Some(i) = self.claim(self.n) {
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
            making.item.set(Some(i));
            let item = make(i);
            making.item.set(None);
            self.deliver(i, item);
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
        let limit = self.n.min(i.saturating_add(self.window));
        loop {
            if let Some(item) = st.slot(i).and_then(Option::take) {
                return item;
            }
            if let Some(k) = st.lost.iter().position(|&l| l == i) {
                st.lost.swap_remove(k);
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
                    while st.slot(i).is_some_and(|s| s.is_none()) && !st.lost.contains(&i) {
                        st = self.made.wait(st).unwrap_or_else(|e| e.into_inner());
                    }
                    st.wanted = None;
                }
            }
        }
    }
}

/// The item a making thread is making: on a panic the user is told, and makes it itself.
struct Making<'a, T> {
    queue: &'a Queue<T>,
    item: std::cell::Cell<Option<usize>>,
}

impl<T> Drop for Making<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(i) = self.item.get()
        {
            self.queue.lock().lost.push(i);
            self.queue.made.notify_all();
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
        let times: Vec<AtomicUsize> = (0..100).map(|_| AtomicUsize::new(0)).collect();
        let mut seen = Vec::new();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool(2).install(|| {
                in_order(
                    100,
                    2,
                    8,
                    |i| {
                        times[i].fetch_add(1, Ordering::SeqCst);
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
        // each item made once; the lost one a second time, by the user
        let lost = usize::from(panicked.load(Ordering::SeqCst));
        for (i, t) in times.iter().enumerate() {
            assert_eq!(
                t.load(Ordering::SeqCst),
                1 + usize::from(i == 37) * lost,
                "item {i}"
            );
        }
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
