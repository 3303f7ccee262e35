use nn::network;

network! {
    pub struct NoVocabulary {
        input: tokens,
        embed: Embedding(16),
    }
}

network! {
    pub struct EmptyVocabulary {
        input: tokens(0),
        embed: Embedding(16),
    }
}

network! {
    pub struct TwoVocabularies {
        input: tokens(10, 20),
        embed: Embedding(16),
    }
}

fn main() {}
