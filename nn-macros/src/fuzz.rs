//! A deterministic fuzz loop over the macro's parse → check → generate stages, run as a
//! unit test (a proc-macro crate cannot be linked by a `cargo fuzz` target, but its
//! functions run outside a macro on `proc_macro2`'s fallback tokens).
//!
//! Inputs are mutations of a corpus of valid and invalid network bodies: tokens dropped,
//! duplicated, swapped, inserted from a dictionary of the macro's vocabulary, and numbers
//! replaced by 0, 1, huge values and random ones. Each case must not panic, and every error
//! must be spanned inside the input (not at the call site: `proc_macro2`'s
//! `span-locations` feature, on for the tests, tells the two apart). A valid model is also
//! generated, so the code generation is covered too.
//!
//! `NN_FUZZ_CASES` (default 100,000) and `NN_FUZZ_SEED` (default 0) change the run.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Valid and invalid bodies (the inside of `network! { ... }`).
const CORPUS: &[&str] = &[
    "pub struct Net { input: 2, affine1: Affine(10), sigmoid: Sigmoid, affine2: Affine(3), loss: SoftmaxWithLoss }",
    "#[derive(Clone)] pub(crate) struct Net { input: 784, fc1: Affine(100), r: Relu, fc2: Affine(100 -> 10), loss: SoftmaxWithLoss }",
    "struct Net { input: 4, a: MatMul(3), t: Tanh, s: Softmax }",
    "pub struct Net { input: 2, a: Affine(1), loss: SigmoidWithLoss }",
    "pub struct Net { input: 3, a: Affine(2), loss: MeanSquaredError, }",
    "pub struct Net { input: 2, s: crate::layers::Swish, p: crate::Project(0.5, 2) -> 16, q: self::Scale(2.0), loss: SoftmaxWithLoss }",
    "pub struct Net { input: 2, a: nn::Affine(3), b: ::nn::layers::Relu, loss: nn::SoftmaxWithLoss }",
    "#[nn(crate = ::nn, f64_alias = Double)] pub struct Net { input: 2, a: Affine(3) }",
    "/// Doc.\n pub struct Net { /// Entry doc.\n input: 2, /// More.\n a: Affine(3) }",
    "pub struct Net { input: 5000000000, a: Affine(5000000000) }",
    "pub struct Net { input: 1, a: MatMul(10000000000000000000), act: Relu, b: MatMul(1) }",
    "pub struct Net { input: 2, a: Affine(18446744073709551615), b: Affine(18446744073709551615) }",
    "pub struct Net { input: 0, a: Sigmod, a: Affine(), loss: SoftmaxWithLoss, b: Relu }",
    "pub struct Net { input: 2 a: Affine(3), b: Relu }",
    "pub struct Net { input: , a: Affine(3) }",
    "pub struct Net { input: 2, a: Affine(2 ->) }",
    "pub struct Net { input: 2, a: crate::Foo<f32, 3>, b: Affine(3) }",
    "pub struct Net { input: 2, #[cfg(test)] a: Affine(3), b: Relu }",
    "pub struct Net { input: 2, a: Affine(3), //! inner\n b: Relu }",
    "pub struct T { input: 2, a: Affine(3) }",
    "pub struct Net<T> { input: 2, a: Relu }",
    "pub struct Net { input: 2.5, a: Affine(-3), b: Affine(10, 3), c: Relu -> 4, d: Sigmoid(3) }",
    "pub struct Net { input: 2, loss: SoftmaxWithLoss, a: Affine(3), loss2: MeanSquaredError }",
    "pub struct Net { a: Affine(3), input: 2 }",
    "pub struct Net { input: 2u8, a: Affine(N), b: Affine(2 + 3), c: Affine(4 -> 3 -> 2) }",
    "pub struct Net { input: 2, x: crate::Foo -> , y: crate::Bar(,) }",
    "enum Net { A }",
    "pub struct Net",
    "pub struct Net { input: 2, a: Affine(3) } extra",
];

/// Tokens the mutations insert.
const DICTIONARY: &[&str] = &[
    "input",
    ":",
    ",",
    "::",
    "->",
    "-",
    "+",
    "<",
    ">",
    "=",
    "#",
    "!",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "Affine",
    "MatMul",
    "Sigmoid",
    "Tanh",
    "Relu",
    "Softmax",
    "SoftmaxWithLoss",
    "SigmoidWithLoss",
    "MeanSquaredError",
    "crate",
    "self",
    "nn",
    "layers",
    "cfg",
    "doc",
    "derive",
    "struct",
    "pub",
    "T",
    "f32",
    "usize",
    "a",
    "b",
    "loss",
    "r#input",
    "r#a",
    "\"text\"",
    "2.5",
    "'a",
    "_",
    "0",
    "1",
    "3",
    "18446744073709551615",
    "18446744073709551616",
    "5000000000",
    "10000000000000000000",
    "/// doc\n",
    "//! inner\n",
];

