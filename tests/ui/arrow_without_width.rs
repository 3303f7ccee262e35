use nn::network;

// `->` without a width is reported at the arrow, not at the whole macro call.
network! {
    pub struct Builtin {
        input: 2,
        a: Affine(2 ->),
    }
}

network! {
    pub struct User {
        input: 2,
        a: crate::Project ->,
        b: Affine(3),
    }
}

fn main() {}
