use nn::network;

// A raw identifier names the same field as the plain one: `r#a` duplicates `a`, and
// `r#input` is the size entry (they used to give errors from the generated code: "field
// `a` is already declared").
network! {
    pub struct Net {
        input: 2,
        a: Affine(3),
        r#a: Relu,
        r#input: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
