//! Dense layers for burn's flex CPU backend: `y = x W + b` and its three gradients.
//!
//! Written by hand because burn's dense layer is slow on flex where a GAN's layers are large:
//! 100 forward and backward passes of cDCGAN's projection, (64, 110) -> 3,136, took 2.6-3.1 ms
//! each with burn's and 0.6-0.9 ms with this (InfoGAN's (64, 1,024) -> 6,272: 19-51 against
//! 16-17 ms), and flex adds the bias, and sums it back out of the output's gradient, on one
//! core at every size. A large layer here runs each product on every core, adds and sums the
//! bias in parallel passes and forms its three gradients side by side; a small one runs on one
//! core as flex runs it. The products are the `gemm` calls flex's `linear` makes, on the same
//! operands and strides, and the bias is added and summed in flex's order, so values and
//! gradients are burn's bit for bit; `gemm` splits a product's output between threads without
//! changing any element's sum, so they do not depend on the core count either.

use std::ops::Range;

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};

use super::im2col::{View, matmul, matmul_column_major};
use super::{FlexTensor, Grads, contiguous, slice, tensor};

/// Values per parallel task in the bias passes: an add is ~1 ns, so ~16 µs of work a task.
const CHUNK: usize = 1 << 14;

// Two ops, not one with an optional bias: the extension macro does not route an
// `Option<FloatTensor>` argument through to the backends.
#[backend_extension(Flex, Autodiff)]
pub trait FusedLinear: Backend {
    /// burn's `linear` of a (rows, inputs) x by an (inputs, outputs) weight, without a bias.
    fn linear_fused(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self>;

    /// burn's `linear` with an (outputs) bias.
    fn linear_bias_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;

    /// burn's `linear` with a bias of `cat([a, b], 1)`, a's columns first. Its backward forms
    /// the input gradient only for whichever of a and b wants one.
    fn linear_joined_fused(
        a: FloatTensor<Self>,
        b: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// A layer's sizes: x is (rows, inputs), the weight (inputs, outputs).
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    pub rows: usize,
    pub inputs: usize,
    pub outputs: usize,
}

/// Multiply-adds from which a layer runs on every core. Below it a rayon pass costs more than
/// it saves. It was flex's 192³ (7.1M) while the other core slept between ops; with it kept
/// awake through a step (`super::awake`), a label map's 64 x 50 x 784 (2.5M), forward and
/// both weight gradients, took 92-99 µs on both cores against 115-117 µs on one (2-core EPYC).
const PARALLEL_MACS: usize = 1 << 21;

impl Dims {
    fn parallel(&self) -> bool {
        self.rows * self.inputs * self.outputs >= PARALLEL_MACS
    }

    /// Threads for one product (gemm still keeps a thin one on one).
    fn threads(&self) -> usize {
        if self.parallel() {
            rayon::current_num_threads()
        } else {
            1
        }
    }

    /// A zeroed buffer, cleared by every core for a large layer or a large buffer.
    fn zeros(&self, len: usize) -> Vec<f32> {
        if self.parallel() || len >= SPLIT_OUTPUTS {
            super::zeros(len)
        } else {
            vec![0.0; len]
        }
    }

    /// `out = lhs rhs`, one of the layer's products: on every core for a large layer (gemm
    /// splits it), in blocks of rows on every core for a thin product with a large output,
    /// on one core otherwise.
    fn product(&self, out: &mut [f32], lhs: View, rhs: View) {
        if self.parallel() || out.len() < SPLIT_OUTPUTS {
            return matmul(out, lhs, rhs, false, self.threads());
        }
        let n = rhs.cols;
        let rows = SPLIT_BLOCK.div_ceil(n.max(1));
        super::shares::for_each_chunk_mut(out, rows * n, |block, out| {
            let first = block * rows;
            let lhs = View {
                data: &lhs.data[first * lhs.row_stride..],
                rows: out.len() / n,
                ..lhs
            };
            matmul(out, lhs, rhs, false, 1);
        });
    }
}

/// Outputs from which a product below [`PARALLEL_MACS`] still splits between the cores. Such
/// a product is thin and all memory traffic: D's one-logit head takes its input gradient as a
/// (64, 6,272) outer product (k = 1), which gemm runs on one core whatever it is told (its own
/// threshold counts multiply-adds), and a profile found the other core idle through it. Each
/// output is still one gemm's sum over the same k values, so splitting rows changes no value.
const SPLIT_OUTPUTS: usize = 1 << 17;

/// Outputs per task of such a split, about 0.1 ms of writing.
const SPLIT_BLOCK: usize = 1 << 16;

/// Rows per parallel task of `outputs` values each, at least one.
fn rows_per_task(outputs: usize) -> usize {
    (CHUNK / outputs.max(1)).max(1)
}

/// `x W (+ b)`: (rows, outputs), row-major.
pub fn forward(d: Dims, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let mut out = d.zeros(d.rows * d.outputs);
    d.product(
        &mut out,
        View::new(x, d.rows, d.inputs),
        View::new(weight, d.inputs, d.outputs),
    );
    if let (Some(bias), true) = (bias, d.outputs > 0) {
        // The product, then the bias: burn's `output + bias`, value for value.
        let add = |rows: &mut [f32]| {
            for row in rows.chunks_mut(d.outputs) {
                for (o, &b) in row.iter_mut().zip(bias) {
                    *o += b;
                }
            }
        };
        if d.parallel() {
            super::shares::for_each_chunk_mut(
                &mut out,
                rows_per_task(d.outputs) * d.outputs,
                |_, rows| add(rows),
            );
        } else {
            add(&mut out);
        }
    }
    out
}

/// `dx = dy Wᵀ`, `dW = xᵀ dy`, `db = Σ_rows dy`, each only when `want` says so; the three run
/// side by side, each split further where it is large enough.
pub fn backward(d: Dims, x: &[f32], weight: &[f32], dy: &[f32], want: [bool; 3]) -> Grads {
    let columns: &[Range<usize>] = if want[0] { &[0..d.inputs] } else { &[] };
    let (mut inputs, weight, bias) = backward_parts(d, x, weight, dy, columns, want[1], want[2]);
    Grads {
        x: inputs.pop(),
        weight,
        bias,
    }
}

/// [`backward`] with the input gradient formed for x's columns in each of `columns` alone,
/// one (rows, range length) gradient each: for an x joined from parts of which only some
/// want a gradient. D's first dense layer reads 784 pixels beside a 10-value label
/// embedding, and in D's update only the embedding wants one: the pixels' part was three
/// quarters of the dense CGAN's D backward products.
pub fn backward_parts(
    d: Dims,
    x: &[f32],
    weight: &[f32],
    dy: &[f32],
    columns: &[Range<usize>],
    want_weight: bool,
    want_bias: bool,
) -> (Vec<Vec<f32>>, Option<Vec<f32>>, Option<Vec<f32>>) {
    let dy_view = View::new(dy, d.rows, d.outputs);
    let input_grads = || -> Vec<Vec<f32>> {
        columns
            .iter()
            .map(|range| input_grad(d, weight, dy_view, range.clone()))
            .collect()
    };
    let weight_grad = || {
        want_weight.then(|| {
            let mut dw = d.zeros(d.inputs * d.outputs);
            let x_t = View::new(x, d.rows, d.inputs).t();
            d.product(&mut dw, x_t, dy_view);
            dw
        })
    };
    let bias_grad = || want_bias.then(|| column_sums(dy, d.rows, d.outputs, d.parallel()));
    let (inputs, (weight, bias)) = if d.parallel() {
        super::shares::join(input_grads, || super::shares::join(weight_grad, bias_grad))
    } else {
        (input_grads(), (weight_grad(), bias_grad()))
    };
    (inputs, weight, bias)
}

/// `dy Wᵀ` for x's columns `columns`: (rows, columns length), from W's rows of those inputs.
fn input_grad(d: Dims, weight: &[f32], dy: View, columns: Range<usize>) -> Vec<f32> {
    let part = Dims {
        inputs: columns.len(),
        ..d
    };
    let rows_of_w = &weight[columns.start * d.outputs..columns.end * d.outputs];
    let weight_t = View::new(rows_of_w, part.inputs, d.outputs).t();
    if part.parallel() {
        return input_grad_by_columns(part, dy, weight_t);
    }
    let mut dx = part.zeros(part.rows * part.inputs);
    part.product(&mut dx, dy, weight_t);
    dx
}

/// A large layer's `dx = dy Wᵀ`, formed column by column and turned back to rows. Asked for a
/// row-major product, gemm turns the problem round, and then gathers W's rows value by value
/// in every share: 4 KB apart in InfoGAN's D (1,024 outputs), where its (64, 1,024) x
/// (1,024, 6,272) took 14 ms on two cores against 6 ms for a product of the same size the
/// other way round. Asked for the result column-major, gemm reads W along its rows as they
/// lie: 4.2 ms, and 0.5 ms more to turn the (64, 6,272) result back (2-core EPYC). The same
/// products are summed in the same order, so every value is what the row-major call gives,
/// bit for bit (tested against burn's layer).
fn input_grad_by_columns(d: Dims, dy: View, weight_t: View) -> Vec<f32> {
    let mut columns = super::zeros(d.rows * d.inputs);
    matmul_column_major(&mut columns, dy, weight_t, d.threads());
    // `columns` holds dx's column i at [i * rows..]: back to rows, a band of rows a task.
    let mut dx = super::zeros(d.rows * d.inputs);
    const BAND: usize = 8;
    super::shares::for_each_chunk_mut(&mut dx, BAND * d.inputs, |band, dx| {
        let first = band * BAND;
        let height = dx.len() / d.inputs;
        for (i, column) in columns.chunks_exact(d.rows).enumerate() {
            for (r, &v) in column[first..first + height].iter().enumerate() {
                dx[r * d.inputs + i] = v;
            }
        }
    });
    dx
}

/// The sum of each column of a (rows, columns) matrix, row after row from zero as flex's
/// `sum_dim(0)` adds them; the columns split between the cores when `parallel`.
pub fn column_sums(m: &[f32], rows: usize, columns: usize, parallel: bool) -> Vec<f32> {
    let mut sums = vec![0.0f32; columns];
    let add = |start: usize, sums: &mut [f32]| {
        for row in m.chunks(columns).take(rows) {
            for (s, &v) in sums.iter_mut().zip(&row[start..]) {
                *s += v;
            }
        }
    };
    if parallel {
        // Columns per task: about CHUNK values read each.
        let width = (CHUNK / rows.max(1)).clamp(1, columns.max(1));
        super::shares::for_each_chunk_mut(&mut sums, width, |block, sums| add(block * width, sums));
    } else {
        add(0, &mut sums);
    }
    sums
}

/// The layer's sizes from x's and the weight's shapes.
fn dims(x: &FlexTensor, weight: &FlexTensor) -> Dims {
    let (x, w) = (x.layout().shape(), weight.layout().shape());
    assert!(
        x.num_dims() == 2 && w.num_dims() == 2 && x[1] == w[0],
        "fused linear: x {x:?} and weight {w:?} do not fit (rows, inputs) x (inputs, outputs)"
    );
    Dims {
        rows: x[0],
        inputs: x[1],
        outputs: w[1],
    }
}

/// The forward on flex tensors.
fn forward_tensors(x: &FlexTensor, weight: &FlexTensor, bias: Option<&FlexTensor>) -> FlexTensor {
    let d = dims(x, weight);
    let (x, weight) = (contiguous(x), contiguous(weight));
    let bias = bias.map(contiguous);
    let y = forward(d, slice(&x), slice(&weight), bias.as_ref().map(slice));
    tensor(y, vec![d.rows, d.outputs])
}

impl FusedLinear for Flex {
    fn linear_fused(x: FlexTensor, weight: FlexTensor) -> FlexTensor {
        forward_tensors(&x, &weight, None)
    }

    fn linear_bias_fused(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        forward_tensors(&x, &weight, Some(&bias))
    }

    fn linear_joined_fused(
        a: FlexTensor,
        b: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
    ) -> FlexTensor {
        forward_tensors(&joined(a, b), &weight, Some(&bias))
    }
}

/// `cat([a, b], 1)` by flex's own cat, contiguous.
fn joined(a: FlexTensor, b: FlexTensor) -> FlexTensor {
    contiguous(&Flex::float_cat(vec![a, b], 1))
}

/// What the backward keeps from the forward: x and the weight (shared, not copied).
#[derive(Clone, Debug)]
struct Saved {
    x: FlexTensor,
    weight: FlexTensor,
}

/// The backward; `N` is 2 without a bias, 3 with one.
#[derive(Debug)]
struct LinearBackward<const N: usize>;

impl<const N: usize> Backward<Flex, N> for LinearBackward<N> {
    type State = Saved;

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let Saved { x, weight } = ops.state;
        let d = dims(&x, &weight);
        let parents = ops.parents;
        let want = [0, 1, 2].map(|i| parents.get(i).is_some_and(Option::is_some));
        let result = backward(d, slice(&x), slice(&weight), slice(&dy), want);
        let registered = [
            result.x.map(|g| tensor(g, vec![d.rows, d.inputs])),
            result.weight.map(|g| tensor(g, vec![d.inputs, d.outputs])),
            result.bias.map(|g| tensor(g, vec![d.outputs])),
        ];
        for (node, grad) in parents.iter().zip(registered) {
            if let (Some(node), Some(grad)) = (node, grad) {
                grads.register::<Flex>(node.id, grad);
            }
        }
    }
}

/// The autodiff op: the flex forward, recorded with the backward above.
fn tracked<C: CheckpointStrategy>(
    x: FloatTensor<Autodiff<Flex, C>>,
    weight: FloatTensor<Autodiff<Flex, C>>,
    bias: Option<FloatTensor<Autodiff<Flex, C>>>,
) -> FloatTensor<Autodiff<Flex, C>> {
    let inner = |t: &FloatTensor<Autodiff<Flex, C>>| contiguous(t.primitive());
    let (xp, wp) = (inner(&x), inner(&weight));
    let bp = bias.as_ref().map(inner);
    let output = forward_tensors(&xp, &wp, bp.as_ref());
    let saved = Saved { x: xp, weight: wp };
    match bias {
        Some(bias) => super::record::<C, _, 3>(
            LinearBackward::<3>,
            [x.node(), weight.node(), bias.node()],
            saved,
            output,
        ),
        None => super::record::<C, _, 2>(
            LinearBackward::<2>,
            [x.node(), weight.node()],
            saved,
            output,
        ),
    }
}

/// The joined layer's backward: x = cat([a, b], 1), a's `split` columns first.
#[derive(Debug)]
struct JoinedBackward;

impl Backward<Flex, 4> for JoinedBackward {
    type State = (Saved, usize);

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let (Saved { x, weight }, split) = ops.state;
        let d = dims(&x, &weight);
        let [a, b, w, bias] = ops.parents;
        let parts = [(a, 0..split), (b, split..d.inputs)];
        let wanted: Vec<_> = parts
            .into_iter()
            .filter(|(node, _)| node.is_some())
            .collect();
        let columns: Vec<Range<usize>> = wanted.iter().map(|(_, range)| range.clone()).collect();
        let (inputs, dw, db) = backward_parts(
            d,
            slice(&x),
            slice(&weight),
            slice(&dy),
            &columns,
            w.is_some(),
            bias.is_some(),
        );
        for ((node, range), grad) in wanted.into_iter().zip(inputs) {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, tensor(grad, vec![d.rows, range.len()]));
            }
        }
        if let (Some(node), Some(grad)) = (w, dw) {
            grads.register::<Flex>(node.id, tensor(grad, vec![d.inputs, d.outputs]));
        }
        if let (Some(node), Some(grad)) = (bias, db) {
            grads.register::<Flex>(node.id, tensor(grad, vec![d.outputs]));
        }
    }
}

