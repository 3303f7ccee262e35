use nn::network;

const HIDDEN: usize = 10;

network! {
    pub struct Net {
        input: 0,
        a: Affine(-3),
        b: Affine(2.5),
        c: Affine(HIDDEN),
        d: Affine(0),
    }
}

fn main() {}