/// Numbers a literal is replaced by.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4294967296",
    "5000000000",
    "9223372036854775807",
    "9223372036854775808",
    "10000000000000000000",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "1usize",
    "1u8",
    "0x10",
    "1_000",
];

/// The input as a flat list of source pieces: tokens (joint punctuation kept together, so
/// `->` and `::` survive), with each group's delimiters as pieces of their own.
fn atoms(tokens: TokenStream, out: &mut Vec<String>) {
    let mut joint = String::new();
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push(open.to_string());
                atoms(g.stream(), out);
                out.push(close.to_string());
            }
            TokenTree::Punct(p) => {
                joint.push(p.as_char());
                if p.spacing() == proc_macro2::Spacing::Alone {
                    out.push(std::mem::take(&mut joint));
                }
            }
            other => out.push(other.to_string()),
        }
    }
    if !joint.is_empty() {
        out.push(joint);
    }
}

/// One random mutation of `a`.
fn mutate(a: &mut Vec<String>, rng: &mut ChaCha8Rng) {
    let pick = |rng: &mut ChaCha8Rng, list: &[&str]| list[rng.random_range(0..list.len())].to_string();
    if a.is_empty() {
        a.push(pick(rng, DICTIONARY));
        return;
    }
    let i = rng.random_range(0..a.len());
    match rng.random_range(0..6) {
        0 => {
            a.remove(i);
        }
        1 => {
            let t = a[i].clone();
            a.insert(i, t);
        }
        2 => {
            let j = rng.random_range(0..a.len());
            a.swap(i, j);
        }
        3 => a.insert(i, pick(rng, DICTIONARY)),
        4 => {
            // A number: replace one literal (or any token) by an edge-case number.
            let numbers: Vec<usize> = (0..a.len())
                .filter(|&k| a[k].starts_with(|c: char| c.is_ascii_digit()))
                .collect();
            let k = if numbers.is_empty() {
                i
            } else {
                numbers[rng.random_range(0..numbers.len())]
            };
            a[k] = if rng.random_bool(0.5) {
                pick(rng, NUMBERS)
            } else {
                rng.random::<u64>().to_string()
            };
        }
        _ => a[i] = pick(rng, DICTIONARY),
    }
}

/// What one case was.
enum Case {
    /// Did not tokenize (unbalanced delimiters): rustc would not call the macro.
    Untokenizable,
    /// A valid network, generated.
    Valid,
    /// Rejected, every error spanned in the input.
    Rejected,
}

/// Runs one case; an error message on a failed check.
fn run_case(source: &str, facade: &syn::Path) -> Result<Case, String> {
    let Ok(tokens) = source.parse::<TokenStream>() else {
        return Ok(Case::Untokenizable);
    };
    let has_tokens = !tokens.is_empty();
    let checked = crate::ast::parse(tokens).and_then(|input| crate::validate::validate(input, facade));
    match checked {
        Ok(model) => {
            let _ = crate::expand::generate_for(&model);
            Ok(Case::Valid)
        }
        Err(errors) => {
            for e in errors {
                if has_tokens && e.span().source_text().is_none() {
                    return Err(format!("error at the call site, not in the input: {e}"));
                }
            }
            Ok(Case::Rejected)
        }
    }
}

#[test]
fn fuzz_parse_validate_generate() {
    let cases: usize = std::env::var("NN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("NN_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let corpus: Vec<Vec<String>> = CORPUS
        .iter()
        .map(|s| {
            let mut a = Vec::new();
            atoms(s.parse().expect("the corpus tokenizes"), &mut a);
            a
        })
        .collect();
    let facades: [syn::Path; 2] = [syn::parse_quote!(::nn), syn::parse_quote!(::mynn)];
    let start = std::time::Instant::now();
    let (mut run, mut tried, mut valid) = (0usize, 0usize, 0usize);
    while run < cases {
        tried += 1;
        let mut a = corpus[rng.random_range(0..corpus.len())].clone();
        for _ in 0..rng.random_range(0..6) {
            mutate(&mut a, &mut rng);
        }
        let source = a.join(" ");
        let facade = &facades[rng.random_range(0..facades.len())];
        let outcome = std::panic::catch_unwind(|| run_case(&source, facade));
        match outcome {
            Ok(Ok(Case::Valid)) => (run, valid) = (run + 1, valid + 1),
            Ok(Ok(Case::Rejected)) => run += 1,
            Ok(Ok(Case::Untokenizable)) => {}
            Ok(Err(msg)) => panic!("case {run} (seed {seed}): {msg}\ninput: {source}"),
            Err(_) => panic!("case {run} (seed {seed}) panicked\ninput: {source}"),
        }
        assert!(tried < cases * 4, "too few inputs tokenize: {run} of {tried}");
    }
    eprintln!(
        "fuzz: {run} cases ({valid} valid networks generated, {} rejected; {tried} inputs made) in {:.1?}",
        run - valid,
        start.elapsed()
    );
    // The mutations must reach both sides, or the loop tests little.
    assert!(
        valid >= cases / 20 && run - valid >= cases / 4,
        "valid {valid} of {run}"
    );
}
