use nn::network;

// A network named `T` (the generated float parameter) is one error at the name (it used to
// give errors inside the generated code).
network! {
    pub struct T {
        input: 2,
        a: Affine(3),
    }
}

// The generated `NetF64` alias clashing with an item of the user's is reported at the name
// `Net` (it pointed at the whole macro call); `#[nn(f64_alias = ...)]` renames it.
network! {
    pub struct Net {
        input: 2,
        a: Affine(3),
    }
}

pub struct NetF64;

fn main() {}
