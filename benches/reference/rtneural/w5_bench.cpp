// W5 streaming benchmark, RTNeural side: input 1 -> GRU(H) / LSTM(H) -> Dense(1), batch 1, float,
// `ModelT` (compile-time shapes), ns per sample over 10 M samples (3 M at H = 64) of
// sin(0.01·i). The Rust side is `cargo bench --bench sequences -- W5`; `compare.sh` runs both
// in alternation.
#include <RTNeural/RTNeural.h>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#ifndef BACKEND_NAME
#define BACKEND_NAME "?"
#endif

static uint32_t rng_state = 12345u;
static float rnd() { // deterministic LCG, uniform in [-0.3, 0.3]
    rng_state = rng_state * 1664525u + 1013904223u;
    return ((rng_state >> 8) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * 0.3f;
}
static std::vector<std::vector<float>> mat(size_t r, size_t c) {
    std::vector<std::vector<float>> m(r, std::vector<float>(c));
    for (auto& row : m) for (auto& v : row) v = rnd();
    return m;
}

template <typename Model>
static void setDense(Model& model, size_t H) {
    auto& d = model.template get<1>();
    d.setWeights(mat(1, H));
    float b = rnd();
    d.setBias(&b);
}
template <int H> static void initGRU(RTNeural::ModelT<float, 1, 1, RTNeural::GRULayerT<float, 1, H>, RTNeural::DenseT<float, H, 1>>& m) {
    auto& g = m.template get<0>();
    g.setWVals(mat(1, 3 * H)); g.setUVals(mat(H, 3 * H)); g.setBVals(mat(2, 3 * H));
    setDense(m, H);
}
template <int H> static void initLSTM(RTNeural::ModelT<float, 1, 1, RTNeural::LSTMLayerT<float, 1, H>, RTNeural::DenseT<float, H, 1>>& m) {
    auto& l = m.template get<0>();
    l.setWVals(mat(1, 4 * H)); l.setUVals(mat(H, 4 * H)); auto b = mat(1, 4 * H); l.setBVals(b[0]);
    setDense(m, H);
}

constexpr size_t TBL = 65536; // input table sin(0.01*i), i in [0, 65536), indexed i & (TBL-1)
alignas(64) static float input_tbl[TBL];

template <typename Model>
static double timeModel(Model& model, size_t n) {
    model.reset();
    double sum = 0.0;
    for (size_t i = 0; i < 100000; ++i) sum += model.forward(&input_tbl[i & (TBL - 1)]); // warm-up
    model.reset();
    double acc = 0.0;
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < n; ++i) acc += model.forward(&input_tbl[i & (TBL - 1)]);
    auto t1 = std::chrono::steady_clock::now();
    volatile double sink = acc + sum * 0.0;
    (void)sink;
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / (double)n;
    std::printf("  (sum=%.6g)", acc);
    return ns;
}

// Builds the model with `init`, times it over n samples and prints one line.
template <typename Model, typename Init>
static void run(const char* cell, int H, uint32_t seed, Init init, size_t n) {
    rng_state = seed;
    auto* m = new Model();
    init(*m);
    std::printf("%s %-4s H=%-3d n=%zu", BACKEND_NAME, cell, H, n);
    double ns = timeModel(*m, n);
    std::printf("  ns/sample= %.3f\n", ns);
    std::fflush(stdout);
    delete m;
}
template <int H> static void runGRU(size_t n) {
    using M = RTNeural::ModelT<float, 1, 1, RTNeural::GRULayerT<float, 1, H>, RTNeural::DenseT<float, H, 1>>;
    run<M>("GRU", H, 12345u + H, initGRU<H>, n);
}
template <int H> static void runLSTM(size_t n) {
    using M = RTNeural::ModelT<float, 1, 1, RTNeural::LSTMLayerT<float, 1, H>, RTNeural::DenseT<float, H, 1>>;
    run<M>("LSTM", H, 54321u + H, initLSTM<H>, n);
}

int main(int argc, char** argv) {
    double scale = argc > 1 ? std::atof(argv[1]) : 1.0; // multiply sample counts
    for (size_t i = 0; i < TBL; ++i) input_tbl[i] = std::sin(0.01f * (float)i);
    const size_t N = (size_t)(10000000 * scale), N64 = (size_t)(3000000 * scale);
    runGRU<8>(N); runGRU<16>(N); runGRU<32>(N); runGRU<64>(N64);
    runLSTM<8>(N); runLSTM<16>(N); runLSTM<32>(N); runLSTM<64>(N64);
    return 0;
}