/// The joined autodiff op: a and b joined, the flex forward, recorded with the backward above.
fn tracked_joined<C: CheckpointStrategy>(
    a: FloatTensor<Autodiff<Flex, C>>,
    b: FloatTensor<Autodiff<Flex, C>>,
    weight: FloatTensor<Autodiff<Flex, C>>,
    bias: FloatTensor<Autodiff<Flex, C>>,
) -> FloatTensor<Autodiff<Flex, C>> {
    let split = a.primitive().layout().shape()[1];
    let x = joined(a.primitive().clone(), b.primitive().clone());
    let (wp, bp) = (contiguous(weight.primitive()), contiguous(bias.primitive()));
    let output = forward_tensors(&x, &wp, Some(&bp));
    super::record::<C, _, 4>(
        JoinedBackward,
        [a.node(), b.node(), weight.node(), bias.node()],
        (Saved { x, weight: wp }, split),
        output,
    )
}

impl<C: CheckpointStrategy> FusedLinear for Autodiff<Flex, C> {
    fn linear_fused(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        tracked::<C>(x, weight, None)
    }

    fn linear_bias_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        tracked::<C>(x, weight, Some(bias))
    }

    fn linear_joined_fused(
        a: FloatTensor<Self>,
        b: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        tracked_joined::<C>(a, b, weight, bias)
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::{Linear, LinearConfig};
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::fused::testing::{same, values};
    use crate::fused::{fused_linear, fused_linear_joined};

    /// The layer's output and the gradients of `sum(y * weights)` for x, W and b.
    fn run(
        layer: &Linear,
        x: Tensor<2>,
        weights: Tensor<2>,
        op: impl Fn(&Linear, Tensor<2>) -> Tensor<2>,
    ) -> Vec<Vec<f32>> {
        let x = x.detach().require_grad();
        let y = op(layer, x.clone());
        let grads = (y.clone() * weights).sum().backward();
        let mut out = vec![values(y), values(x.grad(&grads).expect("x grad"))];
        out.push(values(layer.weight.grad(&grads).expect("weight grad")));
        if let Some(bias) = &layer.bias {
            out.push(values(bias.grad(&grads).expect("bias grad")));
        }
        out
    }

    fn compare(rows: usize, inputs: usize, outputs: usize, bias: bool, strided: bool) {
        let device = Device::flex().autodiff();
        let layer = LinearConfig::new(inputs, outputs)
            .with_bias(bias)
            .init(&device);
        let x = if strided {
            Tensor::<2>::random([inputs, rows], Distribution::Normal(0.0, 1.0), &device).transpose()
        } else {
            Tensor::<2>::random([rows, inputs], Distribution::Normal(0.0, 1.0), &device)
        };
        let weights = Tensor::<2>::random([rows, outputs], Distribution::Normal(0.0, 1.0), &device);
        let fused = run(&layer, x.clone(), weights.clone(), fused_linear);
        let burn = run(&layer, x, weights, |l, x| l.forward(x));
        let what = format!("({rows}, {inputs}) -> {outputs}, bias {bias}, strided {strided}");
        for (i, (f, b)) in fused.into_iter().zip(burn).enumerate() {
            let part = ["output", "x grad", "weight grad", "bias grad"][i];
            same(f, b, &format!("{what}: {part}"));
        }
    }

    #[test]
    fn fused_linear_equals_burns_forward_and_every_gradient() {
        // cDCGAN's projection (wide, above flex's parallel threshold), a label map's, D's
        // one-logit head, an odd shape, a batch of one, and a layer without a bias.
        compare(64, 110, 6272, true, false);
        // Large with a batch that leaves part of a band over when dx is turned back to rows.
        compare(13, 300, 2048, true, false);
        compare(64, 50, 784, true, false);
        compare(64, 6272, 1, true, false);
        compare(7, 13, 5, true, false);
        compare(1, 33, 17, true, false);
        compare(64, 74, 1024, false, false);
    }

    /// The joined layer against burn's `cat` then layer: output, and the gradients of
    /// `sum(y * weights)` for each part that wants one, W and b.
    fn compare_joined(rows: usize, left: usize, right: usize, outputs: usize, want: [bool; 2]) {
        let device = Device::flex().autodiff();
        let layer = LinearConfig::new(left + right, outputs).init(&device);
        let part = |cols: usize, tracked: bool| {
            let t = Tensor::<2>::random([rows, cols], Distribution::Normal(0.0, 1.0), &device);
            if tracked { t.require_grad() } else { t }
        };
        let (a, b) = (part(left, want[0]), part(right, want[1]));
        let weights = Tensor::<2>::random([rows, outputs], Distribution::Normal(0.0, 1.0), &device);
        let run = |y: Tensor<2>| {
            let grads = (y.clone() * weights.clone()).sum().backward();
            let mut out = vec![values(y)];
            for (t, wanted) in [(&a, want[0]), (&b, want[1])] {
                let grad = t.grad(&grads);
                assert_eq!(
                    grad.is_some(),
                    wanted,
                    "a part's gradient exactly when it wants one"
                );
                out.extend(grad.map(values));
            }
            out.push(values(layer.weight.grad(&grads).expect("weight grad")));
            out.push(values(
                layer
                    .bias
                    .as_ref()
                    .and_then(|b| b.grad(&grads))
                    .expect("bias grad"),
            ));
            out
        };
        let fused = run(fused_linear_joined(&layer, a.clone(), b.clone()));
        let burn = run(layer.forward(Tensor::cat(vec![a.clone(), b.clone()], 1)));
        let what = format!("({rows}, {left} + {right}) -> {outputs}, wanted {want:?}");
        assert_eq!(fused.len(), burn.len());
        for (i, (f, b)) in fused.into_iter().zip(burn).enumerate() {
            same(f, b, &format!("{what}: part {i}"));
        }
    }

    #[test]
    fn fused_joined_linear_equals_burns_cat_then_layer() {
        // The dense CGAN's D (pixels beside a label embedding, only the embedding tracked, as
        // in D's update; only the pixels, as in G's) and G (z beside the embedding).
        for want in [[false, true], [true, false], [true, true]] {
            compare_joined(64, 784, 10, 512, want);
        }
        compare_joined(64, 100, 10, 256, [false, true]);
        // Odd and small shapes, a batch of one, neither part tracked (W and b still are).
        compare_joined(7, 13, 5, 9, [true, true]);
        compare_joined(1, 33, 2, 17, [false, true]);
        compare_joined(13, 300, 40, 2048, [true, true]);
        compare_joined(5, 6, 3, 4, [false, false]);
    }

    #[test]
    fn fused_linear_of_a_non_contiguous_input_equals_burns() {
        compare(37, 23, 19, true, true);
    }

    #[test]
    fn fused_linear_gradients_do_not_depend_on_the_thread_count() {
        let device = Device::flex().autodiff();
        // A wide layer gemm splits, and D's head, whose input gradient splits by rows.
        for (inputs, outputs) in [(110, 6272), (6272, 1)] {
            let layer = LinearConfig::new(inputs, outputs).init(&device);
            let x = Tensor::<2>::random([64, inputs], Distribution::Normal(0.0, 1.0), &device);
            let weights =
                Tensor::<2>::random([64, outputs], Distribution::Normal(0.0, 1.0), &device);
            let go = || run(&layer, x.clone(), weights.clone(), fused_linear);
            let one = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .expect("pool")
                .install(go);
            let three = rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .expect("pool")
                .install(go);
            for (i, (a, b)) in one.into_iter().zip(three).enumerate() {
                same(
                    a,
                    b,
                    &format!("{inputs} -> {outputs}: part {i}, 1 vs 3 threads"),
                );
            }
        }
    }
}
