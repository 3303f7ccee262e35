//! A caller's mistake with `nn::data` (a batch size of 0, an index out of range, a fraction
//! outside `0..=1`, options that cannot describe a file) panics with a message saying what
//! was expected and what was found, reported at the caller's line (`#[track_caller]` all
//! the way down), not somewhere inside `nn-core/src/data`.
//!
//! One test in its own binary: it swaps the panic hook to record where each panic is
//! reported, which would race with other tests panicking in the same process.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use nn_core::data::{parse_csv, spiral_with, Batches, CsvOptions, Dataset, Standardizer};
use nn_core::Batch;

thread_local! {
    /// The line of the call expected to panic (set by `call!` just before the call).
    static LINE: Cell<u32> = const { Cell::new(0) };
}

/// Records its own line, then evaluates the call.
macro_rules! call {
    ($e:expr) => {{
        LINE.set(line!());
        let _ = $e;
    }};
}

/// Runs `f`, which must panic inside a `call!`, and returns the panic's message, after
/// checking that the panic is reported at that `call!`'s line in this file.
fn panic_of(seen: &Mutex<Option<(String, u32)>>, f: impl FnOnce()) -> String {
    *seen.lock().unwrap() = None;
    LINE.set(0);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let expected_line = LINE.replace(0);
    let payload = result.expect_err("expected a panic");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let (file, line) = seen.lock().unwrap().take().expect("the hook saw the panic");
    assert_eq!(
        (file.as_str(), line),
        (file!(), expected_line),
        "`{msg}` is reported in {file}:{line}, not at the caller"
    );
    msg
}

#[test]
fn data_panics_name_expected_and_found_at_the_callers_line() {
    let seen = Arc::new(Mutex::new(None::<(String, u32)>));
    let hook_seen = Arc::clone(&seen);
    // Panics inside a `call!` are recorded; any other (a failed assertion) is reported as usual.
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| match info.location() {
        Some(l) if LINE.get() != 0 => *hook_seen.lock().unwrap() = Some((l.file().to_string(), l.line())),
        _ => previous(info),
    }));

    let data = spiral_with::<f32>(7, 3, 1); // 21 samples, 3 classes
    let mut cases: Vec<(String, &str)> = Vec::new();
    let mut case = |expected: &'static str, f: &mut dyn FnMut()| {
        cases.push((panic_of(&seen, f), expected));
    };
    case("Batches::new: expected a batch size of at least 1, got 0", &mut || {
        call!(Batches::<f32, 2>::new(21, 0, 0))
    });
    case(
        "Batches::get: expected a batch index below 5 (21 samples in batches of 5), got 7",
        &mut || {
            let mut b = Batches::new(data.len(), 5, 0);
            call!(b.get(&data, 7))
        },
    );
    case(
        "Batches::get_in_place: expected a data set of 20 samples (what these batches were built for), got one of 21",
        &mut || {
            let mut b = Batches::new(20, 5, 0);
            call!(b.get_in_place(&data, 0).1.len())
        },
    );
    case(
        "Batches::indices: expected a batch index below 4 (21 samples in batches of 5, the last short one dropped), got 4",
        &mut || {
            let b = Batches::<f32, 2>::new(21, 5, 0).drop_last(true);
            call!(b.indices(4).len())
        },
    );
    case(
        "Dataset::split: expected a test fraction in 0..=1, got -0.1",
        &mut || call!(data.split(-0.1, 0)),
    );
    case(
        "Dataset::stratified_split: expected a test fraction in 0..=1, got inf",
        &mut || call!(data.stratified_split(f64::INFINITY, 0)),
    );
    case(
        "Dataset::select: expected sample indices below 21, got 99 (at position 0)",
        &mut || call!(data.select(&[99])),
    );
    case("Dataset::sample: expected a sample index below 21, got 21", &mut || {
        call!(data.sample(21).len())
    });
    case("Standardizer::fit: expected at least 1 sample, got 0", &mut || {
        call!(Standardizer::fit(&Batch::<f64, 2>::zeros(0)))
    });
    case(
        "Standardizer::apply: expected whole samples of 2 values (a length that is a multiple of 2), got 3 values",
        &mut || {
            let s = Standardizer::fit(data.x());
            call!(s.apply(&mut [0.0; 3]))
        },
    );
    case(
        "CsvOptions: expected the number of classes (at least 1), got 0",
        &mut || call!(CsvOptions::classes(0)),
    );
    case(
        "CsvOptions: expected a label column index below 3 (a row has 2 features and a label), got 5",
        &mut || {
            let opts = CsvOptions::classes(3).label_column_index(5);
            call!(parse_csv::<f32, 2>("1,2,0\n", "f.csv", opts))
        },
    );
    case(
        "CsvOptions: the label column is named (`y`), which needs a header line, but `header` is false",
        &mut || {
            let opts = CsvOptions::classes(3).label_column("y").header(false);
            call!(nn_core::data::load_csv::<f32, 2>("never-read.csv", opts))
        },
    );
    case(
        "CsvOptions: expected the number of classes (at least 1) in `classes`, got 0",
        &mut || {
            let opts = CsvOptions {
                classes: 0,
                ..CsvOptions::classes(2)
            };
            call!(parse_csv::<f32, 2>("1,2,0\n", "f.csv", opts))
        },
    );
    case(
        "Dataset::select: expected sample indices below 21, got 21 (at position 1)",
        &mut || {
            let d: &Dataset<f32, 2> = &data;
            call!(d.select(&[0, 21]))
        },
    );
    drop(panic::take_hook());
    assert_eq!(cases.len(), 15);
    for (msg, expected) in &cases {
        assert_eq!(msg, expected);
    }
}
