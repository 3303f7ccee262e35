use nn::network;

// `#[cfg]` and inner doc comments on a layer are one error each, at the attribute (they used
// to give errors from the generated code, or "expected square brackets"). Outer `///`
// comments are fine.
network! {
    pub struct Cfg {
        input: 2,
        /// The first layer.
        #[cfg(test)]
        a: Affine(3),
        b: Relu,
    }
}

network! {
    pub struct InnerDoc {
        input: 2,
        a: Affine(3),
        //! Not a doc comment of `b`.
        b: Relu,
    }
}

fn main() {}
